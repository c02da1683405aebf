"""`stitch`: bring the id graph to `end_time` for the partitions `first_day` .. day(end_time).

The head (node and link stores, what `<stitcher>` shows) is the graph at the latest
checkpoint; the history holds every id's main id at each checkpoint kept. Modes:

- `incremental`: one day after (or the same day as) the head, nothing pending before it: the
  day's edges are merged into the head and the ids whose main id changed get a new history row.
- `full` (first run, `rebase`, changed guards) and `range` (several days, or late edges for a day
  before the head): the head is rebuilt as of `end_time` and the history of the window's
  checkpoints is computed in one pass (`history.py`).
- `window`: the partitions end before the head (an old partition re-run, late data): only the
  window's history is recomputed; the head and what is published stay as they are, and the
  later partitions are stale until brought forward.
- `snapshot`: an explicit end time earlier than the head: its checkpoint is added, nothing else.
- `noop`: the head is at `end_time` already and nothing is pending: nothing is written.

A day records the head instant it was merged through; it is pending while that is before the
run's end and on or before the day itself (a partly covered day). Extracting a day again (late
data) makes it pending, so the next run that moves the head is a `range` from that day.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from sqlglot import exp

from profiles_pipeline.identity import history_store as store
from profiles_pipeline.identity.cluster_rules import needs_replay, relabelled_clusters
from profiles_pipeline.identity.full import full_rebuild
from profiles_pipeline.identity.graph_input import build_graph_input
from profiles_pipeline.identity.history import Checkpoints, build_history
from profiles_pipeline.identity.incremental import drop_scratch, incremental_merge
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.region import drop_region, rebuild_region
from profiles_pipeline.identity.report import StitchReport, build_report
from profiles_pipeline.identity.sqlbits import date_lit, lit, ts_lit
from profiles_pipeline.identity.tables import (
    DAY_EDGES_COLUMNS,
    EXCLUDED_COLUMNS,
    STATE_COLUMNS,
    StitcherTables,
    ensure_days_table,
    ensure_table,
)
from profiles_pipeline.identity.views import create_views
from profiles_pipeline.instants import start_of_day
from profiles_pipeline.warehouse.sqltree import drop, literal, rows, run

Mode = Literal["full", "range", "incremental", "window", "snapshot", "noop"]


@dataclass(frozen=True)
class StitchResult:
    graph_table: str
    edges_table: str
    merges_table: str
    audit_table: str
    mode: Mode
    days_merged: list[date]
    graph_rows: int
    clusters: int | None  # from the report (None when with_report=False)
    passes: int
    converged: bool
    merges: int
    seconds: float
    stale_days: list[date] = field(default_factory=list)
    report: StitchReport | None = None
    #: The checkpoints whose history this run wrote, and the head after it.
    checkpoints: list[datetime] = field(default_factory=list)
    head: datetime | None = None
    history_rows: int = 0
    retention_dropped: int = 0
    #: ids an incremental day rebuilt because it touched a cluster rule's decisions (`region.py`)
    rules_region_ids: int = 0

    def as_metadata(self) -> dict:
        """Flat JSON-able figures (Dagster metadata, CLI)."""
        skip = ("report", "days_merged", "stale_days", "checkpoints", "head")
        out = {k: v for k, v in self.__dict__.items() if k not in skip}
        out["days_merged"] = [d.isoformat() for d in self.days_merged]
        out["stale_days"] = [d.isoformat() for d in self.stale_days]
        out["checkpoints_written"] = len(self.checkpoints)
        if self.checkpoints:
            out["checkpoint_range"] = f"{self.checkpoints[0]} .. {self.checkpoints[-1]}"
        out["head"] = self.head.isoformat(sep=" ") if self.head else None
        return out


def _head(adapter, plan: StitcherPlan, t: StitcherTables) -> tuple[datetime | None, bool]:
    """(the head's end time, whether the guards changed since)."""
    if not all(adapter.table_exists(n) for n in (t.nodes, t.links, t.graph)):
        return None, False
    state = adapter.fetch(f"SELECT end_time, guard_fingerprint FROM {t.state}")
    if not state:
        return None, False
    return state[0][0], state[0][1] != plan.guard_fingerprint()


def _days(adapter, t: StitcherTables, where: str) -> list[date]:
    return [r[0] for r in adapter.fetch(f"SELECT day FROM {t.days} WHERE {where} ORDER BY day")]


def stitch(
    adapter, plan: StitcherPlan, *, end_time: datetime, run_id: str, rebase: bool = False,
    first_day: date | None = None, snapshot: bool = False, retention: timedelta | None = None,
    with_report: bool = True,
) -> StitchResult:
    """Update the id graph, its history and checkpoints for the partitions `first_day` ..
    day(`end_time`) as of `end_time`. `snapshot`: only add the checkpoint `end_time` (an explicit
    earlier end time). `retention`: drop checkpoints older than that before the latest."""
    started = time.perf_counter()
    t = StitcherTables.of(plan)
    for name, cols in ((t.day_edges, DAY_EDGES_COLUMNS), (t.excluded, EXCLUDED_COLUMNS), (t.state, STATE_COLUMNS)):
        ensure_table(adapter, name, cols)
    ensure_days_table(adapter, t)
    store.ensure(adapter, t)
    end_day = end_time.date()
    first_day = min(first_day or end_day, end_day)
    head, guards_changed = _head(adapter, plan, t)
    full = rebase or head is None or guards_changed
    pending_rows = rows(adapter, """SELECT day, merged_through FROM days WHERE day BETWEEN :since AND :last
        AND (merged_through IS NULL OR (merged_through < :t AND CAST(merged_through AS DATE) <= day)) ORDER BY day""",
                        {"days": t.days}, since=plan.since.date() if plan.since else date.min, last=end_day, t=end_time)
    pending = [d for d, _ in pending_rows]
    # Days extracted again (late data) at or before the head's day make the history stale from there.
    late = [d for d, through in pending_rows if through is None and head is not None and d <= head.date()]
    stale = _days(adapter, t, f"day <= {date_lit(end_day)} AND filter_fingerprint <> {lit(plan.filter_fingerprint())}")
    a = min([first_day, *late])
    if full:
        mode: Mode = "full"
        if head is not None:  # a rebase or changed guards: every kept checkpoint is rewritten
            a = min(a, _first_extracted_day(adapter, t) or a)
    elif end_time < head:
        mode = "snapshot" if snapshot or end_day == head.date() else "window"
    elif end_time == head and not pending:
        mode = "noop"
    elif a == end_day:
        mode = "incremental"
    else:
        mode = "range"
    result = _write(adapter, plan, t, mode, a, end_time, head, pending_rows, run_id, retention)
    passes, merges, written, history_rows, region_ids = result
    dropped = 0
    if mode != "noop" and retention is not None:
        latest = store.checkpoint_instants(adapter, t)[-1:]
        if latest:
            dropped = store.apply_retention(adapter, t, latest[0] - retention)[0]
    drop_scratch(adapter, t)
    drop_region(adapter, t)
    if mode != "noop":
        create_views(adapter, plan, t)
    new_head, _ = _head(adapter, plan, t)
    graph_rows = adapter.row_count(t.graph)
    seconds = time.perf_counter() - started
    report = build_report(adapter, plan, passes=passes, converged=True, seconds=seconds) if with_report else None
    return StitchResult(
        t.graph, t.edges, t.merges, t.audit, mode, pending if mode in ("incremental", "range", "full") else [],
        graph_rows, report.clusters if report else None, passes, True, merges, seconds, stale, report,
        written, new_head, history_rows, dropped, region_ids,
    )


def _first_extracted_day(adapter, t: StitcherTables) -> date | None:
    return adapter.fetch_one(f"SELECT MIN(day) FROM {t.days}")


def _unmerged_rows_sql(t: StitcherTables, pending: list[tuple[date, datetime | None]], end_time: datetime) -> str:
    """The stored rows of the pending days not merged yet, up to `end_time`: all of a day
    extracted since its last merge, only those after `merged_through` of a day merged part-way
    (the head was inside it or at its last event). Rows merged already add nothing to the
    stores, and reading them again would make every day cost a rescan of the one before."""
    whole = [d for d, through in pending if through is None]
    parts = [f"day IN ({', '.join(date_lit(d) for d in whole)})"] if whole else []
    parts += [f"(day = {date_lit(d)} AND first_seen_at > {ts_lit(through)})" for d, through in pending if through is not None]
    days = [d for d, _ in pending]
    span = f"day BETWEEN {date_lit(min(days))} AND {date_lit(max(days))}" if days else "FALSE"
    return (f"(SELECT * FROM {t.day_edges} WHERE {span} AND ({' OR '.join(parts) or 'FALSE'}) "
            f"AND first_seen_at <= {ts_lit(end_time)})")


def _write(adapter, plan, t, mode: Mode, first_day: date, end_time: datetime, head, pending_rows, run_id, retention):
    """Do what `mode` says; returns (passes, merges, checkpoints written, history rows, ids of
    the region an incremental day rebuilt for the cluster rules). `pending_rows`: (day,
    merged_through) of the days not merged through `end_time`."""
    pending = [d for d, _ in pending_rows]
    if mode == "noop":
        return 0, 0, [], 0, 0
    if mode == "incremental":
        rows_sql = _unmerged_rows_sql(t, pending_rows, end_time)
        cc, merges, dml = incremental_merge(adapter, plan, rows_sql, end_time, run_id)
        changes = t.work("unew")
        region_ids = 0
        if plan.cluster_limits() and needs_replay(adapter, plan, t):
            # The day touches a cluster rule's decisions, which replay whole components: those
            # components are rebuilt instead (`region.py`); the history gets their changes as usual.
            cc, dml, changes = rebuild_region(adapter, plan, t, run_id)
            region_ids = adapter.row_count(changes)
            merges = relabelled_clusters(adapter, t, changes)
        history = store.apply_changes(adapter, t, changes, end_time)
        marks = store.record_checkpoints(adapter, t, [end_time], run_id, mode, start_of_day(end_time.date()), None)
        with adapter.transaction():
            for stmt in [*dml, *history, *marks]:
                adapter.execute(stmt)
            if pending:
                run(adapter, "UPDATE days SET merged_through = :t WHERE day BETWEEN :a AND :b AND day IN :pending",
                    {"days": t.days}, t=end_time, a=pending[0], b=pending[-1],
                    pending=exp.Tuple(expressions=[literal(d) for d in pending]))
            _write_state(adapter, plan, t, end_time, run_id, cc.passes, mode)
        return cc.passes, merges, [end_time], adapter.row_count(t.work("hcd")), region_ids
    cps = _window_checkpoints(mode, first_day, end_time, retention)
    out = t.work("hout")
    rebuilds = mode in ("full", "range")
    refused = t.work("refv") if rebuilds and plan.cluster_limits() else None
    # a rebuild reads the stored edges once, for the history and the head
    graph = (t.work("gn"), t.work("gl")) if rebuilds else None
    if graph:
        build_graph_input(adapter, plan, t, end_time, cps.first_day, *graph)
    hist = build_history(adapter, plan, cps, out, refused, graph)
    passes = 0
    if mode == "snapshot":
        w0, w1 = end_time, store.next_checkpoint_after(adapter, t, end_time)
    else:
        w0 = start_of_day(first_day)
        w1 = None if mode in ("full", "range") else _first_checkpoint_after_day(adapter, t, end_time.date())
    if mode in ("full", "range"):
        passes = full_rebuild(adapter, plan, run_id, graph, refused).passes
        drop(adapter, *graph)
    store.replace_window(adapter, t, out, w0, w1)
    marks = store.record_checkpoints(adapter, t, cps.instants(), run_id, mode, w0, w1)
    with adapter.transaction():
        for stmt in marks:
            adapter.execute(stmt)
        if mode in ("full", "range"):
            run(adapter, "UPDATE days SET merged_through = :t WHERE day <= :d", {"days": t.days},
                t=end_time, d=end_time.date())
            _write_state(adapter, plan, t, end_time, run_id, passes, mode)
    drop(adapter, out)
    return passes, hist.merges, cps.instants(), hist.rows, 0


def _window_checkpoints(mode: Mode, first_day: date, end_time: datetime, retention: timedelta | None) -> Checkpoints:
    if mode == "snapshot":
        return Checkpoints(end_time.date(), end_time)
    start = first_day
    if retention is not None:
        start = max(start, (end_time - retention).date())
    return Checkpoints(start, end_time)


def _first_checkpoint_after_day(adapter, t: StitcherTables, day: date) -> datetime | None:
    return rows(adapter, "SELECT MIN(cp_at) FROM cps WHERE cp_day > :d", {"cps": t.checkpoints}, d=day)[0][0]


def _write_state(adapter, plan: StitcherPlan, t: StitcherTables, end_time: datetime, run_id: str, passes: int, mode: str) -> None:
    run(adapter, "DELETE FROM state", {"state": t.state})
    run(adapter, "INSERT INTO state VALUES (:t, :run_id, :guards, :passes, TRUE, 0, :mode)", {"state": t.state},
        t=end_time, run_id=run_id, guards=plan.guard_fingerprint(), passes=passes, mode=mode)
