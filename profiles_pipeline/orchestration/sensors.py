"""Sensors that start the daily job when new events arrive, and bring stale days forward.

The landing-zone sensor (DuckDB) compares file fingerprints with its cursor; the warehouse
sensor (Snowflake inputs) compares per-day row counts and latest event times (`watermarks`).
Either asks for one run over the affected days (a range is one run, see `partitions`); the run
key carries the days' fingerprint, so a rewritten file runs again while an unchanged one never
does. A day before the latest (late data) recomputes that day only; the bring-forward sensor
then sees later partitions older than an earlier one and asks for one run over them, in order,
after which what is published includes the late rows.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from profiles_pipeline.orchestration import landing, watermarks
from profiles_pipeline.orchestration.assets import asset_key
from profiles_pipeline.orchestration.naming import PLAIN, Naming
from profiles_pipeline.orchestration.partitions import partition_day, range_tags
from profiles_pipeline.orchestration.resources import WarehouseResource
from profiles_pipeline.pipeline.graph import ProjectGraph

LANDING_SENSOR = "profiles_new_events"
FORWARD_SENSOR = "profiles_bring_forward"


def days_request(days: list[str], digest: str, tags: dict[str, str] | None = None) -> dg.RunRequest:
    """One run over the days `days` (their whole span: the id graph needs the days between)."""
    first, last = min(days), max(days)
    extra = dict(tags or {})
    if first == last:
        return dg.RunRequest(run_key=f"{first}:{digest}", partition_key=first, tags=extra)
    return dg.RunRequest(run_key=f"{first}..{last}:{digest}",
                         tags={**extra, **range_tags(partition_day(first), partition_day(last))})


def landing_zone_sensor(
    job: dg.UnresolvedAssetJobDefinition,
    landing_zone: Path,
    partitions_def: dg.TimeWindowPartitionsDefinition,
    minimum_interval_seconds: int = 30,
    naming: Naming = PLAIN,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=naming.name(LANDING_SENSOR),
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        description=f"Runs the days whose event files are new or changed under {landing_zone}.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        previous = landing.decode_cursor(context.cursor)
        current = landing.scan(landing_zone)
        ready = []
        for change in landing.changed_days(previous, current):
            if not partitions_def.has_partition_key(change.day):
                # Not a partition yet (in the future, or before the start): look again later.
                context.log.info(f"day {change.day} is not a partition yet; will retry")
                current = landing.forget_day(current, previous, change.day)
                continue
            ready.append(change)
        requests = []
        if ready:
            digest = landing.digest_of([c.fingerprint for c in ready])
            files = sum(len(c.files) for c in ready)
            requests.append(days_request([c.day for c in ready], digest, {"profiles/changed_files": str(files)}))
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
    naming: Naming = PLAIN,
) -> dg.SensorDefinition:
    """For inputs in a shared warehouse (safe to read while a run writes, unlike DuckDB)."""

    @dg.sensor(
        name=naming.name(WAREHOUSE_SENSOR),
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        description="Runs the days whose input row counts or latest event time changed.",
        required_resource_keys={naming.resource_key},
    )
    def _sensor(context: dg.SensorEvaluationContext, **resources: object) -> dg.SensorResult:
        # Dagster passes required resources by key (the key is per project, so not a named parameter)
        warehouse: WarehouseResource = resources[naming.resource_key]  # type: ignore[assignment]
        previous = watermarks.decode(context.cursor)
        with warehouse.get_adapter() as adapter:
            current = watermarks.read_watermarks(adapter, sources)
        ready = []
        for day in watermarks.changed_days(previous, current):
            if not partitions_def.has_partition_key(day):
                current = watermarks.forget_day(current, previous, day)
                continue
            ready.append(day)
        requests = []
        if ready:
            digest = landing.digest_of([watermarks.day_digest(current, d) for d in ready])
            requests.append(days_request(ready, digest))
        return dg.SensorResult(run_requests=requests, cursor=watermarks.encode(current))

    return _sensor


def stale_range(storage_ids: dict[str, int]) -> tuple[str, str, int] | None:
    """(first, last, newest id) of the partitions materialized before an earlier partition's
    latest materialization: each builds on the one before it, so they are out of date."""
    newest, first = 0, None
    for key in sorted(storage_ids):
        if first is None and storage_ids[key] < newest:
            first = key
        newest = max(newest, storage_ids[key])
    return (first, max(storage_ids), newest) if first else None


def bring_forward_sensor(
    job: dg.UnresolvedAssetJobDefinition, graph: ProjectGraph, minimum_interval_seconds: int = 30,
    naming: Naming = PLAIN,
) -> dg.SensorDefinition:
    """Re-runs, as one run and in order, the days materialized before an earlier day was
    re-run (a late file, a re-run from the UI). Reads only Dagster's event log."""
    keys = [asset_key(s, naming) for s in graph.steps if s.cumulative]

    @dg.sensor(
        name=naming.name(FORWARD_SENSOR),
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        description="Brings forward the days that are older than an earlier day's latest run, so "
        "the published outputs include late data.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        requests = []
        for key in keys:
            ids = context.instance.get_latest_storage_id_by_partition(key, dg.DagsterEventType.ASSET_MATERIALIZATION)
            found = stale_range(ids)
            if found:
                first, last, newest = found
                requests.append(days_request([first, last], f"forward{newest}"))
                break
        return dg.SensorResult(run_requests=requests)

    return _sensor
