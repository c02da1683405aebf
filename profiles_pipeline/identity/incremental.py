"""Incremental merge of newly extracted days into the stored graph.

Exactly the clusters a change can affect are recomputed, so the result equals a full rebuild:
1. new nodes get keys; nodes seen earlier than stored get their new first_seen_at (`ingest`);
2. new links, or links seen earlier, are the delta; their endpoints T get a new degree;
3. nodes whose hub status flips extend T with their neighbours (T'); the maximum_edges sides
   of every link at a node of T' are re-ranked (a side's rank depends only on its own node's links);
4. every link whose kept status flips, every new or earlier-seen node, is a seed; the clusters
   of the seeds (S) are re-run through connected components and get their main ids again.
The node store is read three times (the day's ids, the far ends of the re-judged links, the
clusters of S and T), the link store three times (links at the day's nodes, kept links of S,
and the DELETE). Scratch tables are TEMP (session-only and never logged, so the ~100 small
statements pay no commit syncs); the stores change in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from profiles_pipeline.identity.assign import assigned_nodes_sql, main_ids_sql, merges_sql
from profiles_pipeline.identity.components import ComponentsResult, connected_components
from profiles_pipeline.identity.guards import (
    degree_sql,
    dropped_sides_sql,
    half_links_sql,
    hub_threshold_sql,
    limits,
)
from profiles_pipeline.identity.ingest import ingest, links_at
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.sqlbits import lit, ts_lit
from profiles_pipeline.identity.tables import StitcherTables

_SCRATCH = (
    "pn", "dk", "nd", "pl0", "pl", "lp", "ld", "t", "lt0", "hub", "tp", "lt", "info", "lnew", "sc", "cur", "ce",
    "labels", "mk", "unew", "merges", "refv",
)
_TEMP = "CREATE OR REPLACE TEMP TABLE"


def _guards(adapter, plan: StitcherPlan, t: StitcherTables, run_id: str) -> None:
    """Degrees and hub flags for T, then every link at T' with its re-judged sides (`lnew`)."""
    w = t.work
    adapter.execute(f"{_TEMP} {w('t')} AS SELECT n1 AS node FROM {w('ld')} UNION SELECT n2 FROM {w('ld')}")
    in_t = f"(SELECT node FROM {w('t')})"
    adapter.execute(
        f"{_TEMP} {w('lt0')} AS SELECT l.n1, l.n2, COALESCE(d.source, l.source) AS source, "
        "COALESCE(d.first_seen_at, l.first_seen_at) AS first_seen_at, l.drop1, l.drop2, l.kept AS old_kept, "
        f"d.n1 IS NOT NULL AS changed FROM {w('lp')} AS l LEFT JOIN {w('ld')} AS d ON l.n1 = d.n1 AND l.n2 = d.n2 "
        f"WHERE l.n1 IN {in_t} OR l.n2 IN {in_t} "
        f"UNION ALL SELECT n1, n2, source, first_seen_at, NULL, NULL, FALSE, TRUE FROM {w('ld')} WHERE is_new"
    )
    adapter.execute(
        f"{_TEMP} {w('hub')} AS SELECT k.node, COALESCE(d.degree, 0) AS degree, "
        f"COALESCE(d.degree, 0) > {hub_threshold_sql(plan, 'k.id_type')} AS hub, k.hub AS old_hub "
        f"FROM {w('dk')} AS k LEFT JOIN ({degree_sql('SELECT n1, n2 FROM ' + w('lt0'), 'SELECT node FROM ' + w('t'))}) AS d "
        f"ON k.node = d.node WHERE k.node IN {in_t}"
    )
    flipped = f"(SELECT node FROM {w('hub')} WHERE hub <> old_hub)"
    adapter.execute(
        f"{_TEMP} {w('tp')} AS SELECT node FROM {w('t')} "
        f"UNION SELECT n2 FROM {w('lt0')} WHERE n1 IN {flipped} UNION SELECT n1 FROM {w('lt0')} WHERE n2 IN {flipped}"
    )
    in_tp = f"(SELECT node FROM {w('tp')})"
    # Links at neighbours of a flipped hub that are not at T: the only links outside `lp` to re-judge.
    beyond = f"(SELECT node FROM {w('tp')} WHERE node NOT IN {in_t})"
    adapter.execute(
        f"{_TEMP} {w('lt')} AS SELECT * FROM {w('lt0')} UNION ALL SELECT n1, n2, source, first_seen_at, drop1, drop2, kept, "
        f"FALSE FROM ({links_at(t.links, beyond)}) AS _b WHERE n1 NOT IN {in_t} AND n2 NOT IN {in_t}"
    )
    ends = f"(SELECT n1 FROM {w('lt')} UNION SELECT n2 FROM {w('lt')})"
    names = "n.id_type, n.id_value" if limits(plan) else "CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)"
    adapter.execute(
        f"{_TEMP} {w('info')} AS SELECT k.node, k.id_type, k.id_value, COALESCE(h.hub, k.hub) AS hub, k.comp "
        f"FROM {w('dk')} AS k LEFT JOIN {w('hub')} AS h ON k.node = h.node WHERE k.node IN {ends} "
        f"UNION ALL SELECT n.node, {names}, n.hub, n.comp FROM {t.nodes} AS n "
        f"WHERE n.node IN (SELECT n1 FROM {ends} AS _e WHERE n1 NOT IN (SELECT node FROM {w('dk')}))"
    )
    sides = dropped_sides_sql(plan, half_links_sql(f"SELECT * FROM {w('lt')}", f"SELECT node FROM {w('tp')}"), f"SELECT * FROM {w('info')}")
    sides = sides or "SELECT CAST(NULL AS BIGINT) AS a, CAST(NULL AS BIGINT) AS b, CAST(NULL AS VARCHAR) AS reason WHERE FALSE"
    d1 = f"CASE WHEN l.n1 IN {in_tp} THEN s1.reason ELSE l.drop1 END"
    d2 = f"CASE WHEN l.n2 IN {in_tp} THEN s2.reason ELSE l.drop2 END"
    adapter.execute(
        f"{_TEMP} {w('lnew')} AS SELECT n1, n2, source, first_seen_at, drop1, drop2, "
        "(NOT hub1 AND NOT hub2 AND drop1 IS NULL AND drop2 IS NULL) AS kept, decided_run_id, old_kept, "
        "(changed OR drop1 IS DISTINCT FROM old_drop1 OR drop2 IS DISTINCT FROM old_drop2 "
        "OR (NOT hub1 AND NOT hub2 AND drop1 IS NULL AND drop2 IS NULL) <> old_kept) AS changed FROM ("
        f"SELECT l.n1, l.n2, l.source, l.first_seen_at, {d1} AS drop1, {d2} AS drop2, h1.hub AS hub1, "
        f"h2.hub AS hub2, {lit(run_id)} AS decided_run_id, l.old_kept, l.drop1 AS old_drop1, l.drop2 AS old_drop2, "
        f"l.changed FROM {w('lt')} AS l "
        f"LEFT JOIN ({sides}) AS s1 ON s1.a = l.n1 AND s1.b = l.n2 LEFT JOIN ({sides}) AS s2 ON s2.a = l.n2 AND s2.b = l.n1 "
        f"JOIN {w('info')} AS h1 ON l.n1 = h1.node JOIN {w('info')} AS h2 ON l.n2 = h2.node) AS _x"
    )


