"""Incremental step 1: the pending rows as node and link deltas against the stores.

The node store is read once, by the day's ids (`dk`: every id of the day with its key, new
ones numbered after the largest key, and its stored first_seen_at, hub flag and cluster). The
link store is read once, for the links at the day's known nodes (`lp`): every link whose
degree or rank a new edge can change is among them, so the guards need no second read.
"""

from __future__ import annotations

from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.warehouse.sqltree import run


def links_at(links: str, nodes_sql: str) -> str:
    """Rows of `links` with an end in `nodes_sql`: two semi-joins rather than an OR over both ends."""
    return (
        f"SELECT * FROM {links} WHERE n1 IN {nodes_sql} "
        f"UNION ALL SELECT * FROM {links} WHERE n2 IN {nodes_sql} AND n1 NOT IN {nodes_sql}"
    )


def ingest(adapter, t: StitcherTables, rows: str) -> None:
    """Pending rows → `dk`, node delta `nd` (node, id_value, id_type, first_seen_at, is_new),
    stored links at the day's nodes `lp`, and link delta `ld` (n1, n2, source, first_seen_at, is_new)."""
    w = t.work
    tab = {"nodes": t.nodes, "links": t.links, "pn": w("pn"), "dk": w("dk"), "nd": w("nd"), "pl0": w("pl0"),
           "pl": w("pl"), "lp": w("lp"), "ld": w("ld")}
    temp = "CREATE OR REPLACE TEMP TABLE"
    run(adapter, f"""{temp} pn AS SELECT id1 AS id_value, id1_type AS id_type, MIN(first_seen_at) AS first_seen_at
        FROM {rows} AS r WHERE id1 = id2 AND id1_type = id2_type GROUP BY id1, id1_type""", tab)
    run(adapter, f"""{temp} dk AS SELECT CASE WHEN node IS NULL THEN
          m + ROW_NUMBER() OVER (PARTITION BY node IS NULL) ELSE node END AS node, id_value, id_type,
          first_seen_at, old_first_seen_at, node IS NULL AS is_new, COALESCE(hub, FALSE) AS hub, comp
        FROM (SELECT n.node, p.id_value, p.id_type, p.first_seen_at, n.first_seen_at AS old_first_seen_at,
                     n.hub, n.comp FROM pn AS p LEFT JOIN nodes AS n
              ON p.id_value = n.id_value AND p.id_type = n.id_type) AS j
        CROSS JOIN (SELECT COALESCE(MAX(node), 0) AS m FROM nodes) AS mx""", tab)
    run(adapter, f"""{temp} nd AS SELECT node, id_value, id_type,
        CASE WHEN is_new THEN first_seen_at ELSE LEAST(first_seen_at, old_first_seen_at) END AS first_seen_at,
        is_new FROM dk WHERE is_new OR first_seen_at < old_first_seen_at""", tab)
    run(adapter, f"""{temp} pl0 AS SELECT LEAST(a.node, b.node) AS n1, GREATEST(a.node, b.node) AS n2,
        r.source, r.first_seen_at FROM {rows} AS r JOIN dk AS a ON r.id1 = a.id_value AND r.id1_type = a.id_type
        JOIN dk AS b ON r.id2 = b.id_value AND r.id2_type = b.id_type
        WHERE NOT (r.id1 = r.id2 AND r.id1_type = r.id2_type)""", tab)
    run(adapter, f"""{temp} pl AS SELECT x.n1, x.n2, MIN(x.source) AS source, mn.first_seen_at
        FROM pl0 AS x JOIN (SELECT n1, n2, MIN(first_seen_at) AS first_seen_at FROM pl0 GROUP BY n1, n2) AS mn
        ON x.n1 = mn.n1 AND x.n2 = mn.n2 AND x.first_seen_at = mn.first_seen_at
        GROUP BY x.n1, x.n2, mn.first_seen_at""", tab)
    run(adapter, f"{temp} lp AS {links_at('links', '(SELECT node FROM dk WHERE NOT is_new)')}", tab)
    run(adapter, f"""{temp} ld AS SELECT p.n1, p.n2,
        CASE WHEN l.n1 IS NULL OR p.first_seen_at < l.first_seen_at THEN p.source
             WHEN p.first_seen_at = l.first_seen_at THEN LEAST(p.source, l.source) ELSE l.source END AS source,
        CASE WHEN l.n1 IS NULL THEN p.first_seen_at ELSE LEAST(p.first_seen_at, l.first_seen_at) END AS first_seen_at,
        l.n1 IS NULL AS is_new FROM pl AS p LEFT JOIN lp AS l ON p.n1 = l.n1 AND p.n2 = l.n2
        WHERE l.n1 IS NULL OR p.first_seen_at < l.first_seen_at
           OR (p.first_seen_at = l.first_seen_at AND p.source < l.source)""", tab)
