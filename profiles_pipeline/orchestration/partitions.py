"""Daily partitions, and the RunContext a step gets for the partitions of its run.

A run covers one partition or a range of them (a backfill runs as one run: every asset has a
single-run backfill policy). Its last partition is computed as of the run tag
`profiles/end_time` when given (an instant on that day; `profiles run` sets it to the latest
event), else as of the end of that day.

`profiles run` materializes only the last partition of what it covers and names its first day
in the tag `profiles/first_day`: the steps cover every day from there in one pass, while
Dagster records one materialization per asset (recording one per asset and day costs Dagster
about 25 ms each, minutes for a year of history) whose metadata names the days covered.
"""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg

from profiles_pipeline.instants import end_of_day
from profiles_pipeline.pipeline.graph import ProjectGraph, RunContext

#: Cumulative steps read their own previous day; this mapping makes Dagster order backfills.
PREVIOUS_DAY = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
#: Run tags: the instant the last partition is computed as of; "store a snapshot, publish
#: nothing" (an end time earlier than what is published); rebuild the id graph from scratch.
END_TIME_TAG = "profiles/end_time"
SNAPSHOT_TAG = "profiles/snapshot"
FIRST_DAY_TAG = "profiles/first_day"
BEGIN_TIME_TAG = "profiles/begin_time"
REBASE_TAG = "profiles/rebase"
#: train the propensity models now, even those still valid (on demand, from the Dagster UI)
RETRAIN_TAG = "profiles/retrain"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def daily_partitions(graph: ProjectGraph) -> dg.DailyPartitionsDefinition:
    """From the project's first day through today (today's partition holds what has arrived), or
    through the latest event's day when the data is dated after today."""
    from profiles_pipeline.instants import now

    ahead = (graph.partitions.last - now().date()).days if graph.partitions.last else 0
    return dg.DailyPartitionsDefinition(start_date=graph.partitions_start.isoformat(), end_offset=max(1, ahead + 1))


def partition_day(partition_key: str) -> date:
    return date.fromisoformat(partition_key)


def run_context(first_key: str, last_key: str, run_id: str, tags: dict[str, str]) -> RunContext:
    """The RunContext of a run over the partitions `first_key` .. `last_key`, given its tags."""
    first, last = partition_day(first_key), partition_day(last_key)
    if tags.get(FIRST_DAY_TAG):
        first = min(first, partition_day(tags[FIRST_DAY_TAG]))
    end = datetime.fromisoformat(tags[END_TIME_TAG]) if tags.get(END_TIME_TAG) else end_of_day(last)
    if end.date() != last:
        raise dg.Failure(f"run tag {END_TIME_TAG}={tags[END_TIME_TAG]} is not on the run's last partition {last}")
    flag = lambda name: tags.get(name, "false").lower() == "true"  # noqa: E731
    begin = datetime.fromisoformat(tags[BEGIN_TIME_TAG]) if tags.get(BEGIN_TIME_TAG) else None
    return RunContext(day=last, end_time=end, run_id=run_id, rebase=flag(REBASE_TAG), first_day=first,
                      snapshot=flag(SNAPSHOT_TAG), begin_time=begin, retrain=flag(RETRAIN_TAG))


def range_tags(first: date, last: date) -> dict[str, str]:
    """Tags that make one run cover the partitions `first` .. `last`."""
    return {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
