"""Edge extraction for one day partition.

Each row of each edge source inside `[day, day+1)` and `<= end_time` yields its filtered ids as
nodes (stored as self-pairs) and every pair of them as an edge. The day's rows replace whatever
an earlier run of that day stored, so re-running a day never duplicates edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import combinations

from profiles_pipeline.identity.filters import drop_reason, keep_predicate
from profiles_pipeline.identity.plan import EdgeSource, StitcherPlan
from profiles_pipeline.identity.sqlbits import date_lit, lit, ts_lit
from profiles_pipeline.identity.tables import (
    DAY_EDGES_COLUMNS,
    DAYS_COLUMNS,
    EXCLUDED_COLUMNS,
    StitcherTables,
    ensure_table,
)


@dataclass(frozen=True)
class EdgeExtractResult:
    day: date
    table: str
    rows_read: int
    ids_before: int
    ids_after: int
    edges_before: int
    edges_after: int
    stored_rows: int


def _rows_sql(plan: StitcherPlan, src: EdgeSource, day: date, end_time: datetime) -> str:
    """One row per input row: raw id values r<i> and filtered ones i<i>."""
    occ = src.occurred_at_col
    where = f" AND ({src.where_sql})" if src.where_sql else ""
    raw = ", ".join(f"CAST(({s.select_sql}) AS VARCHAR) AS r{k}" for k, s in enumerate(src.ids))
    kept = ", ".join(
        f"CASE WHEN {keep_predicate(plan.rules(s.type), f'r{k}')} THEN r{k} END AS i{k}"
        for k, s in enumerate(src.ids)
    )
    return (
        f"SELECT ts, {', '.join(f'r{k}' for k in range(len(src.ids)))}, {kept} FROM ("
        f"SELECT CAST({occ} AS TIMESTAMP) AS ts, {raw} FROM ({src.relation_sql}) AS _src "
        f"WHERE {occ} >= {ts_lit(day)} AND {occ} < {ts_lit(day + timedelta(days=1))} "
        f"AND {occ} <= {ts_lit(end_time)}{where}) AS _raw"
    )


def _pairs_sql(src: EdgeSource, rows: str) -> str:
    """Self-pairs (nodes) and every pair of kept ids, each ordered by (type, value)."""
    parts = []
    for k, s in enumerate(src.ids):
        parts.append(
            f"SELECT i{k} AS id1, {lit(s.type)} AS id1_type, i{k} AS id2, {lit(s.type)} AS id2_type, ts "
            f"FROM {rows} WHERE i{k} IS NOT NULL"
        )
    for (a, sa), (b, sb) in combinations(enumerate(src.ids), 2):
        if sa.type == sb.type:
            cols = f"LEAST(i{a}, i{b}), {lit(sa.type)}, GREATEST(i{a}, i{b}), {lit(sa.type)}"
            extra = f" AND i{a} <> i{b}"
        else:
            (x, tx), (y, ty) = sorted([(a, sa.type), (b, sb.type)], key=lambda p: p[1])
            cols, extra = f"i{x}, {lit(tx)}, i{y}, {lit(ty)}", ""
        parts.append(
            f"SELECT {cols}, ts FROM {rows} WHERE i{a} IS NOT NULL AND i{b} IS NOT NULL{extra}"
        )
    return " UNION ALL ".join(parts)


def _stats_sql(src: EdgeSource, rows: str) -> str:
    n = len(src.ids)
    raw_n = " + ".join(f"(CASE WHEN r{k} IS NOT NULL THEN 1 ELSE 0 END)" for k in range(n))
    kept_n = " + ".join(f"(CASE WHEN i{k} IS NOT NULL THEN 1 ELSE 0 END)" for k in range(n))
    return (
        f"SELECT COUNT(*) AS rows_read, SUM(rn) AS ids_before, SUM(kn) AS ids_after, "
        f"SUM(rn * (rn - 1) / 2) AS edges_before, SUM(kn * (kn - 1) / 2) AS edges_after "
        f"FROM (SELECT {raw_n} AS rn, {kept_n} AS kn FROM {rows}) AS _c"
    )


def _excluded_sql(plan: StitcherPlan, src: EdgeSource, rows: str) -> str:
    return " UNION ALL ".join(
        f"SELECT r{k} AS id_value, {lit(s.type)} AS id_type, "
        f"{drop_reason(plan.rules(s.type), f'r{k}')} AS reason FROM {rows} "
        f"WHERE r{k} IS NOT NULL AND i{k} IS NULL"
        for k, s in enumerate(src.ids)
    )


def extract_edges(adapter, plan: StitcherPlan, day: date, end_time: datetime) -> EdgeExtractResult:
    """Extract one day's nodes and edges into `<stitcher>__day_edges`, replacing that day."""
    t = StitcherTables.of(plan)
    for name, cols in ((t.day_edges, DAY_EDGES_COLUMNS), (t.days, DAYS_COLUMNS), (t.excluded, EXCLUDED_COLUMNS)):
        ensure_table(adapter, name, cols)
    pairs, excluded, totals = [], [], [0, 0, 0, 0, 0]
    for k, src in enumerate(plan.edge_sources):
        rows = t.work(f"rows{k}")
        adapter.execute(f"CREATE OR REPLACE TABLE {rows} AS {_rows_sql(plan, src, day, end_time)}")
        pairs.append(f"SELECT id1, id1_type, id2, id2_type, {lit(src.name)} AS source, ts FROM ({_pairs_sql(src, rows)}) AS _p{k}")
        excluded.append(_excluded_sql(plan, src, rows))
        stats = adapter.fetch(_stats_sql(src, rows))[0]
        totals = [a + int(b or 0) for a, b in zip(totals, stats, strict=True)]
    d = date_lit(day)
    staged, staged_x = t.work("day_edges"), t.work("excluded")
    adapter.execute(
        f"CREATE OR REPLACE TABLE {staged} AS SELECT {d} AS day, id1, id1_type, id2, id2_type, source, "
        f"MIN(ts) AS first_seen_at FROM ({' UNION ALL '.join(pairs)}) AS _all "
        "GROUP BY id1, id1_type, id2, id2_type, source"
    )
    adapter.execute(
        f"CREATE OR REPLACE TABLE {staged_x} AS SELECT {d} AS day, id_value, id_type, reason, "
        f"COUNT(*) AS occurrences FROM ({' UNION ALL '.join(excluded)}) AS _x "
        "GROUP BY id_value, id_type, reason"
    )
    with adapter.transaction():
        adapter.execute(f"DELETE FROM {t.day_edges} WHERE day = {d}")
        adapter.execute(f"INSERT INTO {t.day_edges} SELECT * FROM {staged}")
        adapter.execute(f"DELETE FROM {t.excluded} WHERE day = {d}")
        adapter.execute(f"INSERT INTO {t.excluded} SELECT * FROM {staged_x}")
        adapter.execute(f"DELETE FROM {t.days} WHERE day = {d}")
        adapter.execute(
            f"INSERT INTO {t.days} VALUES ({d}, CURRENT_TIMESTAMP, {lit(plan.filter_fingerprint())}, FALSE, "
            + ", ".join(str(v) for v in totals)
            + ")"
        )
    stored = adapter.row_count(staged)
    for name in [t.work(f"rows{k}") for k in range(len(plan.edge_sources))] + [staged, staged_x]:
        adapter.execute(f"DROP TABLE IF EXISTS {name}")
    return EdgeExtractResult(day, t.day_edges, *totals, stored_rows=stored)
