"""What readers' copy costs: the publish a run ends with, against the run it ends.

    python bench/publish_cost.py [--users 2000 20000] [--days 14]

For each size: sample data, a first `profiles run` (a fresh process, as a user runs it), then
the publish alone (`publish_for_readers` over the relations a run publishes, the call the run's
end makes) on that warehouse, three times, median; and the sizes of the warehouse file and of
the copy. The ratio is the publish's share of the whole run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from profiles_pipeline.pipeline.readers import reader_relations  # noqa: E402
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter, readers_path  # noqa: E402
from profiles_pipeline_tests.fixtures.reliability import profiles  # noqa: E402

#: The example project's inputs (read from its landing zone: no such tables in the warehouse).
INPUTS = {"identifies", "tracks", "pages", "order_completed"}


def measure(users: int, days: int, workdir: Path) -> dict:
    project = workdir / f"shop_{users}"
    shutil.copytree(REPO / "config", project, ignore=shutil.ignore_patterns("data", "output"))
    profiles(project, "sample-data", "generate", "-p", project, "--users", users, "--days", days)
    started = time.perf_counter()
    done = profiles(project, "run", "-p", project, timeout=1800)
    run_seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stdout + done.stderr
    database = project / "data" / "profiles.duckdb"
    adapter = DuckDBAdapter(str(database))
    try:
        relations = reader_relations(adapter, INPUTS)
        times = []
        for _ in range(3):
            began = time.perf_counter()
            adapter.publish_for_readers(relations)
            times.append(time.perf_counter() - began)
    finally:
        adapter.close()
    publish = statistics.median(times)
    return {"users": users, "days": days, "run": run_seconds, "publish": publish, "relations": len(relations),
            "warehouse_mb": database.stat().st_size / 2**20, "copy_mb": readers_path(database).stat().st_size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    print(f"{'people':>7} {'days':>4} {'profiles run':>12} {'publish':>8} {'share':>6} {'relations':>9} "
          f"{'warehouse':>10} {'copy':>8}")
    with tempfile.TemporaryDirectory(prefix="profiles-publish-") as tmp:
        for users in args.users:
            m = measure(users, args.days, Path(tmp))
            print(f"{m['users']:>7,} {m['days']:>4} {m['run']:>11.1f}s {m['publish']:>7.2f}s "
                  f"{m['publish'] / m['run']:>6.1%} {m['relations']:>9} {m['warehouse_mb']:>8.1f}MB "
                  f"{m['copy_mb']:>6.1f}MB", flush=True)


if __name__ == "__main__":
    main()
