"""Incremental merge of newly extracted days into the stored graph.

Exactly the clusters a change can affect are recomputed, so the result equals a full rebuild:
1. new nodes get keys; nodes seen earlier than stored get their new first_seen_at;
2. new links, or links seen earlier, are the delta; their endpoints T get a new degree;
3. nodes whose hub status flips extend T with their neighbours (T'); the maximum_edges sides
   of every link at a node of T' are re-ranked (a side's rank depends only on its own node's links);
4. every link whose kept status flips, every new or earlier-seen node, is a seed; the clusters
   of the seeds (S) are re-run through connected components and get their main ids again.
Everything is computed into scratch tables first (TEMP: session-only and never logged, so the
~100 small statements pay no commit syncs); the stores change in one transaction.
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
)
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.sqlbits import lit, ts_lit
from profiles_pipeline.identity.tables import StitcherTables

_SCRATCH = ("pn", "dk", "nd", "pl0", "pl", "ld", "t", "tl", "hub", "tp", "lt", "info", "lnew", "s", "labels", "mk", "cur", "unew", "merges")


def _ingest(adapter, t: StitcherTables, rows: str) -> None:
    """Pending rows → node delta `nd` (node, id_value, id_type, first_seen_at, is_new) and link delta `ld`.

    The day's ids are looked up in the node store once (`dk`, every id of the day with its key,
    new ones numbered after the largest key); the day's edges then join that small table only.
    """
    w = t.work
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('pn')} AS SELECT id1 AS id_value, id1_type AS id_type, "
        f"MIN(first_seen_at) AS first_seen_at FROM {rows} AS r WHERE id1 = id2 AND id1_type = id2_type "
        "GROUP BY id1, id1_type"
    )
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('dk')} AS SELECT CASE WHEN node IS NULL THEN "
        "m + ROW_NUMBER() OVER (PARTITION BY node IS NULL) ELSE node END AS node, id_value, id_type, "
        "first_seen_at, old_first_seen_at, node IS NULL AS is_new FROM (SELECT n.node, p.id_value, p.id_type, "
        f"p.first_seen_at, n.first_seen_at AS old_first_seen_at FROM {w('pn')} AS p LEFT JOIN {t.nodes} AS n "
        "ON p.id_value = n.id_value AND p.id_type = n.id_type) AS j "
        f"CROSS JOIN (SELECT COALESCE(MAX(node), 0) AS m FROM {t.nodes}) AS mx"
    )
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('nd')} AS SELECT node, id_value, id_type, "
        "CASE WHEN is_new THEN first_seen_at ELSE LEAST(first_seen_at, old_first_seen_at) END AS first_seen_at, "
        f"is_new FROM {w('dk')} WHERE is_new OR first_seen_at < old_first_seen_at"
    )
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('pl0')} AS SELECT LEAST(a.node, b.node) AS n1, GREATEST(a.node, b.node) AS n2, "
        f"r.source, r.first_seen_at FROM {rows} AS r JOIN {w('dk')} AS a ON r.id1 = a.id_value AND r.id1_type = a.id_type "
        f"JOIN {w('dk')} AS b ON r.id2 = b.id_value AND r.id2_type = b.id_type "
        "WHERE NOT (r.id1 = r.id2 AND r.id1_type = r.id2_type)"
    )
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('pl')} AS SELECT x.n1, x.n2, MIN(x.source) AS source, m.first_seen_at "
        f"FROM {w('pl0')} AS x JOIN (SELECT n1, n2, MIN(first_seen_at) AS first_seen_at FROM {w('pl0')} GROUP BY n1, n2) AS m "
        "ON x.n1 = m.n1 AND x.n2 = m.n2 AND x.first_seen_at = m.first_seen_at GROUP BY x.n1, x.n2, m.first_seen_at"
    )
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('ld')} AS SELECT p.n1, p.n2, "
        "CASE WHEN l.n1 IS NULL OR p.first_seen_at < l.first_seen_at THEN p.source "
        "WHEN p.first_seen_at = l.first_seen_at THEN LEAST(p.source, l.source) ELSE l.source END AS source, "
        "CASE WHEN l.n1 IS NULL THEN p.first_seen_at ELSE LEAST(p.first_seen_at, l.first_seen_at) END AS first_seen_at, "
        f"l.n1 IS NULL AS is_new FROM {w('pl')} AS p LEFT JOIN {t.links} AS l ON p.n1 = l.n1 AND p.n2 = l.n2 "
        "WHERE l.n1 IS NULL OR p.first_seen_at < l.first_seen_at "
        "OR (p.first_seen_at = l.first_seen_at AND p.source < l.source)"
    )


def _links_at(links: str, nodes_sql: str) -> str:
    """Rows of `links` with an end in `nodes_sql`: two semi-joins rather than an OR over both ends."""
    return (
        f"SELECT * FROM {links} WHERE n1 IN {nodes_sql} "
        f"UNION ALL SELECT * FROM {links} WHERE n2 IN {nodes_sql} AND n1 NOT IN {nodes_sql}"
    )


def _guards(adapter, plan: StitcherPlan, t: StitcherTables, run_id: str) -> None:
    """Degrees and hub flags for T, then every link at T' with its re-judged sides (`lnew`)."""
    w = t.work
    adapter.execute(f"CREATE OR REPLACE TEMP TABLE {w('t')} AS SELECT n1 AS node FROM {w('ld')} UNION SELECT n2 FROM {w('ld')}")
    in_t = f"(SELECT node FROM {w('t')})"
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('tl')} AS SELECT n1, n2 FROM ({_links_at(t.links, in_t)}) AS _l "
        f"UNION ALL SELECT n1, n2 FROM {w('ld')} WHERE is_new"
    )
    touching = f"SELECT n1, n2 FROM {w('tl')}"
    info_all = (
        f"(SELECT node, id_value, id_type, first_seen_at, degree, hub FROM {t.nodes} "
        f"UNION ALL SELECT node, id_value, id_type, first_seen_at, 0, FALSE FROM {w('nd')} WHERE is_new)"
    )
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('hub')} AS SELECT i.node, COALESCE(d.degree, 0) AS degree, "
        f"COALESCE(d.degree, 0) > {hub_threshold_sql(plan, 'i.id_type')} AS hub, i.hub AS old_hub "
        f"FROM {info_all} AS i LEFT JOIN ({degree_sql(touching, 'SELECT node FROM ' + w('t'))}) AS d ON i.node = d.node "
        f"WHERE i.node IN {in_t}"
    )
    flipped = f"(SELECT node FROM {w('hub')} WHERE hub <> old_hub)"
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('tp')} AS SELECT node FROM {w('t')} "
        f"UNION SELECT n2 FROM ({touching}) AS a WHERE n1 IN {flipped} "
        f"UNION SELECT n1 FROM ({touching}) AS b WHERE n2 IN {flipped}"
    )
    in_tp = f"(SELECT node FROM {w('tp')})"
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('lt')} AS SELECT l.n1, l.n2, COALESCE(d.source, l.source) AS source, "
        "COALESCE(d.first_seen_at, l.first_seen_at) AS first_seen_at, l.drop1, l.drop2, l.kept AS old_kept "
        f"FROM ({_links_at(t.links, in_tp)}) AS l LEFT JOIN {w('ld')} AS d ON l.n1 = d.n1 AND l.n2 = d.n2 "
        f"UNION ALL SELECT n1, n2, source, first_seen_at, NULL, NULL, FALSE FROM {w('ld')} WHERE is_new"
    )
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('info')} AS SELECT i.node, i.id_type, i.id_value, COALESCE(h.hub, i.hub) AS hub "
        f"FROM {info_all} AS i LEFT JOIN {w('hub')} AS h ON i.node = h.node "
        f"WHERE i.node IN (SELECT n1 FROM {w('lt')} UNION SELECT n2 FROM {w('lt')})"
    )
    sides = dropped_sides_sql(plan, half_links_sql(f"SELECT * FROM {w('lt')}", f"SELECT node FROM {w('tp')}"), f"SELECT * FROM {w('info')}")
    sides = sides or "SELECT CAST(NULL AS BIGINT) AS a, CAST(NULL AS BIGINT) AS b, CAST(NULL AS VARCHAR) AS reason WHERE FALSE"
    d1 = f"CASE WHEN l.n1 IN {in_tp} THEN s1.reason ELSE l.drop1 END"
    d2 = f"CASE WHEN l.n2 IN {in_tp} THEN s2.reason ELSE l.drop2 END"
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('lnew')} AS SELECT n1, n2, source, first_seen_at, drop1, drop2, "
        "(NOT hub1 AND NOT hub2 AND drop1 IS NULL AND drop2 IS NULL) AS kept, decided_run_id, old_kept FROM ("
        f"SELECT l.n1, l.n2, l.source, l.first_seen_at, {d1} AS drop1, {d2} AS drop2, h1.hub AS hub1, "
        f"h2.hub AS hub2, {lit(run_id)} AS decided_run_id, l.old_kept FROM {w('lt')} AS l "
        f"LEFT JOIN ({sides}) AS s1 ON s1.a = l.n1 AND s1.b = l.n2 LEFT JOIN ({sides}) AS s2 ON s2.a = l.n2 AND s2.b = l.n1 "
        f"JOIN {w('info')} AS h1 ON l.n1 = h1.node JOIN {w('info')} AS h2 ON l.n2 = h2.node) AS _x"
    )


