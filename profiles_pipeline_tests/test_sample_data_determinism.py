"""Same inputs, same bytes: a seed reproduces a landing zone, and appending a day writes
exactly what generating that many days would have written."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from profiles_pipeline.errors import UserError
from profiles_pipeline.sample_data import TABLES, append_day, generate, read_manifest


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


def _tables(out: Path) -> dict:
    return {name: pq.read_table(out / name) for name in (*TABLES, "_ground_truth")}


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", users=200, days=2, seed=11)
    b = generate(tmp_path / "b", users=200, days=2, seed=11)
    assert a.tables == b.tables and a.identifiers == b.identifiers
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_another_process_appends_the_same_day(tmp_path: Path) -> None:
    """`profiles sample-data append` runs in a new process; nothing may depend on the process."""
    generate(tmp_path / "full", users=120, days=2, seed=4)
    generate(tmp_path / "part", users=120, days=1, seed=4)
    code = "import sys; from pathlib import Path; from profiles_pipeline.sample_data import append_day; append_day(Path(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "part")], check=True)
    assert _files(tmp_path / "full") == _files(tmp_path / "part")


def test_other_seed_gives_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", users=200, days=1, seed=11)
    generate(tmp_path / "b", users=200, days=1, seed=12)
    ta, tb = _tables(tmp_path / "a"), _tables(tmp_path / "b")
    assert not ta["pages"].equals(tb["pages"])
    assert set(ta["pages"]["anonymous_id"].to_pylist()).isdisjoint(
        set(tb["pages"]["anonymous_id"].to_pylist())
        - {"", "unknown", "NaN", "null", "test@company.com"}
    )


def test_generate_three_days_equals_two_plus_append(tmp_path: Path) -> None:
    full, part = tmp_path / "full", tmp_path / "part"
    generate(full, users=200, days=3, seed=5, start_date=date(2026, 2, 27))
    generate(part, users=200, days=2, seed=5, start_date=date(2026, 2, 27))
    summary = append_day(part)
    assert summary.dates == (date(2026, 3, 1),) and summary.days == 1
    assert summary.files == 5  # four tables and the ground truth
    assert _files(full) == _files(part)
    assert json.loads((full / "_manifest.json").read_text()) == json.loads(
        (part / "_manifest.json").read_text()
    )


def test_append_rewrites_a_given_day_identically(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    generate(out, users=150, days=2, seed=3)
    before = _files(out)
    append_day(out, day=date(2026, 1, 1))
    assert _files(out) == before
    assert read_manifest(out).days == (date(2026, 1, 1), date(2026, 1, 2))


def test_append_day_with_a_gap_matches_generate(tmp_path: Path) -> None:
    full, gap = tmp_path / "full", tmp_path / "gap"
    generate(full, users=150, days=4, seed=9)
    generate(gap, users=150, days=1, seed=9)
    append_day(gap, day=date(2026, 1, 4))
    for table in TABLES:
        path = f"{table}/dt=2026-01-04/part-0.parquet"
        assert (full / path).read_bytes() == (gap / path).read_bytes()
    assert read_manifest(gap).days == (date(2026, 1, 1), date(2026, 1, 4))


def test_more_users_and_days_give_more_rows(tmp_path: Path) -> None:
    small = generate(tmp_path / "s", users=100, days=1, seed=1)
    wide = generate(tmp_path / "w", users=400, days=1, seed=1)
    long = generate(tmp_path / "l", users=100, days=4, seed=1)
    assert wide.total_rows > 2 * small.total_rows
    assert long.total_rows > 2 * small.total_rows
    assert long.files == 4 * 4 + 1
    assert long.days == 4 and long.rows == long.tables and set(long.rows) == set(TABLES)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"users": 0, "days": 1}, "users must be a positive"),
        ({"users": -5, "days": 1}, "users must be a positive"),
        ({"users": 10, "days": 0}, "days must be a positive"),
        ({"users": 10, "days": 1, "seed": -1}, "seed must be"),
    ],
)
def test_bad_generate_arguments_are_user_errors(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        generate(tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()


def test_append_needs_a_manifest_and_a_day_after_start(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no sample-data manifest"):
        append_day(tmp_path / "nothing")
    out = tmp_path / "landing"
    generate(out, users=50, days=1, seed=2, start_date=date(2026, 5, 1))
    with pytest.raises(UserError, match="before the start date 2026-05-01"):
        append_day(out, day=date(2026, 4, 30))


def test_generate_refuses_a_foreign_folder_but_replaces_its_own(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("not sample data")
    with pytest.raises(UserError, match="refusing"):
        generate(foreign, users=20, days=1)
    assert (foreign / "keep.txt").read_text() == "not sample data"

    own = tmp_path / "own"
    generate(own, users=50, days=3, seed=1)
    generate(own, users=50, days=1, seed=1)
    assert read_manifest(own).days == (date(2026, 1, 1),)
    assert sorted(p.name for p in (own / "pages").iterdir()) == ["dt=2026-01-01"]


def test_progress_reports_stable_stages(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate(tmp_path / "p", users=30, days=2, progress=lambda *a: calls.append(a))
    assert calls == [
        ("building people", 0, 1),
        ("building people", 1, 1),
        ("writing days", 0, 2),
        ("writing days", 1, 2),
        ("writing days", 2, 2),
    ]
