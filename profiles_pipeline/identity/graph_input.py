"""The graph as of an instant, from the stored edges: numbered nodes and one row per link.

A rebuild reads the stored edges (strings) once, here; the history over the checkpoints and
the head rebuild then work on the integer keys of the same two tables.
"""

from __future__ import annotations

from datetime import date, datetime

from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.warehouse.sqltree import drop, run

_TEMP = "CREATE OR REPLACE TEMP TABLE"


def build_graph_input(adapter, plan: StitcherPlan, t: StitcherTables, end: datetime, first_day: date,
                      nodes: str, links: str) -> None:
    """TEMP tables `nodes` (node, id_value, id_type, first_seen_at, fb) and `links` (n1, n2,
    source, first_seen_at) of the edges first seen by `end` (from the plan's first day).

    Nodes are numbered by (first_seen_at, type, value), so a cluster's smallest key is its
    earliest id; `fb` is the node's day bucket counted from `first_day` (1 for earlier days).
    A link's row is its earliest sighting and, of those, the smallest source.
    """
    since = plan.since.date() if plan.since else date.min
    scratch = t.work("gl0")
    tab = {"rows": t.day_edges, "nodes": nodes, "links": links, "l0": scratch}
    # The rank by (first_seen_at, type, value) in two levels: the ids seen before each instant
    # (a sort of the distinct instants), then the rank within an instant (small sorts, in
    # parallel); the same numbers as one ROW_NUMBER over the strings, in about half the time.
    run(adapter, f"""{_TEMP} nodes AS
      WITH seen AS (SELECT id1 AS id_value, id1_type AS id_type, MIN(first_seen_at) AS first_seen_at FROM rows
                 WHERE first_seen_at <= :t_end AND day >= :since AND id1 = id2 AND id1_type = id2_type
                 GROUP BY id1, id1_type),
        instants AS (SELECT first_seen_at, COUNT(*) AS n FROM seen GROUP BY first_seen_at),
        earlier AS (SELECT first_seen_at, COALESCE(SUM(n) OVER (ORDER BY first_seen_at
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS b FROM instants)
      SELECT CAST(earlier.b + ROW_NUMBER() OVER (PARTITION BY seen.first_seen_at ORDER BY seen.id_type, seen.id_value) AS BIGINT) AS node,
        seen.id_value, seen.id_type, seen.first_seen_at,
        GREATEST(1, DATE_DIFF('day', :d1, CAST(seen.first_seen_at AS DATE)) + 1) AS fb
      FROM seen JOIN earlier ON seen.first_seen_at = earlier.first_seen_at""",
        tab, d1=first_day, t_end=end, since=since)
    run(adapter, f"""{_TEMP} l0 AS SELECT LEAST(a.node, b.node) AS n1, GREATEST(a.node, b.node) AS n2, r.source, r.first_seen_at
      FROM rows AS r JOIN nodes AS a ON r.id1 = a.id_value AND r.id1_type = a.id_type
      JOIN nodes AS b ON r.id2 = b.id_value AND r.id2_type = b.id_type
      WHERE r.first_seen_at <= :t_end AND r.day >= :since AND NOT (r.id1 = r.id2 AND r.id1_type = r.id2_type)""",
        tab, t_end=end, since=since)
    # the join back to l0 is needed only for links seen from more than one source
    run(adapter, f"""{_TEMP} links AS WITH g AS (SELECT n1, n2, MIN(first_seen_at) AS fs, MIN(source) AS smin,
        MAX(source) AS smax FROM l0 GROUP BY n1, n2)
      SELECT n1, n2, smin AS source, fs AS first_seen_at FROM g WHERE smin = smax
      UNION ALL SELECT g.n1, g.n2, MIN(x.source), g.fs FROM g JOIN l0 AS x ON g.n1 = x.n1 AND g.n2 = x.n2
        AND g.fs = x.first_seen_at WHERE g.smin <> g.smax GROUP BY g.n1, g.n2, g.fs""", tab)
    drop(adapter, scratch)
