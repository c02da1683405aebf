"""The project's graph as Dagster definitions: assets, checks, a daily job, schedule, sensors.

Importing this module loads no project; `code_location.defs` (what `workspace.yaml` loads) does.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from profiles_pipeline.orchestration import project_graph
from profiles_pipeline.orchestration.assets import build_assets
from profiles_pipeline.orchestration.jobs import daily_job, daily_schedule
from profiles_pipeline.orchestration.partitions import daily_partitions
from profiles_pipeline.orchestration.resources import WarehouseResource
from profiles_pipeline.orchestration.sensors import (
    landing_zone_sensor,
    warehouse_events_sensor,
    watched_inputs,
)
from profiles_pipeline.pipeline.graph import ProjectGraph


def definitions_for_graph(
    graph: ProjectGraph,
    *,
    warehouse: WarehouseResource,
    landing_zone: Path | None = None,
    sensor_interval_seconds: int = 30,
) -> dg.Definitions:
    """Assets, checks, the daily job, its schedule and the new-events sensor for `graph`."""
    partitions = daily_partitions(graph)
    job = daily_job(partitions)
    sensors = []
    if landing_zone is not None:
        sensors.append(landing_zone_sensor(job, landing_zone, partitions, sensor_interval_seconds))
    sources = watched_inputs(graph)
    if sources and graph.warehouse_kind != "duckdb":
        sensors.append(warehouse_events_sensor(job, sources, partitions))
    return dg.Definitions(
        assets=build_assets(graph),
        jobs=[job],
        schedules=[daily_schedule(job)],
        sensors=sensors,
        resources={"warehouse": warehouse},
        executor=dg.in_process_executor,
    )


def build_definitions(project_dir: Path | None = None) -> dg.Definitions:
    """Definitions for the project in `project_dir` (default: `$PROFILES_PROJECT_DIR` or config/)."""
    project_dir = Path(project_dir).resolve() if project_dir else project_graph.project_dir_from_env()
    graph = project_graph.load_graph(project_dir)
    warehouse = WarehouseResource(
        kind=graph.warehouse_kind, duckdb_path=str(project_graph.duckdb_path(project_dir))
    )
    return definitions_for_graph(
        graph, warehouse=warehouse, landing_zone=project_graph.landing_zone(project_dir)
    )

