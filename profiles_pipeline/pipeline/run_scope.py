"""What a run covers: its partitions, its end time, and why — decided once, before Dagster starts.

- no end time given: as of the latest event across the inputs (now when an input has no event
  time, or none has rows); a bare date is the end of that day;
- the first run (or `rebase`): every day from the first partition, in one run;
- an end time earlier than what is published: that instant is stored as a snapshot; nothing
  published moves;
- otherwise the days whose input rows changed since the last run (late data) or that are new,
  through the end time's day; nothing changed and the end time already published: nothing to do
  (unless the last run wrote without publishing readers' copy: its last day again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from profiles_pipeline.errors import UserError
from profiles_pipeline.features.grains import boundary as grain_boundary
from profiles_pipeline.features.grains import project_default_grain
from profiles_pipeline.instants import format_instant, now
from profiles_pipeline.pipeline.input_days import (
    InputDay,
    bad_file_days,
    changed_days,
    default_end,
    first_day,
    latest_event,
    read_input_days,
    recorded,
)


@dataclass(frozen=True)
class RunScope:
    first_day: date
    last_day: date
    end_time: datetime
    reason: str
    first_partition: date
    published: datetime | None
    noop: bool = False
    snapshot: bool = False
    rebase: bool = False
    end_from: str = "given"  # "given", "latest event", "now"
    begin_time: datetime | None = None

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def published_instant(adapter, project) -> datetime | None:
    """The instant the published outputs are as of: the latest features snapshot (an id graph
    ahead of it is a run that did not finish, which the next run completes); the id graphs' head
    for a project without vars."""
    from profiles_pipeline.pipeline.snapshots import graph_head, published_at

    if any(project.entity_vars_for(e.name) for e in project.entities):
        return published_at(adapter, project)
    found = [h for e in project.entities if project.edge_sources_for(e.name)
             if (h := graph_head(adapter, project, e.name)) is not None]
    return max(found) if found else None


def plan_run(project, adapter, *, end_time: datetime | None = None, rebase: bool = False,
             days: list[InputDay] | None = None, begin_time: datetime | None = None,
             unfinished: dict | None = None) -> RunScope:
    """The scope of `profiles run` on `project` now. `unfinished`: the note of a run that wrote
    without publishing (`warehouse.unpublished`): nothing new then still runs the last day."""
    days = read_input_days(adapter, project) if days is None else days
    latest = latest_event(days)
    end, end_from = (end_time, "given") if end_time else default_end(days)
    if (grain := project_default_grain(project)) and (floored := grain_boundary(grain, end)) != end:
        end, end_from = floored, f"{end_from}, at the last {grain} boundary: pb's default time grain of a project " \
                                 "whose cohort has a time_grain"
    first = project.config.partitions_start or first_day(days) or end.date()
    horizon = max([now().date(), *(d.day for d in days if d.day is not None)])
    if end.date() > horizon:
        raise UserError(f"the end time {format_instant(end)} is after today and after the latest event "
                        f"({format_instant(latest) if latest else 'none'}); daily partitions end on {horizon}")
    if end.date() < first:
        raise UserError(f"nothing to run: the end time {format_instant(end)} is before the first partition "
                        f"{first} ({'partitions_start in pb_project.yaml' if project.config.partitions_start else 'the earliest event'})")
    published = published_instant(adapter, project)
    if end_time is None and published is not None and end < published:
        # Published as of a later instant than the latest event (a partition run as of the end of
        # its day): a run without an end time never goes back, it starts from what is published.
        end, end_from = published, "what is published"
    scope = dict(last_day=end.date(), end_time=end, first_partition=first, published=published, end_from=end_from)
    if begin_time is not None:
        if begin_time > end:
            raise UserError(f"--begin-time {format_instant(begin_time)} is after the end time {format_instant(end)}")
        return RunScope(first_day=min(max(first, begin_time.date()), end.date()), rebase=True, begin_time=begin_time,
                        reason=f"rows from {format_instant(begin_time)} on only (--begin-time): rebuilt from that day",
                        **scope)
    if (before := stored_begin(adapter, project)) is not None:
        return RunScope(first_day=first, rebase=True, reason=(
            f"the last run read rows from {format_instant(before)} on only: rebuilt with every row"), **scope)
    if rebase:
        return RunScope(first_day=first, reason="rebase: every day rebuilt in one run", rebase=True, **scope)
    if published is None:
        return RunScope(first_day=first, reason="first run: every day in one run", **scope)
    if end < published:
        return RunScope(first_day=end.date(), snapshot=True, reason=(
            f"end time earlier than what is published ({format_instant(published)}): stored as a snapshot, "
            "published outputs unchanged"), **scope)
    held_back = bad_file_days(adapter, project)
    changed = [d or first for d in changed_days(recorded(adapter), days) if d not in held_back]
    changed = [max(d, first) for d in changed if d <= end.date()]
    late = [d for d in changed if d <= published.date()]
    if _redefined(adapter, project):
        return RunScope(first_day=min([end.date(), *late]), reason="the project changed since the last run: "
                        "recomputed as of the end time (older snapshots of the old definition are dropped)", **scope)
    if late:
        return RunScope(first_day=min(late), reason=f"input rows changed for {_days_text(late)} (late data): "
                        "recomputed from there", **scope)
    if not changed and end == published and unfinished:
        return RunScope(first_day=end.date(), reason=(
            f"the last run ({str(unfinished.get('run_id', '?'))[:8]}) wrote without publishing (killed or failed): "
            "its last day is run again and published"), **scope)
    if not changed and (end == published or (end_from.startswith("now") and end > published)):
        # With an input that has no event time the end time is now, which always moves: when no
        # input changed, the published outputs stand (an explicit --end-time recomputes them).
        return RunScope(first_day=end.date(), noop=True, reason="nothing new since the last run", **scope)
    # The published day is complete unless rows for it changed (then it is late, above): the
    # run starts the day after, or on the end time's day when that is the published one.
    start = min(max(published.date() + timedelta(days=1), first), end.date())
    new = [d for d in changed if d >= start]
    why = f"{_days_text(new)} new" if new else "a later end time"
    return RunScope(first_day=start, reason=why, **scope)


def _stored_definitions(adapter, project) -> set[str]:
    from profiles_pipeline.features.snapshots import stored_definition
    from profiles_pipeline.pipeline.snapshots import var_table

    return {d for e in project.entities if (d := stored_definition(adapter, var_table(e.name))) is not None}


def _redefined(adapter, project) -> bool:
    """Whether the published snapshots were computed from other project files."""
    stored = {d.split("|")[0] for d in _stored_definitions(adapter, project)}
    return bool(stored) and stored != {project.fingerprint()}


def stored_begin(adapter, project) -> datetime | None:
    """The begin time the published snapshots were computed from (None: every row)."""
    for d in _stored_definitions(adapter, project):
        begin = d.partition("|begin=")[2]
        if begin:
            return datetime.fromisoformat(begin)
    return None


def _days_text(days: list[date]) -> str:
    days = sorted(set(days))
    if len(days) == 1:
        return f"1 day ({days[0]})"
    return f"{len(days)} days ({days[0]} .. {days[-1]})"
