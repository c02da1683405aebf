"""Bad inputs as a user brings them: each case breaks a copy of the sample landing zone, runs
`profiles run` as a fresh process, and prints its exit code, its message and whether the
published outputs stayed as they were.

    python bench/bad_inputs.py [--users 300] [--days 5] [--only CASE]

The cases (see `CASES`) break the day after the published ones, as new data would arrive, except
where the case says otherwise. "outputs intact" compares every published table (the readers'
copy) before and after the run: a run that fails must publish nothing.
"""

from __future__ import annotations

import argparse
import os
import hashlib
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
PROFILES = [sys.executable, "-m", "profiles_pipeline.cli.main"]


def profiles(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    return subprocess.run([*PROFILES, *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def published_digest(project: Path) -> str:
    """One digest of every table readers see (order-independent per table)."""
    path = project / "data" / "profiles.published.duckdb"
    if not path.exists():
        return "none"
    con = duckdb.connect(str(path), read_only=True)
    try:
        digest = hashlib.sha256()
        for (name,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
            rows = sorted(map(repr, con.execute(f'SELECT * FROM "{name}"').fetchall()))
            digest.update(name.encode() + hashlib.sha256("\n".join(rows).encode()).digest())
        return digest.hexdigest()[:12]
    finally:
        con.close()


def _file(project: Path, table: str, day: date) -> Path:
    return project / "data" / "landing" / table / f"dt={day}" / "part-0.parquet"


def _rewrite(path: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    pq.write_table(change(pq.read_table(path)), path)


def _set_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


def _text_timestamps(t: pa.Table) -> pa.Table:
    texts = pc.cast(t["timestamp"], pa.string()).to_pylist()
    texts[0] = "yesterday"
    return _set_column(t, "timestamp", pa.array(texts, pa.string()))


def _text_revenue(t: pa.Table) -> pa.Table:
    texts = [str(v) for v in t["revenue"].to_pylist()]
    texts[0] = "abc"
    return _set_column(t, "revenue", pa.array(texts, pa.string()))


def _dated_1900(t: pa.Table) -> pa.Table:
    stamps = t["timestamp"].to_pylist()
    stamps[: max(1, len(stamps) // 10)] = [stamps[0].replace(year=1900)] * max(1, len(stamps) // 10)
    return _set_column(t, "timestamp", pa.array(stamps, t.schema.field("timestamp").type))


def _junk_ids(t: pa.Table) -> pa.Table:
    ids = t["user_id"].to_pylist()
    for i, junk in enumerate(["abc\0def", "\0", "null", "NULL", "undefined", "nan"]):
        ids[i] = junk
    return _set_column(t, "user_id", pa.array(ids, pa.string()))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _all_days(project: Path, table: str) -> list[Path]:
    return sorted((project / "data" / "landing" / table).glob("dt=*/*.parquet"))


#: name -> (what it does, how it breaks the landing zone given (project, new day))
CASES: dict[str, tuple[str, Callable[[Path, date], None]]] = {
    "text timestamp in one file": (
        "orders of the new day have `timestamp` as text, one of them 'yesterday'",
        lambda p, d: _rewrite(_file(p, "order_completed", d), _text_timestamps)),
    "unparseable text timestamps everywhere": (
        "every file of pages has `timestamp` as text; one value of the new day is 'yesterday'",
        lambda p, d: [_rewrite(f, _text_timestamps if f == _file(p, "pages", d) else
                               lambda t: _set_column(t, "timestamp", pc.cast(t["timestamp"], pa.string())))
                      for f in _all_days(p, "pages")]),
    "non-numeric revenue in one file": (
        "orders of the new day have `revenue` as text, one of them 'abc'",
        lambda p, d: _rewrite(_file(p, "order_completed", d), _text_revenue)),
    "non-numeric revenue everywhere": (
        "every orders file has `revenue` as text (one value 'abc'): sum(revenue) is given text",
        lambda p, d: [_rewrite(f, _text_revenue) for f in _all_days(p, "order_completed")]),
    "column missing from every file": (
        "`revenue` dropped from every orders file (a var sums it)",
        lambda p, d: [_rewrite(f, lambda t: t.drop_columns(["revenue"])) for f in _all_days(p, "order_completed")]),
    "column missing from one file": (
        "`revenue` dropped from the new day's orders file only",
        lambda p, d: _rewrite(_file(p, "order_completed", d), lambda t: t.drop_columns(["revenue"]))),
    "events dated 1900": (
        "a tenth of the new day's pages are dated 1900",
        lambda p, d: _rewrite(_file(p, "pages", d), _dated_1900)),
    "junk user ids": (
        "new identifies rows with user ids 'abc\\0def', NUL, 'null', 'NULL', 'undefined', 'nan'",
        lambda p, d: _rewrite(_file(p, "identifies", d), _junk_ids)),
    "truncated parquet file": (
        "the new day's tracks file cut in half",
        lambda p, d: _truncate(_file(p, "tracks", d))),
    "truncated file of an old day": (
        "the first day's tracks file cut in half (the new day is fine)",
        lambda p, d: _truncate(_all_days(p, "tracks")[0])),
}


def run_case(name: str, base: Path, workdir: Path, new_day: date) -> dict:
    project = workdir / name.replace(" ", "_")
    shutil.copytree(base, project)
    before = published_digest(project)
    profiles("sample-data", "append", "-p", str(project), "--day", str(new_day), cwd=REPO)
    CASES[name][1](project, new_day)
    result = profiles("run", "-p", str(project), cwd=REPO)
    after = published_digest(project)
    text = (result.stdout + result.stderr).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("error")), None)
    key = lines[start:start + 4] if start is not None else [ln for ln in lines if "left out" in ln]
    return {"case": name, "what": CASES[name][0], "exit": result.returncode,
            "message": " / ".join(key)[:700] or "(no message)", "intact": before == after,
            "traceback": "Traceback" in text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--only", action="append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profiles-bad-inputs-") as tmp:
        base = Path(tmp) / "base"
        shutil.copytree(REPO / "config", base, ignore=shutil.ignore_patterns("data"))
        profiles("sample-data", "generate", "-p", str(base), "--users", str(args.users), "--days", str(args.days),
                 cwd=REPO).check_returncode()
        first = profiles("run", "-p", str(base), cwd=REPO)
        assert first.returncode == 0, first.stdout + first.stderr
        start = date.fromisoformat("2026-01-01")
        new_day = start + timedelta(days=args.days)
        for name in args.only or CASES:
            row = run_case(name, base, Path(tmp), new_day)
            print(f"## {row['case']}\n  {row['what']}\n  exit {row['exit']}; published outputs "
                  f"{'unchanged' if row['intact'] else 'updated'}; traceback: {row['traceback']}")
            print(textwrap.indent(textwrap.fill(row["message"], 100), "  > "))


if __name__ == "__main__":
    main()