def _recluster(adapter, plan: StitcherPlan, t: StitcherTables, run_id: str) -> ComponentsResult:
    """Components and main ids of the affected clusters S; node rows for S ∪ T into `unew`.

    The node store is read once for S ∪ T (`cur`, which keeps the old main ids for the merge log).
    """
    w = t.work
    seeds = (
        f"SELECT n1 AS node FROM {w('lnew')} WHERE kept <> old_kept UNION SELECT n2 FROM {w('lnew')} "
        f"WHERE kept <> old_kept UNION SELECT node FROM {w('nd')}"
    )
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('s')} AS SELECT node FROM {t.nodes} WHERE comp IN "
        f"(SELECT comp FROM {t.nodes} WHERE node IN ({seeds})) UNION SELECT node FROM ({seeds}) AS _s"
    )
    in_s = f"(SELECT node FROM {w('s')})"
    edges = (
        f"SELECT n1 AS a, n2 AS b FROM {t.links} AS l WHERE l.kept AND l.n1 IN {in_s} AND NOT EXISTS "
        f"(SELECT 1 FROM {w('lnew')} AS x WHERE x.n1 = l.n1 AND x.n2 = l.n2) "
        f"UNION ALL SELECT n1, n2 FROM {w('lnew')} WHERE kept AND n1 IN {in_s}"
    )
    cc = connected_components(adapter, edges, w("labels"), w("cc"), temp=True)
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('cur')} AS SELECT n.node, n.id_value, n.id_type, "
        "COALESCE(d.first_seen_at, n.first_seen_at) AS first_seen_at, COALESCE(h.degree, n.degree) AS degree, "
        "COALESCE(h.hub, n.hub) AS hub, n.comp, n.main_id AS old_main_id, s.node IS NOT NULL AS in_s "
        f"FROM (SELECT * FROM {t.nodes} WHERE node IN (SELECT node FROM {w('s')} UNION SELECT node FROM {w('hub')})) AS n "
        f"LEFT JOIN {w('nd')} AS d ON n.node = d.node LEFT JOIN {w('hub')} AS h ON n.node = h.node "
        f"LEFT JOIN {w('s')} AS s ON n.node = s.node "
        "UNION ALL SELECT d.node, d.id_value, d.id_type, d.first_seen_at, COALESCE(h.degree, 0), COALESCE(h.hub, FALSE), "
        f"CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), TRUE FROM {w('nd')} AS d LEFT JOIN {w('hub')} AS h "
        "ON d.node = h.node WHERE d.is_new"
    )
    current = f"SELECT node, id_value, id_type, first_seen_at, degree, hub FROM {w('cur')} WHERE in_s"
    labels = f"SELECT * FROM {w('labels')}"
    adapter.execute(f"CREATE OR REPLACE TEMP TABLE {w('mk')} AS {main_ids_sql(plan, current, labels)}")
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('unew')} AS {assigned_nodes_sql(plan, current, labels, w('mk'), run_id)} "
        f"UNION ALL SELECT node, id_value, id_type, first_seen_at, degree, hub, comp, old_main_id, {lit(run_id)} "
        f"FROM {w('cur')} WHERE NOT in_s"
    )
    return cc


