"""The pb-named views over the stores: `<stitcher>` (the id graph), `<stitcher>_edges`,
`<stitcher>_merges` (from the history) and `<stitcher>_audit`.

The id graph is a view over the node store rather than a copy: the node store is already
one row per id and is swapped in atomically, so a copy would cost a full write per run.
"""

from __future__ import annotations

from profiles_pipeline.identity.assign import graph_rows_sql
from profiles_pipeline.identity.history_store import merges_view
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.tables import StitcherTables


def _oriented_links(t: StitcherTables) -> str:
    """Links with their ends as strings, id1 before id2 by (type, value), whatever the node keys."""
    first = "(a.id_type < b.id_type OR (a.id_type = b.id_type AND a.id_value < b.id_value))"
    return (
        f"SELECT CASE WHEN {first} THEN a.id_value ELSE b.id_value END AS id1, "
        f"CASE WHEN {first} THEN a.id_type ELSE b.id_type END AS id1_type, "
        f"CASE WHEN {first} THEN b.id_value ELSE a.id_value END AS id2, "
        f"CASE WHEN {first} THEN b.id_type ELSE a.id_type END AS id2_type, "
        f"l.source, l.first_seen_at, CASE WHEN {first} THEN l.drop1 ELSE l.drop2 END AS drop1, "
        f"CASE WHEN {first} THEN l.drop2 ELSE l.drop1 END AS drop2, l.kept, l.decided_run_id "
        f"FROM {t.links} AS l JOIN {t.nodes} AS a ON l.n1 = a.node JOIN {t.nodes} AS b ON l.n2 = b.node"
    )


def edges_view_sql(t: StitcherTables) -> str:
    return f"SELECT id1, id1_type, id2, id2_type, source, first_seen_at FROM ({_oriented_links(t)}) AS _l"


def audit_view_sql(t: StitcherTables) -> str:
    """Everything the graph does not use, and why: hubs, links over a limit or refused by a
    cluster rule (`unique`, `max_per_cluster`), filtered ids."""
    hub = (
        "SELECT 'node' AS kind, id_value AS id1, id_type AS id1_type, CAST(NULL AS VARCHAR) AS id2, "
        "CAST(NULL AS VARCHAR) AS id2_type, 'hub' AS reason, "
        "'linked to ' || CAST(degree AS VARCHAR) || ' distinct ids; quarantined: kept as a node, never a bridge' "
        f"AS detail, decided_run_id AS run_id FROM {t.nodes} WHERE hub"
    )
    edge = (
        "SELECT 'edge' AS kind, id1, id1_type, id2, id2_type, "
        "CASE WHEN COALESCE(drop1, drop2) LIKE 'maximum_edges%' THEN 'maximum_edges' ELSE 'cluster rule' END AS reason, "
        "CASE WHEN drop1 = drop2 THEN drop1 ELSE COALESCE(drop1 || '; ' || drop2, drop1, drop2) END AS detail, "
        "decided_run_id "
        f"FROM ({_oriented_links(t)}) AS l WHERE drop1 IS NOT NULL OR drop2 IS NOT NULL"
    )
    ids = (
        "SELECT 'id' AS kind, id_value, id_type, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), "
        "CASE WHEN reason = 'blank' THEN 'blank' ELSE 'filtered' END, reason || ' (' || "
        "CAST(CAST(SUM(occurrences) AS BIGINT) AS VARCHAR) || ' occurrence(s))', CAST(NULL AS VARCHAR) "
        f"FROM {t.excluded} GROUP BY id_value, id_type, reason"
    )
    return f"{hub} UNION ALL {edge} UNION ALL {ids}"


def create_views(adapter, plan: StitcherPlan, t: StitcherTables) -> None:
    if adapter.relation_kind(t.graph) == "table":  # written by an older version
        adapter.drop(t.graph)
    adapter.create_view(t.graph, graph_rows_sql(plan, f"SELECT * FROM {t.nodes}"))
    adapter.create_view(t.edges, edges_view_sql(t))
    adapter.create_view(t.audit, audit_view_sql(t))
    if adapter.relation_kind(t.merges) == "table":  # an append-only log written by an older version
        adapter.drop(t.merges)
    adapter.create_view(t.merges, merges_view(adapter, t))
