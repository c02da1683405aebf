"""Cluster rules (our extension): a profile holds at most one value of a `unique` id type and at
most `max_per_cluster` values of a limited one.

pb's guards judge a link by its two ends; these rules judge it by the clusters it would join, so
they are decided by replaying the links in the order they came to be kept: a link that would put
more values of a limited type into one cluster than allowed is refused, every other link joins its
clusters (Kruskal's order with a feasibility test). Each id therefore stays with the unique id it
was linked to first. Ties at one instant go by the id types' priority, then by the ids' values,
so the result depends on the data only: not on row order, node numbering, or which run saw what.

The replay runs over every link pb's guards keep at some time (`temporal.kept_intervals`),
ordered by when it starts being kept. A refused link is refused for ever: clusters only grow in
that order, so a join that broke a limit once breaks it later too. That is why the rules fit the
history: as of any instant T the refused links are exactly those a rebuild as of T refuses, and the
history simply leaves them out. Only the components (over those links) that hold more values of a
limited type than allowed are replayed, in Python, over their links alone; a graph without
conflicts is plain connected components.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from profiles_pipeline.identity.components import connected_components
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.warehouse.sqltree import drop, literal, rows, run

_TEMP = "CREATE OR REPLACE TEMP TABLE"
_BATCH = 1000

_CONFLICTS = f"""{_TEMP} out AS SELECT DISTINCT c.label FROM (
  SELECT l.label, n.id_type, COUNT(*) AS values_held FROM labels AS l JOIN nodes AS n ON n.node = l.node
  JOIN lims ON lims.t = n.id_type GROUP BY l.label, n.id_type) AS c
JOIN lims ON lims.t = c.id_type WHERE c.values_held > lims.k"""

_MEMBERS = """SELECT n.node, n.id_type, n.id_value FROM nodes AS n JOIN labels AS l ON l.node = n.node
WHERE l.label IN (SELECT label FROM conflicts)"""

_LINKS = """SELECT k.n1, k.n2, k.kept_from FROM kept AS k JOIN labels AS l ON l.node = k.n1
WHERE l.label IN (SELECT label FROM conflicts)"""


@dataclass(frozen=True)
class Refusal:
    n1: int
    n2: int
    reason: str


def _limits_table(adapter, plan: StitcherPlan, name: str) -> None:
    """TEMP `name` (t, k): each limited id type and the most values of it a cluster may hold."""
    values = exp.values([exp.tuple_(literal(t), literal(k)) for t, k in plan.cluster_limits().items()],
                        alias="v", columns=["t", "k"])
    adapter.execute(exp.Create(this=adapter.table_expr(name), kind="TABLE", replace=True,
                               expression=exp.select("t", "k").from_(values),
                               properties=exp.Properties(expressions=[exp.TemporaryProperty()])))


def refuse_links(adapter, plan: StitcherPlan, nodes: str, kept: str, out: str, work) -> int:
    """`out` (n1, n2, reason): the links of `kept` (n1, n2, kept_from, ...) the cluster rules refuse.

    `nodes` has (node, id_value, id_type); `work(what)` names scratch tables. Returns how many.
    """
    run(adapter, f"{_TEMP} out (n1 BIGINT, n2 BIGINT, reason VARCHAR)", {"out": out})
    lims = plan.cluster_limits()
    if not lims:
        return 0
    labels, conflicts, lim_table = work("rl"), work("rc"), work("rk")
    names = {"nodes": nodes, "kept": kept, "labels": labels, "conflicts": conflicts, "lims": lim_table}
    _limits_table(adapter, plan, lim_table)
    connected_components(adapter, f"SELECT n1 AS a, n2 AS b FROM {kept}", labels, work("rcc"), temp=True)
    run(adapter, _CONFLICTS, {**names, "out": conflicts})
    refusals: list[Refusal] = []
    if adapter.row_count(conflicts):
        members = {int(n): (str(t), str(v)) for n, t, v in rows(adapter, _MEMBERS, names)}
        links = [(int(a), int(b), at) for a, b, at in rows(adapter, _LINKS, names)]
        refusals = replay(plan, members, links)
    for i in range(0, len(refusals), _BATCH):
        batch = refusals[i:i + _BATCH]
        tuples = [exp.tuple_(literal(r.n1), literal(r.n2), literal(r.reason)) for r in batch]
        adapter.execute(exp.insert(exp.values(tuples), adapter.table_expr(out)))
    drop(adapter, labels, conflicts, lim_table)
    return len(refusals)


def replay(plan: StitcherPlan, members: dict[int, tuple[str, str]], links: list[tuple[int, int, object]]) -> list[Refusal]:
    """Kruskal over `links` (n1, n2, kept_from) between `members` (node → (id_type, id_value)),
    refusing each link that would break a cluster limit. Ordered by kept_from, then the link's
    best id type priority, then its ids' (type, value): independent of node keys and row order."""
    lims = plan.cluster_limits()
    rank = {t: plan.priority_rank(t) for t in {m[0] for m in members.values()}}

    def order(link: tuple[int, int, object]) -> tuple:
        a, b = sorted((members[link[0]], members[link[1]]))
        return (link[2], min(rank[a[0]], rank[b[0]]), a, b)

    parent: dict[int, int] = {}
    held: dict[int, dict[str, list[str]]] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def values_of(r: int) -> dict[str, list[str]]:
        if r not in held:
            t, v = members[r]
            held[r] = {t: [v]} if t in lims else {}
        return held[r]

    refused: list[Refusal] = []
    for link in sorted(links, key=order):
        ra, rb = root(link[0]), root(link[1])
        if ra == rb:
            continue
        va, vb = values_of(ra), values_of(rb)
        broken = next((t for t in sorted(set(va) & set(vb)) if len(va[t]) + len(vb[t]) > lims[t]), None)
        if broken is not None:
            refused.append(Refusal(link[0], link[1], _reason(broken, lims[broken], va[broken], vb[broken])))
            continue
        if len(va) < len(vb) or (len(va) == len(vb) and ra > rb):
            ra, rb, va, vb = rb, ra, vb, va
        parent[rb] = ra
        for t, vs in vb.items():
            va.setdefault(t, []).extend(vs)
        held.pop(rb, None)
    return refused


