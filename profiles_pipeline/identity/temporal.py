"""When each link is kept: the guards of `guards.py` as functions of time.

As of an instant T the graph holds the links first seen at or before T, and the guards judge
them by what exists at T. Both guards change with T in one direction only, so every link is
kept during one interval `[kept_from, kept_until)`:

- a node becomes a hub at `hub_at`, the first-seen time of its (threshold + 1)-th link, and stays
  one; its links stop being kept then;
- a side a→b over a's `maximum_edges` limit k is dropped while at least k of a's earlier links
  (by first seen, then value) to b's type lead to non-hubs. Earlier competitors only turn into
  hubs, so the side is dropped from its first sighting until the k-th latest hub time among
  them (for ever when k of them never become hubs), and kept after.

At the interval's end time the answer equals what `full.py` computes for a rebuild as of T;
`test_identity_history.py` checks it on generated graphs.
"""

from __future__ import annotations

from profiles_pipeline.identity.guards import limits
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.warehouse.sqltree import case_by, drop, run

_TEMP = "CREATE OR REPLACE TEMP TABLE"

_HUB_AT = f"""{_TEMP} out AS
SELECT node, first_seen_at AS hub_at FROM (
  SELECT h.a AS node, h.first_seen_at, n.id_type,
         ROW_NUMBER() OVER (PARTITION BY h.a ORDER BY h.first_seen_at) AS rk
  FROM (SELECT n1 AS a, first_seen_at FROM links UNION ALL SELECT n2 AS a, first_seen_at FROM links) AS h
  JOIN nodes AS n ON h.a = n.node
) AS r WHERE rk = :threshold + 1"""

_RANKED = f"""{_TEMP} out AS
SELECT h.a, h.b, nb.id_type AS tb, lim.k,
       ROW_NUMBER() OVER (PARTITION BY h.a, nb.id_type ORDER BY h.first_seen_at, nb.id_value) AS pos
FROM (SELECT n1 AS a, n2 AS b, first_seen_at FROM links
      UNION ALL SELECT n2 AS a, n1 AS b, first_seen_at FROM links) AS h
JOIN nodes AS na ON h.a = na.node
JOIN nodes AS nb ON h.b = nb.node
JOIN lims AS lim ON na.id_type = lim.ta AND nb.id_type = lim.tb
LEFT JOIN hubs AS ha ON ha.node = h.a
WHERE ha.hub_at IS NULL OR h.first_seen_at < ha.hub_at"""

_UNDROP = f"""{_TEMP} out AS
SELECT a, b, c_hub AS undrop, c_hub IS NULL AS forever FROM (
  SELECT r.a, r.b, r.k, hb.hub_at AS c_hub,
         ROW_NUMBER() OVER (PARTITION BY r.a, r.b ORDER BY hb.hub_at DESC NULLS FIRST) AS ord
  FROM ranked AS r
  JOIN ranked AS c ON c.a = r.a AND c.tb = r.tb AND c.pos < r.pos
  LEFT JOIN hubs AS hb ON hb.node = c.b
  WHERE r.pos > r.k
) AS x WHERE ord = k"""

_KEPT = f"""{_TEMP} out AS
SELECT n1, n2, kept_from, kept_until FROM (
  SELECT l.n1, l.n2,
         GREATEST(l.first_seen_at, COALESCE(s1.undrop, l.first_seen_at), COALESCE(s2.undrop, l.first_seen_at)) AS kept_from,
         LEAST(COALESCE(h1.hub_at, h2.hub_at), COALESCE(h2.hub_at, h1.hub_at)) AS kept_until
  FROM links AS l
  LEFT JOIN sides AS s1 ON s1.a = l.n1 AND s1.b = l.n2
  LEFT JOIN sides AS s2 ON s2.a = l.n2 AND s2.b = l.n1
  LEFT JOIN hubs AS h1 ON h1.node = l.n1
  LEFT JOIN hubs AS h2 ON h2.node = l.n2
  WHERE NOT COALESCE(s1.forever, FALSE) AND NOT COALESCE(s2.forever, FALSE)
) AS k WHERE kept_until IS NULL OR kept_from < kept_until"""

_NO_SIDES = f"{_TEMP} out AS SELECT CAST(NULL AS BIGINT) AS a, CAST(NULL AS BIGINT) AS b, " \
    "CAST(NULL AS TIMESTAMP) AS undrop, FALSE AS forever WHERE FALSE"


def kept_intervals(adapter, plan: StitcherPlan, nodes: str, links: str, out: str, work) -> None:
    """`out` (n1, n2, kept_from, kept_until) for the links `links` (n1, n2, first_seen_at) between
    `nodes` (node, id_value, id_type); a link never kept is left out, `kept_until` NULL is never."""
    hubs, ranked, sides, lims = work("hub"), work("rank"), work("side"), work("lims")
    own = {t: plan.hub_threshold(t) for t in plan.all_id_types()}
    threshold = case_by("id_type", own, int(plan.hub_threshold_default))
    run(adapter, _HUB_AT, {"out": hubs, "links": links, "nodes": nodes}, threshold=threshold)
    rules = limits(plan)
    if rules:
        values = " UNION ALL ".join(f"SELECT :ta{i} AS ta, :tb{i} AS tb, :k{i} AS k" for i in range(len(rules)))
        params = {f"{p}{i}": v for i, rule in enumerate(rules) for p, v in zip(("ta", "tb", "k"), rule, strict=True)}
        run(adapter, f"{_TEMP} out AS {values}", {"out": lims}, **params)
        run(adapter, _RANKED, {"out": ranked, "links": links, "nodes": nodes, "lims": lims, "hubs": hubs})
        run(adapter, _UNDROP, {"out": sides, "ranked": ranked, "hubs": hubs})
    else:
        run(adapter, _NO_SIDES, {"out": sides})
    run(adapter, _KEPT, {"out": out, "links": links, "sides": sides, "hubs": hubs})
    drop(adapter, hubs, ranked, sides, lims)
