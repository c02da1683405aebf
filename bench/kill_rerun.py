"""Kill -9 a `profiles run` at random moments, run it again, compare with a run never killed.

    python bench/kill_rerun.py [--trials 20] [--users 300] [--days 5] [--seed 7]

Each trial copies a sample project, starts `profiles run` as a fresh process (its own process
group), kills the group with SIGKILL after a random delay, then runs `profiles run` again. Four
trials in five kill within the Dagster run (a random moment of an uninterrupted run's length
after the run is recorded), the fifth while the command plans, before Dagster starts. Odd trials kill a first run (every day in one pass), even
ones the run of a new day appended to a published project. A trial passes when the rerun exits
0, every published table equals the uninterrupted run's (bookkeeping columns aside: run ids,
compute times, surrogate node numbers), nothing an interrupted run leaves is left (scratch
tables and views, a staging copy, an unpublished note), and no run is left STARTED in the
project's Dagster instance. It prints one row per trial, with the step the kill interrupted.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from profiles_pipeline_tests.fixtures.reliability import (  # noqa: E402 - shared with the tests
    instance_runs,
    kill_group,
    last_step_started,
    leftovers_in,
    outputs_digest,
    profiles,
    start_profiles,
)

START = date(2026, 1, 1)


def timed_run(project: Path) -> tuple[float, float]:
    """(seconds of the whole command, seconds of its Dagster run)."""
    started = time.perf_counter()
    done = profiles(project, "run", "-p", project)
    assert done.returncode == 0, done.stdout + done.stderr
    [run] = [r for r in instance_runs(project)][:1]
    return time.perf_counter() - started, run["end"] - run["start"]


def _new_run(project: Path, known: set[str], proc) -> bool:
    """Wait until the command's Dagster run is recorded (False: the command ended first)."""
    while proc.poll() is None:
        if any(r["run_id"] not in known for r in instance_runs(project)):
            return True
        time.sleep(0.05)
    return False


def trial(number: int, kind: str, source: Path, workdir: Path, delay: float, in_run: bool, reference: dict,
          new_day: date) -> dict:
    """`delay` seconds after the start of the command (`in_run` False) or of its Dagster run."""
    project = workdir / f"trial{number:02d}"
    shutil.copytree(source, project)
    if kind == "new day":
        profiles(project, "sample-data", "append", "-p", project, "--day", new_day)
    known = {r["run_id"] for r in instance_runs(project)}
    proc = start_profiles(project, "run", "-p", project, log=workdir / f"trial{number:02d}.log")
    if in_run:
        _new_run(project, known, proc)
    time.sleep(delay)
    finished_first = proc.poll() is not None
    kill_group(proc)
    killed = [r for r in instance_runs(project) if r["run_id"] not in known]
    step = last_step_started(project, killed[0]["run_id"]) if killed else "(before Dagster started)"
    rerun = profiles(project, "run", "-p", project)
    text = rerun.stdout + rerun.stderr
    digest = outputs_digest(project)
    differ = sorted(k for k in reference.keys() | digest.keys() if reference.get(k) != digest.get(k))
    started = [r["run_id"] for r in instance_runs(project) if r["status"] in ("STARTED", "STARTING", "CANCELING")]
    return {"trial": number, "kind": kind, "delay": delay, "step": "(run had ended)" if finished_first else step,
            "exit": rerun.returncode, "identical": not differ, "differ": differ, "leftovers": leftovers_in(project),
            "started": started, "said_interrupted": "interrupted" in text, "traceback": "Traceback" in text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    new_day = START + timedelta(days=args.days)
    with tempfile.TemporaryDirectory(prefix="profiles-kill-") as tmp:
        workdir = Path(tmp)
        fresh = workdir / "fresh"
        shutil.copytree(REPO / "config", fresh, ignore=shutil.ignore_patterns("data", "output"))
        profiles(fresh, "sample-data", "generate", "-p", fresh, "--users", args.users, "--days", args.days,
                 "--start-date", START)
        published = workdir / "published"
        shutil.copytree(fresh, published)
        first_seconds, first_in_run = timed_run(published)
        reference_first = outputs_digest(published)
        next_day = workdir / "next_day"
        shutil.copytree(published, next_day)
        profiles(next_day, "sample-data", "append", "-p", next_day, "--day", new_day)
        next_seconds, next_in_run = timed_run(next_day)
        reference_next = outputs_digest(next_day)
        print(f"uninterrupted: first run {first_seconds:.1f} s (its Dagster run {first_in_run:.1f} s), new day "
              f"{next_seconds:.1f} s ({next_in_run:.1f} s); {args.users} users, {args.days} days\n")
        print(f"{'#':>2}  {'kind':9} {'kill at':>12}  {'interrupted step':38} exit  same  leftovers  STARTED")
        rows = []
        for number in range(1, args.trials + 1):
            kind = "first run" if number % 2 else "new day"
            # one kill in five while the command plans; the others within its Dagster run
            in_run = number % 5 != 0
            whole, dagster = (first_seconds, first_in_run) if kind == "first run" else (next_seconds, next_in_run)
            delay = rng.uniform(0.0, 0.95 * dagster) if in_run else rng.uniform(0.3, max(0.4, whole - dagster - 0.5))
            row = trial(number, kind, fresh if kind == "first run" else published, workdir, delay, in_run,
                        reference_first if kind == "first run" else reference_next, new_day)
            rows.append(row)
            print(f"{number:>2}  {kind:9} {delay:5.1f}s {'in run' if in_run else 'command':6}  {row['step'][:38]:38} {row['exit']:>4}  "
                  f"{'yes' if row['identical'] else 'NO':4}  {len(row['leftovers']):>9}  {len(row['started']):>7}"
                  + (f"   differ: {', '.join(row['differ'])}" if row["differ"] else "")
                  + (f"   left: {', '.join(row['leftovers'])}" if row["leftovers"] else "")
                  + ("   TRACEBACK" if row["traceback"] else ""), flush=True)
        identical = sum(r["identical"] and r["exit"] == 0 for r in rows)
        print(f"\n{identical}/{len(rows)} reruns identical to an uninterrupted run; "
              f"{sum(len(r['leftovers']) for r in rows)} leftovers; {sum(len(r['started']) for r in rows)} runs left "
              f"STARTED; {sum(r['step'] == '(run had ended)' for r in rows)} kills came after the run ended; "
              f"steps interrupted: {len({r['step'] for r in rows})} different")


if __name__ == "__main__":
    main()
