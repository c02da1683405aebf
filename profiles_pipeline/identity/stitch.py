"""`stitch`: bring the id graph up to `end_time` from the extracted days, fully or incrementally.

A full rebuild runs on the first call, with `rebase=True`, when a guard rule changed, when
`end_time` moves backwards, or when a previous full rebuild did not finish. Otherwise only the
days extracted since the last run are merged (see `incremental`). A day is marked applied once
`end_time` covers it entirely, so a partly covered day is merged again (harmlessly) next time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from profiles_pipeline.identity.full import full_rebuild
from profiles_pipeline.identity.incremental import drop_scratch, incremental_merge
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.report import StitchReport, build_report
from profiles_pipeline.identity.sqlbits import date_lit, lit, ts_lit
from profiles_pipeline.identity.tables import (
    DAY_EDGES_COLUMNS,
    DAYS_COLUMNS,
    EXCLUDED_COLUMNS,
    MERGES_COLUMNS,
    STATE_COLUMNS,
    StitcherTables,
    ensure_table,
)
from profiles_pipeline.identity.views import create_views


@dataclass(frozen=True)
class StitchResult:
    graph_table: str
    edges_table: str
    merges_table: str
    audit_table: str
    mode: Literal["full", "incremental", "noop"]
    days_merged: list[date]
    graph_rows: int
    clusters: int | None  # from the report (None when with_report=False)
    passes: int
    converged: bool
    merges: int
    seconds: float
    stale_days: list[date] = field(default_factory=list)
    report: StitchReport | None = None

    def as_metadata(self) -> dict:
        """Flat JSON-able figures (Dagster metadata, CLI)."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("report", "days_merged", "stale_days")}
        out["days_merged"] = [d.isoformat() for d in self.days_merged]
        out["stale_days"] = [d.isoformat() for d in self.stale_days]
        return out


def _needs_full(adapter, plan: StitcherPlan, t: StitcherTables, end_time: datetime) -> bool:
    if not all(adapter.table_exists(n) for n in (t.nodes, t.links, t.graph)):
        return True
    state = adapter.fetch(f"SELECT end_time, guard_fingerprint FROM {t.state}")
    if not state:
        return True
    last_end, fingerprint = state[0]
    return fingerprint != plan.guard_fingerprint() or end_time < last_end


def _days(adapter, t: StitcherTables, where: str) -> list[date]:
    return [r[0] for r in adapter.fetch(f"SELECT day FROM {t.days} WHERE {where} ORDER BY day")]


def stitch(
    adapter, plan: StitcherPlan, *, end_time: datetime, run_id: str, rebase: bool = False, with_report: bool = True
) -> StitchResult:
    """Update `<stitcher>` (and its stores, merges and audit) to `end_time`."""
    started = time.perf_counter()
    t = StitcherTables.of(plan)
    for name, cols in (
        (t.day_edges, DAY_EDGES_COLUMNS), (t.days, DAYS_COLUMNS), (t.excluded, EXCLUDED_COLUMNS),
        (t.merges, MERGES_COLUMNS), (t.state, STATE_COLUMNS),
    ):
        ensure_table(adapter, name, cols)
    end_day = end_time.date()
    complete = f"day + INTERVAL 1 DAY <= {ts_lit(end_time)}"
    full = rebase or _needs_full(adapter, plan, t, end_time)
    pending = _days(adapter, t, f"day <= {date_lit(end_day)}" + ("" if full else " AND NOT applied"))
    stale = _days(adapter, t, f"day <= {date_lit(end_day)} AND filter_fingerprint <> {lit(plan.filter_fingerprint())}")
    passes, converged, merges, mode = 0, True, 0, "noop"
    if full:
        adapter.execute(f"DELETE FROM {t.state}")
        cc, merges = full_rebuild(adapter, plan, end_time, run_id)
        passes, mode, dml = cc.passes, "full", [f"UPDATE {t.days} SET applied = ({complete})"]
    elif pending:
        in_days = ", ".join(date_lit(d) for d in pending)
        # The range lets the engine skip the stored days' blocks by their min/max before the IN list.
        span = f"day BETWEEN {date_lit(pending[0])} AND {date_lit(pending[-1])}"
        rows = f"(SELECT * FROM {t.day_edges} WHERE {span} AND day IN ({in_days}) AND first_seen_at <= {ts_lit(end_time)})"
        cc, merges, dml = incremental_merge(adapter, plan, rows, end_time, run_id)
        passes, mode = cc.passes, "incremental"
        dml.append(f"UPDATE {t.days} SET applied = TRUE WHERE day IN ({in_days}) AND {complete}")
    else:
        dml = []
    seconds = time.perf_counter() - started
    with adapter.transaction():
        for stmt in dml:
            adapter.execute(stmt)
        adapter.execute(f"DELETE FROM {t.state}")
        adapter.execute(
            f"INSERT INTO {t.state} VALUES ({ts_lit(end_time)}, {lit(run_id)}, {lit(plan.guard_fingerprint())}, "
            f"{passes}, {converged}, {seconds}, {lit(mode)})"
        )
    drop_scratch(adapter, t)
    create_views(adapter, plan, t)
    graph_rows = adapter.row_count(t.graph)
    seconds = time.perf_counter() - started
    report = build_report(adapter, plan, passes=passes, converged=converged, seconds=seconds) if with_report else None
    clusters = report.clusters if report else None
    return StitchResult(
        t.graph, t.edges, t.merges, t.audit, mode, pending if mode != "noop" else [], graph_rows, clusters,
        passes, converged, merges, seconds, stale, report,
    )


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
