"""The pb-named views over the stores: `<stitcher>_edges` and `<stitcher>_audit`."""

from __future__ import annotations

from profiles_pipeline.identity.tables import StitcherTables


def edges_view_sql(t: StitcherTables) -> str:
    return (
        "SELECT a.id_value AS id1, a.id_type AS id1_type, b.id_value AS id2, b.id_type AS id2_type, "
        f"l.source, l.first_seen_at FROM {t.links} AS l JOIN {t.nodes} AS a ON l.n1 = a.node "
        f"JOIN {t.nodes} AS b ON l.n2 = b.node"
    )


def audit_view_sql(t: StitcherTables) -> str:
    """Everything the graph does not use, and why: hubs, links over a limit, filtered ids."""
    hub = (
        "SELECT 'node' AS kind, id_value AS id1, id_type AS id1_type, CAST(NULL AS VARCHAR) AS id2, "
        "CAST(NULL AS VARCHAR) AS id2_type, 'hub' AS reason, "
        "'linked to ' || CAST(degree AS VARCHAR) || ' distinct ids; quarantined: kept as a node, never a bridge' "
        f"AS detail, decided_run_id AS run_id FROM {t.nodes} WHERE hub"
    )
    edge = (
        "SELECT 'edge' AS kind, a.id_value, a.id_type, b.id_value, b.id_type, 'maximum_edges' AS reason, "
        "COALESCE(l.drop1, l.drop2) AS detail, l.decided_run_id "
        f"FROM {t.links} AS l JOIN {t.nodes} AS a ON l.n1 = a.node JOIN {t.nodes} AS b ON l.n2 = b.node "
        "WHERE l.drop1 IS NOT NULL OR l.drop2 IS NOT NULL"
    )
    ids = (
        "SELECT 'id' AS kind, id_value, id_type, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), "
        "CASE WHEN reason = 'blank' THEN 'blank' ELSE 'filtered' END, reason || ' (' || "
        "CAST(SUM(occurrences) AS VARCHAR) || ' occurrence(s))', CAST(NULL AS VARCHAR) "
        f"FROM {t.excluded} GROUP BY id_value, id_type, reason"
    )
    return f"{hub} UNION ALL {edge} UNION ALL {ids}"


def create_views(adapter, t: StitcherTables) -> None:
    adapter.create_view(t.edges, edges_view_sql(t))
    adapter.create_view(t.audit, audit_view_sql(t))
