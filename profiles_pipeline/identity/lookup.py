"""Look-ups on a built id graph: an id → its cluster; two ids → the chain of edges linking them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from profiles_pipeline.errors import UserError
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.warehouse.sqltree import rows as sql_rows


@dataclass(frozen=True)
class ClusterMember:
    id_value: str
    id_type: str
    first_seen_at: datetime


@dataclass(frozen=True)
class LookupResult:
    main_id: str
    id_value: str
    id_type: str
    members: list[ClusterMember]


@dataclass(frozen=True)
class PathEdge:
    id1: str
    id1_type: str
    id2: str
    id2_type: str
    source: str
    first_seen_at: datetime
    #: why the graph does not use this edge (a hub, maximum_edges, a cluster rule); None: used
    unused_because: str | None = None

    def __str__(self) -> str:
        text = f"{self.id1_type}:{self.id1} — {self.id2_type}:{self.id2} (source {self.source}, first seen {self.first_seen_at})"
        return text + (f"\n    not used: {self.unused_because}" if self.unused_because else "")


@dataclass(frozen=True)
class Explanation:
    same_cluster: bool
    main_id1: str
    main_id2: str
    #: together: the shortest chain of used edges; apart: the shortest chain of all edges, its
    #: unused ones saying why (empty when no chain of edges links them at all)
    path: list[PathEdge]

    def __str__(self) -> str:
        steps = "\n  ".join(str(e) for e in self.path)
        if self.same_cluster:
            return f"cluster {self.main_id1}, {len(self.path)} edge(s):\n  {steps}"
        if not self.path:
            return f"different clusters: {self.main_id1} and {self.main_id2}; no chain of edges links them"
        unused = sum(1 for e in self.path if e.unused_because)
        return (f"different clusters: {self.main_id1} and {self.main_id2}; a chain of {len(self.path)} edge(s) links "
                f"them, {unused} of which the graph does not use:\n  {steps}")


def _node(adapter, plan: StitcherPlan, id_value: str, id_type: str | None) -> tuple[int, str, str, int, str]:
    t = StitcherTables.of(plan)
    if not adapter.table_exists(t.nodes):
        raise UserError(f"id graph {plan.name!r} has not been built yet; run the stitcher first")
    # the value a user typed goes in as a literal of the tree, never pasted into SQL text
    by_type = " AND id_type = :id_type" if id_type else ""
    rows = sql_rows(adapter, f"SELECT node, id_value, id_type, comp, main_id FROM nodes WHERE id_value = :value{by_type} "
                    "ORDER BY id_type", {"nodes": t.nodes}, value=id_value, id_type=id_type)
    what = f"id {id_value!r}" + (f" of type {id_type!r}" if id_type else "")
    if not rows:
        raise UserError(f"{what} is not in id graph {plan.name!r}; check the value and type (types: {', '.join(plan.all_id_types())})")
    if len({r[3] for r in rows}) > 1:
        types = ", ".join(r[2] for r in rows)
        raise UserError(f"{what} exists as several id types in different clusters ({types}); pass its id type")
    return rows[0]


def lookup(adapter, plan: StitcherPlan, id_value: str, id_type: str | None = None) -> LookupResult:
    """The main id of `id_value` and every id of its cluster (earliest first). Unknown id → UserError."""
    _, value, typ, comp, main_id = _node(adapter, plan, id_value, id_type)
    t = StitcherTables.of(plan)
    rows = adapter.fetch(
        f"SELECT id_value, id_type, first_seen_at FROM {t.nodes} WHERE comp = {int(comp)} "
        "ORDER BY first_seen_at, id_type, id_value"
    )
    return LookupResult(main_id, value, typ, [ClusterMember(*r) for r in rows])


def explain(
    adapter, plan: StitcherPlan, id1: str, id2: str, id1_type: str | None = None, id2_type: str | None = None
) -> Explanation:
    """Why two ids are, or are not, one profile: the shortest chain of used edges linking them
    (networkx on their cluster's edges only), or else the chain of edges that would, with the
    reason each unused edge is unused (which rule, which ids, first seen when)."""
    a, b = _node(adapter, plan, id1, id1_type), _node(adapter, plan, id2, id2_type)
    if a[3] != b[3]:
        return Explanation(False, a[4], b[4], _apart(adapter, plan, a, b))
    t = StitcherTables.of(plan)
    rows = adapter.fetch(
        f"SELECT l.n1, l.n2, x.id_value AS v1, x.id_type AS t1, y.id_value AS v2, y.id_type AS t2, l.source, "
        f"l.first_seen_at, CAST(NULL AS VARCHAR) AS why FROM {t.links} AS l JOIN {t.nodes} AS x ON l.n1 = x.node "
        f"JOIN {t.nodes} AS y ON l.n2 = y.node WHERE l.kept AND x.comp = {int(a[3])}"
    )
    return Explanation(True, a[4], b[4], _shortest(rows, a[0], b[0]))


#: Clusters reached from the first id through unused edges, at most this many steps out.
_APART_STEPS = 6


def _apart(adapter, plan: StitcherPlan, a, b) -> list[PathEdge]:
    """The shortest chain of edges, used or not, between two ids in different clusters: grows
    the set of clusters from `a`'s through unused edges until it holds `b`'s; used edges cost
    nothing, so the chain crosses as few unused ones as it can."""
    t = StitcherTables.of(plan)
    comps = {int(a[3])}
    for _ in range(_APART_STEPS):
        if int(b[3]) in comps:
            break
        listed = ", ".join(str(c) for c in sorted(comps))
        reached = {int(r[0]) for r in adapter.fetch(
            f"SELECT DISTINCT CASE WHEN x.comp IN ({listed}) THEN y.comp ELSE x.comp END FROM {t.links} AS l "
            f"JOIN {t.nodes} AS x ON l.n1 = x.node JOIN {t.nodes} AS y ON l.n2 = y.node "
            f"WHERE NOT l.kept AND (x.comp IN ({listed}) OR y.comp IN ({listed}))")}
        if reached <= comps:
            return []
        comps |= reached
    if int(b[3]) not in comps:
        return []
    listed = ", ".join(str(c) for c in sorted(comps))
    why = ("CASE WHEN l.kept THEN NULL WHEN x.hub OR y.hub THEN 'hub: ' || CASE WHEN x.hub THEN x.id_type || ' ' || "
           "x.id_value ELSE y.id_type || ' ' || y.id_value END || ' is quarantined' ELSE COALESCE(l.drop1, l.drop2) END")
    rows = adapter.fetch(
        f"SELECT l.n1, l.n2, x.id_value AS v1, x.id_type AS t1, y.id_value AS v2, y.id_type AS t2, l.source, "
        f"l.first_seen_at, {why} AS why "
        f"FROM {t.links} AS l JOIN {t.nodes} AS x ON l.n1 = x.node JOIN {t.nodes} AS y ON l.n2 = y.node "
        f"WHERE x.comp IN ({listed}) AND y.comp IN ({listed})"
    )
    return _shortest(rows, a[0], b[0])


def _shortest(rows, start: int, goal: int) -> list[PathEdge]:
    """The cheapest chain from node `start` to `goal` over `rows` (n1, n2, v1, t1, v2, t2, source,
    first_seen_at, unused_because): an unused edge costs 1, a used one nothing (networkx)."""
    import networkx as nx

    g = nx.Graph()
    for n1, n2, v1, t1, v2, t2, source, seen, why in rows:
        g.add_edge(n1, n2, edge=(n1, v1, t1, v2, t2, source, seen, why), cost=1 if why else 0)
    if start == goal:
        return []
    if start not in g or goal not in g or not nx.has_path(g, start, goal):
        return []
    hops = nx.dijkstra_path(g, start, goal, weight=lambda u, v, d: d["cost"] + 1e-6)
    path = []
    for u, v in zip(hops, hops[1:], strict=False):
        n1, v1, t1, v2, t2, source, seen, why = g.edges[u, v]["edge"]
        if n1 != u:
            v1, t1, v2, t2 = v2, t2, v1, t1
        path.append(PathEdge(v1, t1, v2, t2, source, seen, why))
    return path
