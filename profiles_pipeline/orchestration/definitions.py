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
from profiles_pipeline.orchestration.naming import PLAIN, Naming
from profiles_pipeline.orchestration.partitions import daily_partitions
from profiles_pipeline.orchestration.resources import WarehouseResource, warehouse_for
from profiles_pipeline.orchestration.sensors import (
    bring_forward_sensor,
    landing_zone_sensor,
    warehouse_events_sensor,
    watched_inputs,
)
from profiles_pipeline.pipeline.graph import ProjectGraph
from profiles_pipeline.warehouse.registry import adapter_class

#: Seconds between two looks at the landing zone (the e2e test shortens it).
SENSOR_INTERVAL_ENV = "PROFILES_SENSOR_INTERVAL_SECONDS"


def definitions_for_graph(
    graph: ProjectGraph,
    *,
    warehouse: WarehouseResource,
    landing_zone: Path | None = None,
    sensor_interval_seconds: int = 30,
    naming: Naming = PLAIN,
) -> dg.Definitions:
    """Assets, checks, the daily job, its schedule and the new-events sensor for `graph`, named
    by `naming`. The job selects only this project's assets and runs them in one process; the
    code location's own executor (for assets launched outside the job) is left to its owner."""
    partitions = daily_partitions(graph)
    assets = build_assets(graph, naming)
    job = daily_job(partitions, [key for a in assets for key in a.keys], naming)
    sensors = []
    if landing_zone is not None:
        sensors.append(landing_zone_sensor(job, landing_zone, partitions, sensor_interval_seconds, naming))
    sources = watched_inputs(graph)
    if sources and not adapter_class(graph.warehouse_kind).reads_local_files:
        sensors.append(warehouse_events_sensor(job, sources, partitions, naming=naming))
    if any(s.cumulative for s in graph.steps):
        sensors.append(bring_forward_sensor(job, graph, sensor_interval_seconds, naming))
    return dg.Definitions(
        assets=assets,
        jobs=[job],
        schedules=[daily_schedule(job)],
        sensors=sensors,
        resources={naming.resource_key: warehouse},
    )


def build_definitions(project_dir: Path | None = None, project=None, *, naming: Naming = PLAIN,
                      connection: str | None = None) -> dg.Definitions:
    """Definitions for the project in `project_dir` (default: `$PROFILES_PROJECT_DIR` or config/);
    `project`: the project already loaded from there (not read again); `connection`: a siteconfig
    connection to use instead of the one pb_project.yaml names. The code location of
    `workspace.yaml` (one project, plain names) also sets the in-process executor for every run."""
    project_dir = (
        Path(project_dir).resolve() if project_dir else project_graph.project_dir_from_env()
    )
    settings, graph = project_graph.load(project_dir, project, connection=connection)
    landing = settings.landing_zone if adapter_class(graph.warehouse_kind).reads_local_files else None
    defs = definitions_for_graph(
        graph,
        warehouse=warehouse_for(settings),
        landing_zone=landing,
        sensor_interval_seconds=int(os.environ.get(SENSOR_INTERVAL_ENV, "30")),
        naming=naming,
    )
    if naming is PLAIN:
        return dg.Definitions.merge(defs, dg.Definitions(executor=dg.in_process_executor))
    return defs
