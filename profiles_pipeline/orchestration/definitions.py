"""The project's graph as Dagster definitions: assets, checks, a daily job, schedule, sensors.

Importing this module loads no project; `code_location.defs` (what `workspace.yaml` loads) does.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from profiles_pipeline.orchestration import project_graph
from profiles_pipeline.orchestration.assets import build_assets
from profiles_pipeline.orchestration.jobs import daily_job, daily_schedule
from profiles_pipeline.orchestration.partitions import daily_partitions
from profiles_pipeline.orchestration.resources import WarehouseResource, warehouse_for
from profiles_pipeline.orchestration.sensors import (
    bring_forward_sensor,
    landing_zone_sensor,
    warehouse_events_sensor,
    watched_inputs,
)
from profiles_pipeline.pipeline.graph import ProjectGraph

#: Seconds between two looks at the landing zone (the e2e test shortens it).
SENSOR_INTERVAL_ENV = "PROFILES_SENSOR_INTERVAL_SECONDS"


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
    if any(s.cumulative for s in graph.steps):
        sensors.append(bring_forward_sensor(job, graph, sensor_interval_seconds))
    return dg.Definitions(
        assets=build_assets(graph),
        jobs=[job],
        schedules=[daily_schedule(job)],
        sensors=sensors,
        resources={"warehouse": warehouse},
        executor=dg.in_process_executor,
    )


def build_definitions(project_dir: Path | None = None, project=None) -> dg.Definitions:
    """Definitions for the project in `project_dir` (default: `$PROFILES_PROJECT_DIR` or config/);
    `project`: the project already loaded from there (not read again)."""
    project_dir = (
        Path(project_dir).resolve() if project_dir else project_graph.project_dir_from_env()
    )
    settings, graph = project_graph.load(project_dir, project)
    landing = settings.landing_zone if graph.warehouse_kind == "duckdb" else None
    return definitions_for_graph(
        graph,
        warehouse=warehouse_for(settings),
        landing_zone=landing,
        sensor_interval_seconds=int(os.environ.get(SENSOR_INTERVAL_ENV, "30")),
    )
