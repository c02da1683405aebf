"""Guards against over-stitching, as SQL over the integer node/link stores.

- Hub: a node linked to more distinct ids than its type's threshold is quarantined: it stays a
  node but none of its links is used.
- maximum_edges (pb): `user_id: {email: 2}` lets a user_id node keep links to at most 2 email
  nodes: its links to email nodes are ranked by (first_seen_at, email value) and the later ones
  are dropped. Links to hubs don't use up the limit. Each side of a link is judged by its own
  node's rule, so a link's fate depends only on its two endpoints' links: a row order within a
  day, or which run saw an edge first, cannot change it.
"""

from __future__ import annotations

from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.sqlbits import case_by_type, lit


def hub_threshold_sql(plan: StitcherPlan, type_col: str) -> str:
    own = {t: str(plan.hub_threshold(t)) for t in plan.all_id_types()}
    return case_by_type(type_col, own, str(int(plan.hub_threshold_default)))


def limits(plan: StitcherPlan) -> list[tuple[str, str, int]]:
    return sorted(
        (r.name, other, int(k)) for r in plan.id_types.values() for other, k in r.maximum_edges.items()
    )


def degree_sql(links_sql: str, scope_sql: str | None = None) -> str:
    """(node, degree) over `links_sql` (n1, n2), only for nodes in `scope_sql` (node) if given."""
    ends = f"SELECT n1 AS node FROM ({links_sql}) AS _l UNION ALL SELECT n2 AS node FROM ({links_sql}) AS _r"
    where = f" WHERE node IN (SELECT node FROM ({scope_sql}) AS _s)" if scope_sql else ""
    return f"SELECT node, COUNT(*) AS degree FROM ({ends}) AS _e{where} GROUP BY node"


def dropped_sides_sql(plan: StitcherPlan, half_sql: str, info_sql: str) -> str | None:
    """(a, b, reason) for each half-link a→b that a's maximum_edges rule drops.

    `half_sql` has (a, b, first_seen_at) and must hold every link of each `a` it mentions;
    `info_sql` has (node, id_type, id_value, hub). None when the plan sets no limits.
    """
    lims = limits(plan)
    if not lims:
        return None
    values = ", ".join(f"({lit(a)}, {lit(b)}, {k})" for a, b, k in lims)
    reason = (
        "'maximum_edges: ' || na.id_type || ' ' || na.id_value || ' keeps its ' || CAST(lim.k AS VARCHAR)"
        " || ' earliest ' || nb.id_type || ' link(s)'"
    )
    return (
        f"SELECT a, b, reason FROM (SELECT h.a, h.b, lim.k, {reason} AS reason, "
        "ROW_NUMBER() OVER (PARTITION BY h.a, nb.id_type ORDER BY h.first_seen_at, nb.id_value) AS rk "
        f"FROM ({half_sql}) AS h JOIN ({info_sql}) AS na ON h.a = na.node "
        f"JOIN ({info_sql}) AS nb ON h.b = nb.node "
        f"JOIN (VALUES {values}) AS lim(ta, tb, k) ON na.id_type = lim.ta AND nb.id_type = lim.tb "
        "WHERE NOT na.hub AND NOT nb.hub) AS _r WHERE rk > k"
    )


def half_links_sql(links_sql: str, scope_sql: str | None = None) -> str:
    """Both directions of each link; only those leaving a node in `scope_sql` if given."""
    where = f" WHERE a IN (SELECT node FROM ({scope_sql}) AS _s)" if scope_sql else ""
    return (
        f"SELECT * FROM (SELECT n1 AS a, n2 AS b, first_seen_at FROM ({links_sql}) AS _l "
        f"UNION ALL SELECT n2 AS a, n1 AS b, first_seen_at FROM ({links_sql}) AS _r) AS _h{where}"
    )