def _recluster(adapter, plan: StitcherPlan, t: StitcherTables, run_id: str) -> ComponentsResult:
    """Components and main ids of the affected clusters S; the rows of S ∪ T that change into `unew`.

    The node store is read once, for the clusters of the seeds and of T (`cur`; the old main
    ids in it feed the merge log).
    """
    w = t.work
    flips = f"(SELECT n1 FROM {w('lnew')} WHERE kept <> old_kept UNION SELECT n2 FROM {w('lnew')} WHERE kept <> old_kept)"
    adapter.execute(
        f"{_TEMP} {w('sc')} AS SELECT comp, MAX(seed) AS seed FROM ("
        f"SELECT comp, 1 AS seed FROM {w('info')} WHERE node IN {flips} "
        f"UNION ALL SELECT comp, 1 FROM {w('dk')} WHERE node IN (SELECT node FROM {w('nd')}) "
        f"UNION ALL SELECT comp, 0 FROM {w('dk')} WHERE node IN (SELECT node FROM {w('t')})) AS _c "
        "WHERE comp IS NOT NULL GROUP BY comp"
    )
    adapter.execute(
        f"{_TEMP} {w('cur')} AS SELECT n.node, n.id_value, n.id_type, "
        "COALESCE(d.first_seen_at, n.first_seen_at) AS first_seen_at, COALESCE(h.degree, n.degree) AS degree, "
        "COALESCE(h.hub, n.hub) AS hub, n.comp, n.main_id AS old_main_id, c.seed = 1 AS in_s, "
        "(d.node IS NOT NULL OR COALESCE(h.degree <> n.degree OR h.hub <> n.hub, FALSE)) AS changed "
        f"FROM {t.nodes} AS n JOIN {w('sc')} AS c ON n.comp = c.comp "
        f"LEFT JOIN {w('nd')} AS d ON n.node = d.node LEFT JOIN {w('hub')} AS h ON n.node = h.node "
        "UNION ALL SELECT d.node, d.id_value, d.id_type, d.first_seen_at, COALESCE(h.degree, 0), COALESCE(h.hub, FALSE), "
        f"CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), TRUE, TRUE FROM {w('nd')} AS d LEFT JOIN {w('hub')} AS h "
        "ON d.node = h.node WHERE d.is_new"
    )
    in_s = f"(SELECT node FROM {w('cur')} WHERE in_s)"
    adapter.execute(
        f"{_TEMP} {w('ce')} AS SELECT n1 AS a, n2 AS b FROM {t.links} AS l WHERE l.kept AND l.n1 IN {in_s} AND NOT EXISTS "
        f"(SELECT 1 FROM {w('lnew')} AS x WHERE x.n1 = l.n1 AND x.n2 = l.n2) "
        f"UNION ALL SELECT n1, n2 FROM {w('lnew')} WHERE kept AND n1 IN {in_s}"
    )
    cc = connected_components(adapter, f"SELECT a, b FROM {w('ce')}", w("labels"), w("cc"), temp=True)
    current = f"SELECT node, id_value, id_type, first_seen_at, degree, hub FROM {w('cur')} WHERE in_s"
    labels = f"SELECT * FROM {w('labels')}"
    adapter.execute(f"{_TEMP} {w('mk')} AS {main_ids_sql(plan, current, labels)}")
    # Only rows that differ from the store are rewritten: most of S keeps its cluster and main id.
    adapter.execute(
        f"{_TEMP} {w('unew')} AS SELECT a.* FROM ({assigned_nodes_sql(plan, current, labels, w('mk'), run_id)}) AS a "
        f"JOIN {w('cur')} AS c ON a.node = c.node "
        "WHERE c.changed OR a.comp IS DISTINCT FROM c.comp OR a.main_id IS DISTINCT FROM c.old_main_id "
        f"UNION ALL SELECT node, id_value, id_type, first_seen_at, degree, hub, comp, old_main_id, {lit(run_id)} "
        f"FROM {w('cur')} WHERE NOT in_s AND changed"
    )
    return cc


