"""Soak: readers, the sensor and the terminal on one DuckDB warehouse for minutes.

    python bench/soak.py [--minutes 5] [--users 300] [--append-every 30] [--query-every 0.5] [--rebase-every 2]

Starts the real `dagster dev` (webserver and daemon, loopback) on a copy of the example project
with the new-events sensor on, then for `--minutes`:
- appends a day of sample events every `--append-every` seconds (the sensor launches its runs);
- runs `profiles run` from the terminal again and again, 3 s apart, every `--rebase-every`th
  with `--rebase` (a rebuild of every day, so the terminal writes while the sensor does);
- starts a `profiles query` process every `--query-every` seconds that reads the id graph, the
  feature view, the email-keyed view and a cohort in one statement.
Then it lets the runs in flight finish and prints: queries made, failed and inconsistent (a
feature-view, cohort or email-view id the graph lacks); runs by origin and status; how many
runs held the writer lock at once (from each run's `profiles/writer_lock` tag, since-until) and
how many were in progress at once (a run waiting for the lock counts there: honest about queued
work, not a second writer).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from profiles_pipeline_tests.fixtures.dagster_dev import dagster_dev  # noqa: E402 - shared with the tests
from profiles_pipeline_tests.fixtures.reliability import (  # noqa: E402
    instance_runs,
    leftovers_in,
    lock_intervals,
    most_at_once,
    overlaps,
    profiles,
    query_consistency,
)

START = date(2026, 1, 1)
FIRST_DAYS = 3
ACTIVE = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


class Soak:
    def __init__(self, project: Path, args) -> None:
        self.project, self.args = project, args
        self.stop = threading.Event()
        self.reads: list[tuple[float, float, object]] = []  # (issued at, seconds, Read)
        self.terminal: list[tuple[float, float, int, str]] = []  # (start, seconds, exit, what it said)
        self.appended: list[date] = []
        self.lock = threading.Lock()

    def append_days(self) -> None:
        day = START + timedelta(days=FIRST_DAYS)
        while not self.stop.wait(self.args.append_every):
            done = profiles(self.project, "sample-data", "append", "-p", self.project, "--day", day)
            if done.returncode == 0:
                self.appended.append(day)
            day += timedelta(days=1)

    def run_from_terminal(self) -> None:
        count = 0
        while not self.stop.is_set():
            count += 1
            rebase = self.args.rebase_every and count % self.args.rebase_every == 0
            started = time.time()
            done = profiles(self.project, "run", "-p", self.project, *(["--rebase"] if rebase else []), timeout=900)
            text = done.stdout + done.stderr
            said = "nothing new" if "nothing new" in text else ("waited" if "waiting for" in text else "ran")
            said += " (--rebase)" if rebase else ""
            self.terminal.append((started, time.time() - started, done.returncode, said if done.returncode == 0
                                  else text.strip()[-300:]))
            self.stop.wait(3)

    def query(self, issued: float) -> None:
        began = time.perf_counter()
        read = query_consistency(self.project)
        with self.lock:
            self.reads.append((issued, time.perf_counter() - began, read))

    def query_often(self, pool: ThreadPoolExecutor) -> None:
        next_at = time.monotonic()
        while not self.stop.is_set():
            pool.submit(self.query, time.time())
            next_at += self.args.query_every
            self.stop.wait(max(0.0, next_at - time.monotonic()))


def _drain(project: Path, seconds: float) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runs = instance_runs(project)
        if not [r for r in runs if r["status"] in ACTIVE]:
            return runs
        time.sleep(2)
    return instance_runs(project)


def report(soak: Soak, runs: list[dict], seconds: float) -> None:
    reads = [r for _, _, r in soak.reads]
    failed = [r for r in reads if not r.ok]
    inconsistent = [r for r in reads if r.ok and r.dangling]
    latencies = sorted(s for _, s, _ in soak.reads)
    states = sorted({(r.people, r.feature_rows) for r in reads if r.ok})
    print(f"\nsoak of {soak.args.minutes:g} min of load ({seconds / 60:.1f} min until the last worker stopped): "
          f"{len(soak.appended)} days appended "
          f"({soak.appended[0] if soak.appended else '-'} .. {soak.appended[-1] if soak.appended else '-'})")
    print(f"queries: {len(reads)} made, {len(failed)} failed, {len(inconsistent)} inconsistent; "
          f"latency median {statistics.median(latencies):.2f} s, p95 {latencies[int(0.95 * (len(latencies) - 1))]:.2f} s; "
          f"{len(states)} published states seen (people, feature rows): {states[0]} .. {states[-1]}")
    for r in failed[:5]:
        print(f"  failed: {r.error}")
    said = {}
    for _, _, code, what in soak.terminal:
        said[(code, what if code == 0 else "error")] = said.get((code, what if code == 0 else "error"), 0) + 1
    print(f"terminal `profiles run`: {len(soak.terminal)} ({', '.join(f'{n} exit {c} {w}' for (c, w), n in said.items())})")
    for _, _, code, what in soak.terminal:
        if code != 0:
            print(f"  exit {code}: {what}")
    by = {}
    for run in runs:
        origin = "sensor" if "dagster/sensor_name" in run["tags"] else "terminal"
        by[(origin, run["status"])] = by.get((origin, run["status"]), 0) + 1
    print(f"Dagster runs: {len(runs)} ({', '.join(f'{n} {o} {s}' for (o, s), n in sorted(by.items()))})")
    held = lock_intervals(runs)
    in_progress = [(r["start"], r["end"] or time.time()) for r in runs if r["start"]]
    print(f"writer lock: {len(held)} holds, {len(overlaps(held))} overlapping pairs, at most "
          f"{most_at_once([(s, e) for s, e, _ in held])} held at once; runs in progress at once (waiting "
          f"for the lock included): at most {most_at_once(in_progress)}")
    print(f"left STARTED or queued: {len([r for r in runs if r['status'] in ACTIVE])}; "
          f"leftovers in the warehouse: {leftovers_in(soak.project) or 0}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--append-every", type=float, default=30)
    parser.add_argument("--query-every", type=float, default=0.5)
    parser.add_argument("--rebase-every", type=int, default=2,
                        help="every Nth terminal run is `profiles run --rebase` (it always writes); 0: never")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profiles-soak-") as tmp:
        project = Path(tmp) / "shop"
        shutil.copytree(REPO / "config", project, ignore=shutil.ignore_patterns("data", "output"))
        profiles(project, "sample-data", "generate", "-p", project, "--users", args.users, "--days", FIRST_DAYS,
                 "--start-date", START)
        assert profiles(project, "run", "-p", project).returncode == 0
        soak = Soak(project, args)
        log = Path(tmp) / "dagster_dev.log"
        with dagster_dev(project, project / "data" / "dagster_home", log) as dev:
            assert dev.start_sensor(time.monotonic() + 180) == "RUNNING"
            began = time.monotonic()
            with ThreadPoolExecutor(max_workers=6) as pool:
                workers = [threading.Thread(target=soak.append_days), threading.Thread(target=soak.run_from_terminal),
                           threading.Thread(target=soak.query_often, args=(pool,))]
                for w in workers:
                    w.start()
                time.sleep(args.minutes * 60)
                soak.stop.set()
                for w in workers:
                    w.join()
            seconds = time.monotonic() - began
            runs = _drain(project, 300)
        report(soak, runs, seconds)


if __name__ == "__main__":
    main()
