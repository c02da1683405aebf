"""Reliability with real parts: the writer lock across processes, readers during a run, runs
killed with SIGKILL at each kind of moment and run again, dead runs found by run monitoring's
health check, and the blocking check that keeps a run pointing at unknown people unpublished.

Every run here is `profiles` in a fresh process on a copy of the example project (300 people,
5 days) with its own Dagster instance folder; the kills are real SIGKILLs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.test_utils import create_run_for_test

from profiles_pipeline.orchestration.run_health import HOST_TAG, PID_TAG, fail_dead_runs
from profiles_pipeline.orchestration.run_launcher import ProfilesRunLauncher
from profiles_pipeline.warehouse import writer_lock
from profiles_pipeline_tests.fixtures.bad_files import published_digest
from profiles_pipeline_tests.fixtures.reliability import (
    instance_runs,
    leftovers_in,
    lock_intervals,
    outputs_digest,
    overlaps,
    profiles,
    query_consistency,
    start_profiles,
)

REPO = Path(__file__).resolve().parents[1]
START, NEW_DAY = date(2026, 1, 1), date(2026, 1, 6)
_BUILT: dict[str, Path] = {}


def _dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


# ---- the writer lock ------------------------------------------------------------------------

HOLD = """
import sys, time
from profiles_pipeline.warehouse import writer_lock
writer_lock.acquire(sys.argv[1], "holder")
print("held", flush=True)
time.sleep(600)
"""


def test_writer_lock_excludes_other_processes_and_outlives_a_killed_holder(tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(database)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert writer_lock.acquire(database, "second", timeout=0.6) is None, "two writers held the lock"
        assert writer_lock.holder(database)["pid"] == holder.pid
        # readers that take it shared wait for the writer too
        assert writer_lock.acquire(database, "validate", shared=True, timeout=0.6) is None
    finally:
        holder.kill()
        holder.wait()
    previous = writer_lock.acquire(database, "after the kill", timeout=5)
    try:
        assert previous is not None, "the OS must drop a killed holder's lock"
        assert previous["released"] is False and previous["pid"] == holder.pid  # it died holding it
        assert writer_lock.acquire(database, "nested", timeout=0) == {}  # this process nests
        writer_lock.release(database)
        assert writer_lock.holder(database)["released"] is False  # still held by the outer level
    finally:
        writer_lock.release(database)
    again = writer_lock.acquire(database, "again", timeout=0)
    assert again is not None and again["released"] is True and again["owner"] == "after the kill"
    writer_lock.release(database)


# ---- dead runs: the health check run monitoring asks, and the sweep `profiles run` makes -------


def test_health_check_fails_runs_whose_process_is_gone() -> None:
    with dg.instance_for_test() as instance:
        launcher = ProfilesRunLauncher()
        launcher.register_instance(instance)
        host = {HOST_TAG: socket.gethostname()}
        dead = create_run_for_test(instance, job_name="j", status=dg.DagsterRunStatus.STARTED,
                                   tags={PID_TAG: str(_dead_pid()), **host})
        alive = create_run_for_test(instance, job_name="j", status=dg.DagsterRunStatus.STARTED,
                                    tags={PID_TAG: str(os.getpid()), **host})
        starting = create_run_for_test(instance, job_name="j", status=dg.DagsterRunStatus.STARTED)
        elsewhere = create_run_for_test(instance, job_name="j", status=dg.DagsterRunStatus.STARTED,
                                        tags={PID_TAG: str(_dead_pid()), HOST_TAG: "another-host"})
        statuses = {run.run_id: launcher.check_run_worker_health(run).status.value
                    for run in (dead, alive, starting, elsewhere)}
        assert statuses == {dead.run_id: "FAILED", alive.run_id: "RUNNING", starting.run_id: "RUNNING",
                            elsewhere.run_id: "RUNNING"}
        assert fail_dead_runs(instance) == [dead.run_id]
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED


def test_shipped_instance_settings_monitor_runs_with_the_health_check(tmp_path: Path) -> None:
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_launcher, ProfilesRunLauncher)
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["start_timeout_seconds"] > 0
        assert instance.run_monitoring_settings["cancel_timeout_seconds"] > 0


# ---- runs of a real project ------------------------------------------------------------------


def _fresh(tmp_path_factory) -> Path:
    """The example project with 5 days of sample data, never run (built once per process)."""
    if "fresh" not in _BUILT:
        root = tmp_path_factory.mktemp("reliability") / "fresh"
        shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
        done = profiles(root, "sample-data", "generate", "-p", root, "--users", 300, "--days", 5,
                        "--start-date", START)
        assert done.returncode == 0, done.stderr
        _BUILT["fresh"] = root
    return _BUILT["fresh"]


def _copy(source: Path, target: Path, *, new_day: bool = False) -> Path:
    shutil.copytree(source, target)
    if new_day:
        assert profiles(target, "sample-data", "append", "-p", target, "--day", NEW_DAY).returncode == 0
    return target


def _ran(project: Path) -> Path:
    done = profiles(project, "run", "-p", project)
    assert done.returncode == 0, done.stdout + done.stderr
    return project


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict:
    """An uninterrupted first run, and an uninterrupted run of the next day after it."""
    if "published" not in _BUILT:
        root = tmp_path_factory.mktemp("references")
        published = _ran(_copy(_fresh(tmp_path_factory), root / "published"))
        next_day = _ran(_copy(published, root / "next_day", new_day=True))
        _BUILT.update(published=published, next_day=next_day)
    return {"fresh": _fresh(tmp_path_factory), "published": _BUILT["published"],
            "first run": outputs_digest(_BUILT["published"]), "new day": outputs_digest(_BUILT["next_day"])}


@pytest.mark.slow
def test_readers_during_a_run_never_fail_nor_see_half_a_run(references, tmp_path: Path) -> None:
    """`profiles query` in fresh processes, and a connection held open for the whole run, while
    `profiles run --rebase` rewrites every table: no read fails, none sees a feature-view or
    cohort id the graph lacks, and the run is not blocked."""
    project = _copy(references["published"], tmp_path / "p")
    held = duckdb.connect(str(project / "data" / "profiles.published.duckdb"), read_only=True)
    before = held.execute("SELECT count(*) FROM user_feature_view").fetchone()
    run = start_profiles(project, "run", "-p", project, "--rebase", log=tmp_path / "run.log")
    reads = []
    while run.poll() is None and len(reads) < 40:
        reads.append(query_consistency(project))
    assert run.wait(timeout=300) == 0, (tmp_path / "run.log").read_text()
    reads.append(query_consistency(project))  # and after it
    assert len(reads) >= 3, "the run ended before the readers could look"
    assert [r.error for r in reads if not r.ok] == []
    assert [r for r in reads if r.dangling] == []
    assert {r.feature_rows for r in reads} == {before[0]}  # the same data: the same answer all along
    assert held.execute("SELECT count(*) FROM user_feature_view").fetchone() == before  # an old reader keeps reading
    held.close()


KILL_MOMENTS = [
    # (what the run was doing, the moment, which run)
    ("first step: the lock taken, nothing written", "start:inputs/identifies", "new day"),
    ("edges of the new day extracted", "end:identity/user_id_stitcher/edges", "new day"),
    ("the id graph stitched, features not", "end:identity/user_id_stitcher/id_graph", "new day"),
    ("features written, their checks not run", "checks:features/user", "new day"),
    ("features done, views and cohorts not (the warehouse ahead of readers' copy)", "end:features/user",
     "first run"),
    ("the last cohort written", "end:feature_views/high_value_users_by_email", "new day"),
    ("readers' copy written, not swapped in", "publish", "first run"),
]


@pytest.mark.slow
@pytest.mark.parametrize("what, moment, kind", KILL_MOMENTS, ids=[m[1] for m in KILL_MOMENTS])
def test_killed_run_rerun_ends_as_if_never_killed(references, tmp_path: Path, what: str, moment: str,
                                                 kind: str) -> None:
    source = references["fresh"] if kind == "first run" else references["published"]
    project = _copy(source, tmp_path / "p", new_day=kind == "new day")
    before = published_digest(project)
    killed = subprocess.run([sys.executable, "-m", "profiles_pipeline_tests.fixtures.killed_run", moment,
                             "run", "-p", str(project)], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "DAGSTER_HOME": str(project / "data" / "dagster_home")})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert published_digest(project) == before, "a killed run must publish nothing"
    assert [r for r in instance_runs(project) if r["status"] == "STARTED"], "the killed run is left STARTED"

    rerun = profiles(project, "run", "-p", project)
    text = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, text
    assert "was interrupted" in text and "marked failed" in text
    assert outputs_digest(project) == references[kind], what
    assert leftovers_in(project) == []
    runs = instance_runs(project)
    assert [r["run_id"] for r in runs if r["status"] in ("STARTED", "STARTING", "CANCELING")] == []
    assert overlaps(lock_intervals(runs)) == []
    assert "nothing new" in profiles(project, "run", "-p", project).stdout  # and then it rests


@pytest.mark.slow
def test_outputs_pointing_outside_the_graph_fail_the_blocking_check_and_publish_nothing(
        references, tmp_path: Path, monkeypatch) -> None:
    """A person the id graph does not have, planted in the published features snapshot: the
    cohort built from it fails `ids_in_id_graph`, the run fails, readers keep the previous state,
    and the warehouse is noted as ahead of the copy."""
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.orchestration.local_run import run_local

    project = _copy(references["published"], tmp_path / "p")
    before = published_digest(project)
    con = duckdb.connect(str(project / "data" / "profiles.duckdb"))
    [(end,)] = con.execute("SELECT max(valid_at) FROM user_var_table").fetchall()
    con.execute("INSERT INTO user_var_table (user_main_id, latest_email, total_revenue, valid_at) "
                "VALUES ('nobody-in-the-graph', 'nobody@example.com', 1e9, ?)", [end])
    con.close()
    monkeypatch.setenv("DAGSTER_HOME", str(project / "data" / "dagster_home"))
    loaded = project_loading.load(project)
    with pytest.raises(Exception, match="value\(s\) in known_users are not in the id graph") as failed:
        run_local(project, loaded.graph, end.date(), end, select=["cohorts/known_users"], project=loaded.project)
    assert "nobody-in-the-graph" in str(failed.value)
    assert published_digest(project) == before, "a run failing a blocking check must publish nothing"
    assert (project / "data" / "profiles.duckdb.unpublished").exists()


def test_lock_intervals_overlap_detection() -> None:
    """The soak's one-writer measure finds an overlap when there is one."""
    runs = [{"run_id": "a", "tags": {"profiles/writer_lock": "10.0-20.0"}},
            {"run_id": "b", "tags": {"profiles/writer_lock": "20.5-30.0"}},
            {"run_id": "c", "tags": {"profiles/writer_lock": "25.0-26.0"}}]
    assert overlaps(lock_intervals(runs)) == [("b", "c")]
    assert overlaps(lock_intervals(runs[:2])) == []
