"""Look-ups on a built id graph: an id → its cluster; two ids → the chain of edges linking them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from profiles_pipeline.errors import UserError
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.sqlbits import lit
from profiles_pipeline.identity.tables import StitcherTables


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


@dataclass(frozen=True)
class Explanation:
    same_cluster: bool
    main_id1: str
    main_id2: str
    path: list[PathEdge]

    def __str__(self) -> str:
        if not self.same_cluster:
            return f"different clusters: {self.main_id1} and {self.main_id2}; no chain of edges links them"
        steps = [f"{e.id1_type}:{e.id1} — {e.id2_type}:{e.id2} (source {e.source}, first seen {e.first_seen_at})" for e in self.path]
        return f"cluster {self.main_id1}, {len(self.path)} edge(s):\n  " + "\n  ".join(steps)


def _node(adapter, plan: StitcherPlan, id_value: str, id_type: str | None) -> tuple[int, str, str, int, str]:
    t = StitcherTables.of(plan)
    if not adapter.table_exists(t.nodes):
        raise UserError(f"id graph {plan.name!r} has not been built yet; run the stitcher first")
    where = f"id_value = {lit(id_value)}" + (f" AND id_type = {lit(id_type)}" if id_type else "")
    rows = adapter.fetch(f"SELECT node, id_value, id_type, comp, main_id FROM {t.nodes} WHERE {where} ORDER BY id_type")
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
    """The shortest chain of used edges from id1 to id2 (networkx on their cluster's edges only)."""
    import networkx as nx

    a, b = _node(adapter, plan, id1, id1_type), _node(adapter, plan, id2, id2_type)
    if a[3] != b[3]:
        return Explanation(False, a[4], b[4], [])
    t = StitcherTables.of(plan)
    rows = adapter.fetch(
        f"SELECT l.n1, l.n2, x.id_value AS v1, x.id_type AS t1, y.id_value AS v2, y.id_type AS t2, l.source, l.first_seen_at "
        f"FROM {t.links} AS l JOIN {t.nodes} AS x ON l.n1 = x.node JOIN {t.nodes} AS y ON l.n2 = y.node "
        f"WHERE l.kept AND x.comp = {int(a[3])}"
    )
    g = nx.Graph()
    for n1, n2, v1, t1, v2, t2, source, seen in rows:
        g.add_edge(n1, n2, edge=(n1, v1, t1, v2, t2, source, seen))
    hops = nx.shortest_path(g, a[0], b[0]) if a[0] != b[0] else [a[0]]
    path = []
    for u, v in zip(hops, hops[1:], strict=False):
        n1, v1, t1, v2, t2, source, seen = g.edges[u, v]["edge"]
        if n1 != u:
            v1, t1, v2, t2 = v2, t2, v1, t1
        path.append(PathEdge(v1, t1, v2, t2, source, seen))
    return Explanation(True, a[4], b[4], path)
