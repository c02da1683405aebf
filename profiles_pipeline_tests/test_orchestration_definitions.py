"""The code location as `dagster dev` loads it: workspace.yaml validates, dagster.yaml serializes."""

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg

FIXTURES = Path(__file__).parent / "fixtures" / "orchestration"
sys.path.insert(0, str(FIXTURES))
import small_graph as sg  # noqa: E402

from profiles_pipeline.orchestration.definitions import build_definitions  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DAGSTER = Path(sys.executable).parent / "dagster"


def _small_project(root: Path) -> Path:
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "pb_project.yaml").write_text("name: small\nschema_version: 72\nlanding_zone: events_in\n")
    sg.write_day(root / "events_in", date(2026, 1, 1), ["a"])
    return root


def _env(project: Path, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PROFILES_PROJECT_DIR": str(project),
        "PROFILES_GRAPH_MODULE": "small_graph:graph_for_project",
        "PYTHONPATH": os.pathsep.join([str(FIXTURES), str(REPO)]),
        "DAGSTER_HOME": str(home),
    }


def test_build_definitions_reads_the_project_folder(tmp_path: Path, monkeypatch) -> None:
    project = _small_project(tmp_path / "proj")
    monkeypatch.setenv("PROFILES_GRAPH_MODULE", "small_graph:graph_for_project")
    defs = build_definitions(project)
    with dg.instance_for_test():  # resolving needs a live instance (an earlier test's is gone)
        specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert sorted(specs) == ["cohorts/active_users", "features/user/activity", "inputs/events"]
    activity = specs["features/user/activity"]
    assert activity.group_name == "features" and activity.kinds == {"duckdb"}
    assert activity.description == "Events per user so far."
    assert {d.asset_key.to_user_string() for d in activity.deps} == {"inputs/events", "features/user/activity"}
    assert {a.node_def.pool for a in defs.assets} == {"profiles_duckdb"}  # the pool dagster.yaml limits to 1
    sensor = defs.resolve_sensor_def("profiles_new_events")
    assert str(project / "events_in") in sensor.description
    warehouse = defs.resources["warehouse"]
    assert warehouse.project_dir == str(project)


def test_workspace_validates_and_dagster_yaml_limits_the_duckdb_pool(tmp_path: Path) -> None:
    project, home = _small_project(tmp_path / "proj"), tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    done = subprocess.run(
        [str(DAGSTER), "definitions", "validate", "-w", str(REPO / "workspace.yaml")],
        cwd=REPO, env=_env(project, home), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr

    with dg.DagsterInstance.from_config(str(home)) as instance:
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1 and pools.pool_granularity.value == "run"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"


def test_user_text_never_goes_in_dagster_tags(tmp_path: Path) -> None:
    """Dagster tags take 63 characters of [A-Za-z0-9_.-]; a warehouse table name is often longer
    (it crashed the run with a tag error): the sensor's watch goes in the asset's metadata."""
    project = tmp_path / "p"
    shutil.copytree(REPO / "config", project, ignore=shutil.ignore_patterns("data", "output"))
    long_name = "rudder_events_production_warehouse_database.website_events_schema_v2.identifies"
    inputs = project / "models" / "inputs.yaml"
    inputs.write_text(inputs.read_text().replace("rudder_events.website.identifies", long_name))
    defs = build_definitions(project)
    with dg.instance_for_test():
        specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    identifies = specs["inputs/identifies"]
    assert identifies.metadata["source_table"] == long_name and identifies.metadata["occurred_at"] == "timestamp"
    assert all(len(v) <= 63 for s in specs.values() for v in s.tags.values())
