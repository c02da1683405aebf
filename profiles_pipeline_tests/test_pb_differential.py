"""pb itself is the oracle, run live: for every fixture under fixtures/pbref/ (a project, its CSV
rows, and `pbref.json` naming its tables and end time), RudderStack's real `pb` runs it on a
private PostgreSQL (bench/pb_reference.py installs and removes it), we run it on DuckDB, and every
table pb publishes must equal ours: the id graph's clusters and columns, each feature of each
profile, each cohort's members. Where we differ on purpose, `pbref.json` says so by name
(`differs_on_purpose`), and only those columns are left out.

The live test is slow (about 1.5 minutes a fixture: pb and PostgreSQL start each time); `.ci/run`
runs it. A fast twin compares against the export saved in each fixture's `pb_out/`, and the live
one also shows that export is still what pb publishes."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fixtures.cli.built import cli
from fixtures.pb_compare import differences

REPO = Path(__file__).resolve().parents[1]
PBREF = Path(__file__).parent / "fixtures" / "pbref"
FIXTURES = sorted(p.parent for p in PBREF.glob("*/pbref.json"))
SCRIPT = REPO / "bench" / "pb_reference.py"


def _pb_binary() -> None:
    """Fetch pb once per machine (parallel workers wait on a lock instead of downloading twice)."""
    lock = Path.home() / ".cache" / "pbref.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(SCRIPT.parent)!r}); "
                        "import pb_reference; pb_reference.pb_binary()"], check=True, capture_output=True)


def _run_pb(fixture: Path, spec: dict, out: Path) -> None:
    tables = [a for name, csv in spec["tables"].items() for a in ("--table", f"{name}={fixture / csv}")]
    end = ["--end-time", spec["end_time"]] if spec.get("end_time") else []
    done = subprocess.run([sys.executable, str(SCRIPT), "-p", str(fixture / "project"), *tables, *end, "-o", str(out)],
                          capture_output=True, text=True, timeout=900)
    log = (out / "pb.log").read_text() if (out / "pb.log").exists() else ""
    assert done.returncode == 0, done.stdout + done.stderr + log[-4000:]


def _run_ours(fixture: Path, spec: dict, project: Path) -> Path:
    shutil.copytree(fixture / "project", project)
    (project / "data").mkdir()
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:
        for name, csv in spec["tables"].items():
            con.execute(f"CREATE TABLE {name.split('.')[-1]} AS SELECT * FROM read_csv_auto('{fixture / csv}')")
    end = ["--end_time", spec["end_time"]] if spec.get("end_time") else []
    result = cli("run", "-p", project, *end)
    assert result.exit_code == 0, result.stdout + result.stderr
    return project / "data" / "profiles.published.duckdb"


@pytest.mark.slow
@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_we_publish_what_pb_publishes(fixture: Path, tmp_path: Path) -> None:
    spec = json.loads((fixture / "pbref.json").read_text())
    _pb_binary()
    live = tmp_path / "pb_out"
    _run_pb(fixture, spec, live)
    on_purpose = frozenset(spec.get("differs_on_purpose", {}))
    warehouse = _run_ours(fixture, spec, tmp_path / "ours")
    assert differences(live, warehouse, on_purpose=on_purpose) == []
    # the saved export the fast tests read means what pb publishes today
    assert sorted(p.name for p in live.glob("*.csv")) == sorted(p.name for p in (fixture / "pb_out").glob("*.csv"))
    assert differences(fixture / "pb_out", warehouse, on_purpose=on_purpose) == []


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_we_publish_what_pb_published(fixture: Path, tmp_path: Path) -> None:
    """The same comparison against the export saved in the fixture (fast: pb does not run)."""
    spec = json.loads((fixture / "pbref.json").read_text())
    warehouse = _run_ours(fixture, spec, tmp_path / "ours")
    assert differences(fixture / "pb_out", warehouse, on_purpose=frozenset(spec.get("differs_on_purpose", {}))) == []


def test_every_pbref_fixture_says_how_pb_ran_it() -> None:
    """Each fixture with a saved export declares its tables (each a CSV beside it) for the live test."""
    saved = sorted(p.parent for p in PBREF.glob("*/pb_out"))
    assert saved == FIXTURES
    for fixture in FIXTURES:
        spec = json.loads((fixture / "pbref.json").read_text())
        assert spec["tables"] and all((fixture / csv).is_file() for csv in spec["tables"].values()), fixture.name
