"""Runs whose process died: found by the process id each run records, marked failed.

A run killed with `kill -9` (or a machine that lost power) cannot say it ended: Dagster keeps it
STARTED, and with it the warehouse pool's one slot. Every run records its process id and host in
the tags `profiles/pid` and `profiles/host` at its first step; `fail_dead_runs` marks failed
those whose process is gone (`profiles run` calls it before running, and the run launcher's health
check — used by Dagster's run monitoring in the daemon — asks `worker_alive`).
"""

from __future__ import annotations

import os
import socket
import time

import dagster as dg

PID_TAG = "profiles/pid"
HOST_TAG = "profiles/host"
#: When the run held the warehouse's writer lock: "<since>" while it holds it, "<since>-<until>"
#: after (Unix seconds), so the run records show that writers never overlapped.
LOCK_HELD_TAG = "profiles/writer_lock"
#: A run that has not recorded its process this long after it started never reached a step.
SILENT_START_SECONDS = 180

_ACTIVE = (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING)


def process_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_alive(run: dg.DagsterRun, started_at: float | None = None) -> bool | None:
    """True/False when the run's process can be checked from here; None when it cannot (another
    host, or not recorded yet and too recent to tell)."""
    pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
    if pid is None:
        if started_at is not None and time.time() - started_at > SILENT_START_SECONDS:
            return False
        return None
    if host != socket.gethostname():
        return None
    return _alive(int(pid))


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every active run whose process is gone; returns their run ids."""
    failed = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=list(_ACTIVE))):
        run = record.dagster_run
        if worker_alive(run, record.start_time) is False:
            instance.report_run_failed(run, message=f"the process of run {run.run_id} (pid "
                                       f"{run.tags.get(PID_TAG, 'unknown')}) is gone: it was killed")
            failed.append(run.run_id)
    return failed


def other_active_runs(instance: dg.DagsterInstance, pool: str) -> list[dg.DagsterRun]:
    """Runs in progress that write the pool `pool` (what the daemon's queue counts)."""
    out = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=list(_ACTIVE))):
        concurrency = record.dagster_run.run_op_concurrency
        if concurrency and pool in (concurrency.all_pools or []):
            out.append(record.dagster_run)
    return out


def wait_for_pool(instance: dg.DagsterInstance, pool: str, on_wait=None, poll_seconds: float = 1.0) -> list[str]:
    """Wait while runs writing `pool` are in progress (marking dead ones failed first): a run
    from the terminal goes after the runs the daemon already launched, as the queue would
    order it. Returns the ids of the dead runs it marked failed."""
    failed = fail_dead_runs(instance)
    told = False
    while active := other_active_runs(instance, pool):
        if on_wait and not told:
            on_wait(active)
            told = True
        time.sleep(poll_seconds)
        failed += fail_dead_runs(instance)
    return failed
