"""The real `dagster dev` on the example project: sensor on through GraphQL, a day of events
appended with `profiles sample-data append`, the sensor's run materializes it — while a
`profiles run` from the terminal writes the same warehouse, and run monitoring frees a run whose
process was killed.

Webserver and daemon on a free localhost port, DAGSTER_HOME the project's own instance folder
(`<project>/data/dagster_home`, the one `profiles run` records in) holding the repository's
dagster.yaml; the whole process group is killed at the end.
"""

import shutil
import socket
import subprocess
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from profiles_pipeline.orchestration.run_health import HOST_TAG, PID_TAG
from profiles_pipeline_tests.fixtures.dagster_dev import (
    MATERIALIZATIONS,
    SENSOR,
    dagster_dev,
    wait_for,
)
from profiles_pipeline_tests.fixtures.reliability import (
    instance_runs,
    lock_intervals,
    overlaps,
    profiles,
)

REPO = Path(__file__).resolve().parents[1]
DAY1, DAY2 = date(2026, 1, 1), date(2026, 1, 2)
TIMEOUT = 240


def _finished_run(dev, day: date) -> dict | None:
    """The sensor's successful run for `day` (any failed run for it fails the test)."""
    runs = dev.runs(dagster__partition=day.isoformat())
    assert all(r["status"] not in ("FAILURE", "CANCELED") for r in runs), runs
    return next((r for r in runs if r["status"] == "SUCCESS"
                 and any(t["key"] == "dagster/sensor_name" for t in r["tags"])), None)


def _plant_killed_run(home: Path) -> str:
    """A run recorded STARTED whose process is gone, as `kill -9` leaves one."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = create_run_for_test(instance, job_name="profiles_daily", status=dg.DagsterRunStatus.STARTED,
                                  tags={PID_TAG: str(gone.pid), HOST_TAG: socket.gethostname()})
    return run.run_id


@pytest.mark.slow
def test_sensor_run_cli_run_and_run_monitoring_in_dagster_dev(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO / "config", project, ignore=shutil.ignore_patterns("data", "output"))
    home = project / "data" / "dagster_home"
    done = profiles(project, "sample-data", "generate", "-p", project, "--users", "40", "--days", "1",
                    "--start-date", DAY1.isoformat())
    assert done.returncode == 0, done.stderr
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    killed = _plant_killed_run(home)
    deadline = time.monotonic() + TIMEOUT
    log = tmp_path / "dagster_dev.log"
    try:
        with dagster_dev(project, home, log, deadline=deadline) as dev:
            assert dev.start_sensor(deadline) == "RUNNING"
            first = wait_for("the run for day 1", lambda: _finished_run(dev, DAY1), deadline)

            # a new day: the sensor launches its run while a terminal run writes the same file
            done = profiles(project, "sample-data", "append", "-p", project, "--day", DAY2.isoformat())
            assert done.returncode == 0, done.stderr
            wait_for("the sensor to launch day 2", lambda: dev.runs(dagster__sensor_name=SENSOR,
                                                                     dagster__partition=DAY2.isoformat()),
                     deadline, every=0.2)
            terminal = profiles(project, "run", "-p", project, timeout=TIMEOUT)
            assert terminal.returncode == 0, terminal.stdout + terminal.stderr
            second = wait_for("the sensor's run for day 2", lambda: _finished_run(dev, DAY2), deadline)

            tags = {t["key"]: t["value"] for t in second["tags"]}
            assert tags["dagster/sensor_name"] == SENSOR and tags["dagster/run_key"].startswith("2026-01-02:")
            assert first["endTime"] <= second["startTime"], "DuckDB runs must not overlap"
            id_graph = ["identity", "user_id_stitcher", "id_graph"]
            mats = dev.graphql(MATERIALIZATIONS, path=id_graph, day=DAY2.isoformat())
            by_run = {m["runId"]: m for m in mats["assetOrError"]["assetMaterializations"]}
            # the sensor's run and the terminal's; the terminal's writes nothing when the sensor's run
            # finished first and left nothing new (which one waits depends on timing)
            idle = "Nothing to do" in " ".join(terminal.stdout.split())
            assert len(by_run) == (1 if idle else 2), (by_run, terminal.stdout)
            figures = {e["label"]: e.get("intValue") for e in by_run[second["runId"]]["metadataEntries"]}
            assert figures["dagster/row_count"] > 0

            # run monitoring (the daemon, asking the launcher's health check) freed the killed run
            wait_for("run monitoring to fail the killed run",
                     lambda: [r for r in dev.runs() if r["runId"] == killed and r["status"] == "FAILURE"], deadline)
    finally:
        print(log.read_text()[-3000:] if log.exists() else "(no log)")
    runs = instance_runs(project)
    writers = [r for r in runs if r["tags"].get("profiles/writer_lock")]
    assert len(writers) >= (2 if idle else 3), writers  # the sensor's two runs and the terminal's (unless idle)
    assert overlaps(lock_intervals(runs)) == [], "two runs held the writer lock at once"
    assert [r["run_id"] for r in runs if r["status"] in ("STARTED", "STARTING", "QUEUED")] == []
