"""The daily job over the whole graph and the morning schedule for the previous day."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from profiles_pipeline.orchestration.naming import PLAIN, Naming

DAILY_JOB = "profiles_daily"
SCHEDULE_HOUR = 6


def daily_job(partitions_def: dg.PartitionsDefinition, keys: list[dg.AssetKey] | None = None,
              naming: Naming = PLAIN) -> dg.UnresolvedAssetJobDefinition:
    """The project's assets (`keys`; default: every asset) for one day, steps one after another
    in one process (one DuckDB writer)."""
    return dg.define_asset_job(
        name=naming.name(DAILY_JOB),
        selection=dg.AssetSelection.assets(*keys) if keys is not None else dg.AssetSelection.all(),
        partitions_def=partitions_def,
        executor_def=dg.in_process_executor,
        description="Inputs, id graph, features, feature views and cohorts for one day.",
    )


def daily_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Each morning at 06:00 UTC, run yesterday's partition (the last complete day; today's
    partition exists too, for the sensor, and is not complete yet)."""

    @dg.schedule(name=f"{job.name}_schedule", cron_schedule=f"0 {SCHEDULE_HOUR} * * *", job=job,
                 execution_timezone="UTC", description="Yesterday's partition, each morning at 06:00 UTC.")
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=day, partition_key=day)

    return _schedule
