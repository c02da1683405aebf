"""Measure the sample-data generator: rows per second and bytes on disk for a given size.

python bench/sample_data.py --users 1000000 --days 30
python bench/sample_data.py --users 10000 --days 7 --out /tmp/landing --keep
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from profiles_pipeline.sample_data import append_day, generate


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--out", type=Path, default=None, help="landing zone folder (default: a temp folder)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the output instead of deleting it"
    )
    args = parser.parse_args()

    out = args.out or Path(tempfile.mkdtemp(prefix="bench_sample_data_")) / "landing"
    cpu0 = time.process_time()
    summary = generate(
        out,
        args.users,
        args.days,
        seed=args.seed,
        progress=lambda msg, done, total: print(f"  {msg} ({done}/{total})", flush=True),
    )
    cpu = time.process_time() - cpu0
    size = _size(out)
    print(
        f"generate: users={args.users:,} days={args.days} rows={summary.total_rows:,} "
        f"files={summary.files} identifiers={summary.identifiers:,}"
    )
    for table, rows in summary.tables.items():
        print(f"  {table:16s} {rows:>14,} rows")
    print(
        f"  wall {summary.seconds:.1f}s  cpu {cpu:.1f}s  {summary.total_rows / summary.seconds:,.0f} rows/s  "
        f"on disk {size / 1e6:,.1f} MB ({size / max(summary.total_rows, 1):.1f} B/row)  cores={os.cpu_count()}"
    )

    appended = append_day(out)
    print(
        f"append_day {appended.dates[0]}: rows={appended.total_rows:,} in {appended.seconds:.1f}s "
        f"({appended.total_rows / appended.seconds:,.0f} rows/s, includes rebuilding the population "
        "and merging the ground truth)"
    )
    if not args.keep:
        shutil.rmtree(out.parent if args.out is None else out)
    else:
        print(f"kept {out}")


if __name__ == "__main__":
    main()
