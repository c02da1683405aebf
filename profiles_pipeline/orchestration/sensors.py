"""Sensors that start the daily job when new events arrive.

The landing-zone sensor (DuckDB) compares file fingerprints with its cursor and asks for one
run per affected day; the run key carries the day's fingerprint, so a rewritten file runs
the day again while an unchanged one never does. The warehouse sensor (Snowflake inputs)
compares per-day row counts and max event time, see `watermarks`.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from profiles_pipeline.orchestration import landing, watermarks
from profiles_pipeline.orchestration.resources import WarehouseResource
from profiles_pipeline.pipeline.graph import ProjectGraph

LANDING_SENSOR = "profiles_new_events"


def landing_zone_sensor(
    job: dg.UnresolvedAssetJobDefinition,
    landing_zone: Path,
    partitions_def: dg.TimeWindowPartitionsDefinition,
    minimum_interval_seconds: int = 30,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=LANDING_SENSOR,
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        description=f"Runs the days whose event files are new or changed under {landing_zone}.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        previous = landing.decode_cursor(context.cursor)
        current = landing.scan(landing_zone)
        requests = []
        for change in landing.changed_days(previous, current):
            if not partitions_def.has_partition_key(change.day):
                # Not a partition yet (today, or before the start): look again on a later tick.
                context.log.info(f"day {change.day} is not a partition yet; will retry")
                current = landing.forget_day(current, previous, change.day)
                continue
            requests.append(
                dg.RunRequest(
                    run_key=f"{change.day}:{change.fingerprint}",
                    partition_key=change.day,
                    tags={"profiles/changed_files": str(len(change.files))},
                )
            )
        return dg.SensorResult(run_requests=requests, cursor=landing.encode_cursor(current))

    return _sensor


WAREHOUSE_SENSOR = "profiles_new_warehouse_events"
#: Tags an input step sets so the warehouse sensor knows what to watch.
SOURCE_TABLE_TAG = "profiles/source_table"
OCCURRED_AT_TAG = "profiles/occurred_at"


def watched_inputs(graph: ProjectGraph) -> list[watermarks.WatchedInput]:
    return [
        watermarks.WatchedInput(step.path, step.tags[SOURCE_TABLE_TAG], step.tags[OCCURRED_AT_TAG])
        for step in graph.steps
        if step.kind == "input" and SOURCE_TABLE_TAG in step.tags and OCCURRED_AT_TAG in step.tags
    ]


def warehouse_events_sensor(
    job: dg.UnresolvedAssetJobDefinition,
    sources: list[watermarks.WatchedInput],
    partitions_def: dg.TimeWindowPartitionsDefinition,
    minimum_interval_seconds: int = 300,
) -> dg.SensorDefinition:
    """For inputs in a shared warehouse (safe to read while a run writes, unlike DuckDB)."""

    @dg.sensor(
        name=WAREHOUSE_SENSOR,
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        description="Runs the days whose input row counts or latest event time changed.",
    )
    def _sensor(
        context: dg.SensorEvaluationContext, warehouse: WarehouseResource
    ) -> dg.SensorResult:
        previous = watermarks.decode(context.cursor)
        with warehouse.get_adapter() as adapter:
            current = watermarks.read_watermarks(adapter, sources)
        requests = []
        for day in watermarks.changed_days(previous, current):
            if not partitions_def.has_partition_key(day):
                current = watermarks.forget_day(current, previous, day)
                continue
            digest = watermarks.day_digest(current, day)
            requests.append(dg.RunRequest(run_key=f"{day}:{digest}", partition_key=day))
        return dg.SensorResult(run_requests=requests, cursor=watermarks.encode(current))

    return _sensor