def incremental_merge(adapter, plan: StitcherPlan, rows: str, end_time: datetime, run_id: str) -> tuple[ComponentsResult, int, list[str]]:
    """Merge pending `rows` (a day-edges relation). Returns components, merges, and the DML to commit."""
    t = StitcherTables.of(plan)
    w = t.work
    _ingest(adapter, t, rows)
    _guards(adapter, plan, t, run_id)
    cc = _recluster(adapter, plan, t, run_id)
    old = f"SELECT node, old_main_id AS main_id FROM {w('cur')} WHERE in_s AND old_main_id IS NOT NULL"
    new = f"SELECT node, main_id FROM {w('unew')}"
    merges = merges_sql(old, new, ts_lit(end_time), run_id, keys=("node",))
    adapter.execute(f"CREATE OR REPLACE TEMP TABLE {w('merges')} AS {merges}")
    dml = [
        f"DELETE FROM {t.nodes} WHERE node IN (SELECT node FROM {w('unew')})",
        f"INSERT INTO {t.nodes} SELECT * FROM {w('unew')}",
        f"DELETE FROM {t.links} USING {w('lnew')} AS x WHERE {t.links}.n1 = x.n1 AND {t.links}.n2 = x.n2",
        f"INSERT INTO {t.links} SELECT n1, n2, source, first_seen_at, drop1, drop2, kept, decided_run_id FROM {w('lnew')}",
        f"INSERT INTO {t.merges} SELECT * FROM {w('merges')}",
    ]
    return cc, adapter.row_count(w("merges")), dml


def drop_scratch(adapter, t: StitcherTables) -> None:
    for name in _SCRATCH:
        adapter.execute(f"DROP TABLE IF EXISTS {t.work(name)}")
