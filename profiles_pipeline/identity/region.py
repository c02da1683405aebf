"""An incremental day under cluster rules: rebuild only the region the day can change.

The cluster rules decide a link by replaying every link of its component over the links pb's
guards keep at some time (`cluster_rules`), so a day's edge can change decisions anywhere in
that component, not only in the clusters it touches. The region is those components, found
without reading every link: start from the clusters of the day's ids and of the nodes whose
links were re-judged, and follow every link the head does not use (refused, over a limit, at a
hub) and every new link to the clusters at its other end, until nothing is added. Links the
head uses lie inside one cluster, so the region is closed: every link of its nodes is in it.

The region's nodes and links (the stores' rows with the day's changes) then go through the same
`build_graph` as a full rebuild, and replace the region's rows in the stores; node keys stay.
"""

from __future__ import annotations

from profiles_pipeline.identity.full import build_graph
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.warehouse.sqltree import run

_TEMP = "CREATE OR REPLACE TEMP TABLE"

#: Cluster pairs joined by a link the head does not use or by a link of the day; a new node is
#: its own cluster, numbered -node.
_PAIRS = f"""{_TEMP} out AS SELECT DISTINCT ca, cb FROM (
  SELECT a.comp AS ca, b.comp AS cb FROM links AS l JOIN nodes AS a ON a.node = l.n1 JOIN nodes AS b ON b.node = l.n2
  WHERE NOT l.kept AND a.comp <> b.comp
  UNION ALL SELECT COALESCE(a.comp, -a.node), COALESCE(b.comp, -b.node) FROM ld AS d
  JOIN dk AS a ON a.node = d.n1 JOIN dk AS b ON b.node = d.n2) AS p"""

_SEEDS = f"""{_TEMP} out AS SELECT DISTINCT comp FROM (
  SELECT COALESCE(comp, -node) AS comp FROM dk
  UNION ALL SELECT n.comp FROM nodes AS n WHERE n.node IN (SELECT node FROM tp)) AS s"""

_GROW = """INSERT INTO region SELECT DISTINCT cb FROM (SELECT ca, cb FROM pairs UNION ALL SELECT cb, ca FROM pairs) AS p
WHERE ca IN (SELECT comp FROM region) AND cb NOT IN (SELECT comp FROM region)"""

_NODES = f"""{_TEMP} out AS
SELECT n.node, n.id_value, n.id_type, COALESCE(d.first_seen_at, n.first_seen_at) AS first_seen_at
FROM nodes AS n LEFT JOIN nd AS d ON d.node = n.node WHERE n.comp IN (SELECT comp FROM region)
UNION ALL SELECT node, id_value, id_type, first_seen_at FROM nd WHERE is_new"""

_LINKS = f"""{_TEMP} out AS
SELECT l.n1, l.n2, COALESCE(d.source, l.source) AS source, COALESCE(d.first_seen_at, l.first_seen_at) AS first_seen_at
FROM links AS l LEFT JOIN ld AS d ON d.n1 = l.n1 AND d.n2 = l.n2 WHERE l.n1 IN (SELECT node FROM rn0)
UNION ALL SELECT n1, n2, source, first_seen_at FROM ld WHERE is_new"""

#: This module's scratch tables (dropped by `drop_region`).
SCRATCH = ("rpairs", "rregion", "rn0", "rl2", "rnodes", "rlinks", "rdeg", "rlabels", "rmk", "rrefused", "rki", "rjudged")


def rebuild_region(adapter, plan: StitcherPlan, t: StitcherTables, run_id: str) -> tuple:
    """After `incremental_merge` (its scratch tables still there, its DML not run): build the
    region's new rows. Returns (components result, the DML that puts them in the stores, the
    table of the region's new node rows)."""
    w = t.work
    names = {"links": t.links, "nodes": t.nodes, "ld": w("ld"), "dk": w("dk"), "nd": w("nd"), "tp": w("tp"),
             "pairs": w("rpairs"), "region": w("rregion"), "rn0": w("rn0")}
    run(adapter, _PAIRS, {**names, "out": w("rpairs")})
    run(adapter, _SEEDS, {**names, "out": w("rregion")})
    size = adapter.row_count(w("rregion"))
    while True:
        run(adapter, _GROW, names)
        grown = adapter.row_count(w("rregion"))
        if grown == size:
            break
        size = grown
    run(adapter, _NODES, {**names, "out": w("rn0")})
    run(adapter, _LINKS, {**names, "out": w("rl2")})

    def name(what: str) -> str:
        return w(f"r{what}")

    cc = build_graph(adapter, plan, w("rn0"), w("rl2"), run_id, name)
    region = f"(SELECT node FROM {w('rn0')})"
    dml = [
        f"DELETE FROM {t.nodes} WHERE node IN {region}",
        f"INSERT INTO {t.nodes} SELECT * FROM {w('rnodes')}",
        f"DELETE FROM {t.links} WHERE n1 IN {region}",
        f"INSERT INTO {t.links} SELECT * FROM {w('rlinks')}",
    ]
    return cc, dml, w("rnodes")


def drop_region(adapter, t: StitcherTables) -> None:
    for what in SCRATCH:
        adapter.execute(f"DROP TABLE IF EXISTS {t.work(what)}")