def incremental_merge(adapter, plan: StitcherPlan, rows: str, end_time: datetime, run_id: str) -> tuple[ComponentsResult, int, list[str]]:
    """Merge pending `rows` (a day-edges relation). Returns components, merges, and the DML to
    commit; the changed nodes are left in the scratch table `t.work("unew")` for the history."""
    t = StitcherTables.of(plan)
    w = t.work
    ingest(adapter, t, rows)
    _guards(adapter, plan, t, run_id)
    cc = _recluster(adapter, plan, t, run_id)
    old = f"SELECT node, old_main_id AS main_id FROM {w('cur')} WHERE in_s AND old_main_id IS NOT NULL"
    new = f"SELECT node, main_id FROM {w('unew')}"
    merges = merges_sql(old, new, ts_lit(end_time), run_id, keys=("node",))
    adapter.execute(f"{_TEMP} {w('merges')} AS {merges}")
    dml = [
        f"DELETE FROM {t.nodes} WHERE node IN (SELECT node FROM {w('unew')})",
        f"INSERT INTO {t.nodes} SELECT * FROM {w('unew')}",
        f"DELETE FROM {t.links} USING (SELECT n1, n2 FROM {w('lnew')} WHERE changed) AS x "
        f"WHERE {t.links}.n1 = x.n1 AND {t.links}.n2 = x.n2",
        f"INSERT INTO {t.links} SELECT n1, n2, source, first_seen_at, drop1, drop2, kept, decided_run_id "
        f"FROM {w('lnew')} WHERE changed",
    ]
    return cc, adapter.row_count(w("merges")), dml


def drop_scratch(adapter, t: StitcherTables) -> None:
    for name in _SCRATCH:
        adapter.execute(f"DROP TABLE IF EXISTS {t.work(name)}")