def _reason(id_type: str, limit: int, a: list[str], b: list[str]) -> str:
    if limit == 1:
        first, second = sorted((a[0], b[0]))
        return f"unique {id_type}: would join {id_type} {first} and {id_type} {second}"
    return (f"max_per_cluster {id_type} {limit}: would put {len(a) + len(b)} {id_type} ids in one profile "
            f"({', '.join(sorted(a + b)[:limit + 1])}{', ...' if len(a) + len(b) > limit + 1 else ''})")


_UNKEPT_AT_S = """SELECT COUNT(*) FROM (
  SELECT 1 AS x FROM lnew WHERE NOT kept
  UNION ALL SELECT 1 FROM links AS l WHERE NOT l.kept AND (l.n1 IN (SELECT node FROM cur WHERE in_s)
                                                        OR l.n2 IN (SELECT node FROM cur WHERE in_s))) AS u"""

_OVER_LIMIT_IN_S = """SELECT COUNT(*) FROM (
  SELECT COALESCE(lb.label, c.node) AS cluster, c.id_type, COUNT(*) AS held FROM cur AS c
  LEFT JOIN labels AS lb ON lb.node = c.node WHERE c.in_s GROUP BY COALESCE(lb.label, c.node), c.id_type) AS h
JOIN lims ON lims.t = h.id_type WHERE h.held > lims.k"""


def needs_replay(adapter, plan: StitcherPlan, t) -> bool:
    """After an incremental merge (its scratch tables still there): whether the clusters it
    recomputed may differ from what the rules give. They cannot when no link at them is unkept
    (no rule, hub or limit decision can be replayed differently) and none breaks a limit: their
    replay then refuses nothing, which is plain connected components."""
    w = t.work
    names = {"lnew": w("lnew"), "links": t.links, "cur": w("cur"), "labels": w("labels"), "lims": w("rlims")}
    if rows(adapter, _UNKEPT_AT_S, names)[0][0]:
        return True
    _limits_table(adapter, plan, w("rlims"))
    over = rows(adapter, _OVER_LIMIT_IN_S, names)[0][0]
    drop(adapter, w("rlims"))
    return bool(over)


def relabelled_clusters(adapter, t, nodes: str) -> int:
    """Distinct (old main id, new main id) pairs between the open history and `nodes`."""
    return int(rows(adapter, """SELECT COUNT(*) FROM (SELECT DISTINCT h.main_id, n.main_id AS new_main_id FROM hist AS h
        JOIN nodes AS n ON n.id_value = h.id_value AND n.id_type = h.id_type
        WHERE h.valid_to IS NULL AND h.main_id <> n.main_id) AS d""", {"hist": t.history, "nodes": nodes})[0][0])


def refused_by_values(adapter, nodes: str, refused: str, out: str) -> None:
    """TEMP `out` (v1, t1, v2, t2, reason): `refused` (n1, n2, reason) named by the ids' values,
    so another numbering of the same nodes can use it (`refused_by_keys`)."""
    run(adapter, f"""{_TEMP} out AS SELECT a.id_value AS v1, a.id_type AS t1, b.id_value AS v2, b.id_type AS t2, r.reason
        FROM refused AS r JOIN nodes AS a ON a.node = r.n1 JOIN nodes AS b ON b.node = r.n2""",
        {"out": out, "refused": refused, "nodes": nodes})


def refused_by_keys(adapter, nodes: str, by_values: str, out: str) -> int:
    """TEMP `out` (n1, n2, reason) from `by_values` (`refused_by_values`) in `nodes`' keys."""
    run(adapter, f"""{_TEMP} out AS SELECT LEAST(a.node, b.node) AS n1, GREATEST(a.node, b.node) AS n2, r.reason
        FROM refused AS r JOIN nodes AS a ON a.id_value = r.v1 AND a.id_type = r.t1
        JOIN nodes AS b ON b.id_value = r.v2 AND b.id_type = r.t2""", {"out": out, "refused": by_values, "nodes": nodes})
    return adapter.row_count(out)
