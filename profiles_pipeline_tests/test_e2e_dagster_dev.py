"""The real `dagster dev` on the example project: sensor on through GraphQL, a day of events
appended with `profiles sample-data append`, the sensor's run materializes it.

Starts webserver + daemon on a free localhost port with a temporary DAGSTER_HOME holding the
repository's dagster.yaml, and kills the whole process group at the end.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOCATION, REPOSITORY, SENSOR = "profiles_pipeline", "__repository__", "profiles_new_events"
DAY1, DAY2 = date(2026, 1, 1), date(2026, 1, 2)
TIMEOUT = 180

RUNS = """query($day: String!) { runsOrError(filter: {tags: [{key: "dagster/partition", value: $day}]}) {
  ... on Runs { results { runId status startTime endTime tags { key value } } } } }"""
START_SENSOR = """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) {
  __typename ... on Sensor { sensorState { status } } ... on PythonError { message } } }"""
MATERIALIZATIONS = """query($path: [String!]!, $day: String!) { assetOrError(assetKey: {path: $path}) {
  ... on Asset { assetMaterializations(partitions: [$day]) { partition runId
    metadataEntries { label ... on IntMetadataEntry { intValue } } } } } }"""


def _profiles(*args) -> None:
    subprocess.run([str(BIN / "profiles"), *map(str, args)], check=True, capture_output=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str, **variables) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.load(response)
    assert "errors" not in payload, payload
    return payload["data"]


def _wait(what: str, probe, deadline: float):
    while time.monotonic() < deadline:
        try:
            value = probe()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {TIMEOUT}s waiting for {what}")


def _finished_run(port: int, day: date) -> dict | None:
    runs = _graphql(port, RUNS, day=day.isoformat())["runsOrError"]["results"]
    assert all(r["status"] not in ("FAILURE", "CANCELED") for r in runs), runs
    return next((r for r in runs if r["status"] == "SUCCESS"), None)


@pytest.mark.slow
def test_sensor_run_in_dagster_dev(tmp_path: Path) -> None:
    project, home = tmp_path / "project", tmp_path / "dagster_home"
    shutil.copytree(REPO / "config", project, ignore=shutil.ignore_patterns("data"))
    home.mkdir()
    _profiles("sample-data", "generate", "-p", project, "--users", "40", "--days", "1",
              "--start-date", DAY1.isoformat())
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "PROFILES_PROJECT_DIR": str(project),
        "PROFILES_SENSOR_INTERVAL_SECONDS": "5",
    }
    log = (tmp_path / "dagster_dev.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "dagster"), "dev", "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + TIMEOUT
    try:
        _wait("the webserver", lambda: _graphql(port, "{ version }"), deadline)
        selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": SENSOR}
        started = _wait(
            "the code location to load",
            lambda: _graphql(port, START_SENSOR, s=selector)["startSensor"].get("sensorState"),
            deadline,
        )
        assert started["status"] == "RUNNING"

        first = _wait("the run for day 1", lambda: _finished_run(port, DAY1), deadline)
        _profiles("sample-data", "append", "-p", project, "--day", DAY2.isoformat())
        second = _wait("the sensor's run for day 2", lambda: _finished_run(port, DAY2), deadline)

        tags = {t["key"]: t["value"] for t in second["tags"]}
        assert tags["dagster/sensor_name"] == SENSOR and tags["dagster/run_key"].startswith("2026-01-02:")
        assert first["endTime"] <= second["startTime"], "DuckDB runs must not overlap"
        id_graph = ["identity", "user_id_stitcher", "id_graph"]
        mats = _graphql(port, MATERIALIZATIONS, path=id_graph, day=DAY2.isoformat())
        [mat] = mats["assetOrError"]["assetMaterializations"]
        figures = {e["label"]: e.get("intValue") for e in mat["metadataEntries"]}
        assert mat["runId"] == second["runId"] and figures["dagster/row_count"] > 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        print((tmp_path / "dagster_dev.log").read_text()[-3000:])
