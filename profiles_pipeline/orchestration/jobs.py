"""The daily job over the whole graph and the morning schedule for the previous day."""

from __future__ import annotations

import dagster as dg

DAILY_JOB = "profiles_daily"
SCHEDULE_HOUR = 6


def daily_job(partitions_def: dg.PartitionsDefinition) -> dg.UnresolvedAssetJobDefinition:
    """Every asset for one day, steps one after another in one process (one DuckDB writer)."""
    return dg.define_asset_job(
        name=DAILY_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions_def,
        executor_def=dg.in_process_executor,
        description="Inputs, id graph, features, feature views and cohorts for one day.",
    )


def daily_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Each morning at 06:00 UTC, run yesterday's partition (the last complete day)."""
    return dg.build_schedule_from_partitioned_job(
        job, name=f"{DAILY_JOB}_schedule", hour_of_day=SCHEDULE_HOUR
    )
