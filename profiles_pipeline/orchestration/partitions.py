"""Daily partitions and the RunContext a step gets for one partition."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import dagster as dg

from profiles_pipeline.pipeline.graph import ProjectGraph, RunContext

#: Cumulative steps read their own previous day; this mapping makes Dagster order backfills.
PREVIOUS_DAY = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


def daily_partitions(graph: ProjectGraph) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=graph.partitions_start.isoformat())


def partition_day(partition_key: str) -> date:
    return date.fromisoformat(partition_key)


def end_of_day(day: date) -> datetime:
    """The exclusive end of `day` in UTC without a zone, like the events' timestamps."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


def run_context(partition_key: str, run_id: str, rebase: bool = False) -> RunContext:
    day = partition_day(partition_key)
    return RunContext(day=day, end_time=end_of_day(day), run_id=run_id, rebase=rebase)
