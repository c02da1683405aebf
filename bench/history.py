"""End-to-end cost of history: `profiles run` as a fresh process on N days of sample data.

    python bench/history.py --days 120 365 --users 200 [--repeat 3]

For each N: the example project over N days of sample events (first run), against the same
rows placed in one day (the reference, timed in the same invocation, alternating with the
first run); then the next day's run after one more day of events, and a run with nothing new.
Prints medians, the ratios the time model promises (first run / one day <= 1.5, next day /
first run <= 10%, nothing new <= 3 s) and the peak memory of the first run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROFILES = [str(Path(sys.executable).parent / "profiles")]


def timed(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.read()}")
    return wall, usage.ru_maxrss / 1024


def project(root: Path, users: int, days: int, seed: int) -> Path:
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data"))
    subprocess.run([*PROFILES, "sample-data", "generate", "-p", str(root), "--users", str(users),
                    "--days", str(days), "--seed", str(seed)], check=True, capture_output=True)
    return root


def one_day_copy(src: Path, dst: Path) -> Path:
    """The same rows, every timestamp moved to the last day (time of day kept): one partition."""
    import duckdb

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("profiles.duckdb*", "dagster_home", "partitions.json",
                                                           "reports"))
    landing = dst / "data" / "landing"
    for table in [p for p in landing.iterdir() if p.is_dir() and not p.name.startswith("_")]:
        days = sorted(p.name for p in table.iterdir() if p.name.startswith("dt="))
        last = days[-1].removeprefix("dt=")
        rows = f"read_parquet('{table}/dt=*/*.parquet', hive_partitioning = false, union_by_name = true)"
        tmp = dst / f"{table.name}.parquet"
        duckdb.sql(f"COPY (SELECT * REPLACE (CAST('{last}' AS DATE) + CAST(timestamp AS TIME) AS timestamp) "
                   f"FROM {rows}) TO '{tmp}' (FORMAT parquet)")
        shutil.rmtree(table)
        (table / f"dt={last}").mkdir(parents=True)
        tmp.rename(table / f"dt={last}" / "part-0.parquet")
    return dst


def reset(root: Path) -> None:
    for name in ("profiles.duckdb", "profiles.duckdb.wal", "partitions.json"):
        (root / "data" / name).unlink(missing_ok=True)
    shutil.rmtree(root / "data" / "dagster_home", ignore_errors=True)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def bench(days: int, users: int, repeat: int, work: Path) -> dict:
    a = project(work / f"history_{days}", users, days, seed=days)
    b = one_day_copy(a, work / f"one_day_{days}")
    first, one, peaks = [], [], []
    for _ in range(repeat):
        for root, out in ((a, first), (b, one)):
            reset(root)
            wall, peak = timed([*PROFILES, "run", "-p", str(root)])
            out.append(wall)
            if root is a:
                peaks.append(peak)
    subprocess.run([*PROFILES, "sample-data", "append", "-p", str(a)], check=True, capture_output=True)
    next_day = [timed([*PROFILES, "run", "-p", str(a)])[0]]
    nothing = [timed([*PROFILES, "run", "-p", str(a)])[0] for _ in range(repeat)]
    return {"days": days, "first": median(first), "one_day": median(one), "next": median(next_day),
            "nothing": median(nothing), "peak": max(peaks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, nargs="+", default=[120, 365])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the projects (printed) instead of deleting them")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_history_"))
    try:
        print(f"{args.users} people, `profiles run` as a fresh process, median of {args.repeat}")
        print(f"{'days':>5} {'first run':>10} {'one day':>8} {'ratio':>6} {'next day':>9} {'of first':>9} "
              f"{'nothing new':>12} {'peak MiB':>9}")
        for n in args.days:
            r = bench(n, args.users, args.repeat, work)
            print(f"{r['days']:>5} {r['first']:>9.1f}s {r['one_day']:>7.1f}s {r['first'] / r['one_day']:>5.2f}x "
                  f"{r['next']:>8.1f}s {r['next'] / r['first']:>8.0%} {r['nothing']:>11.1f}s {r['peak']:>9.0f}",
                  flush=True)
        print("targets: first run / one day <= 1.5x; next day <= 10% of the first run; nothing new <= 3 s")
    finally:
        if args.keep:
            print(f"projects kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))
    main()
