"""`profiles audit id_stitcher` (pb's `pb audit id_stitcher`): the stitcher report plus what an
audit asks next — how much stitching merged, which id types reach how many profiles, which ids hold
the most links, and what the largest cluster looks like (its bridge ids: remove one and it splits).

Read-only: it reads the node and link stores the run left, never the inputs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import networkx as nx
from sqlglot import exp, select

from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.report import StitchReport, build_report
from profiles_pipeline.identity.tables import StitcherTables

#: A cluster is drawn only up to this many ids (a picture of thousands of ids says nothing).
MAX_DRAWN_IDS = 150


@dataclass(frozen=True)
class BusyNode:
    """An id with many links: a candidate hub, or the join that merged a large cluster."""

    id_value: str
    id_type: str
    degree: int
    main_id: str
    cluster_size: int


@dataclass(frozen=True)
class ClusterPicture:
    """One cluster's ids and kept links, with positions for drawing and its bridge ids."""

    main_id: str
    nodes: list[tuple[str, str, float, float]]  # id_value, id_type, x, y (0..1)
    links: list[tuple[int, int]]  # indexes into nodes
    bridges: list[tuple[str, str]]  # (id_value, id_type) whose removal splits the cluster
    shown: bool = True  # False when the cluster is larger than MAX_DRAWN_IDS


@dataclass(frozen=True)
class StitcherAudit:
    report: StitchReport
    ids: int
    profiles: int
    #: id type -> number of profiles (clusters) holding at least one id of that type
    coverage: dict[str, int]
    busiest: list[BusyNode] = field(default_factory=list)
    largest_cluster: ClusterPicture | None = None

    @property
    def ids_per_profile(self) -> float:
        return round(self.ids / self.profiles, 3) if self.profiles else 0.0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["report"] = self.report.as_dict()
        d["ids_per_profile"] = self.ids_per_profile
        return d


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


def _coverage(adapter, nodes: exp.Table) -> dict[str, int]:
    query = (select(_col("id_type"), exp.Count(this=exp.Distinct(expressions=[_col("comp")])))
             .from_(nodes).group_by(_col("id_type")).order_by(_col("id_type")))
    return {str(t): int(n) for t, n in adapter.fetch(query)}


def _busiest(adapter, nodes: exp.Table, top: int) -> list[BusyNode]:
    sizes = (select(_col("comp"), exp.alias_(exp.Count(this=exp.Star()), "size"))
             .from_(nodes.copy()).group_by(_col("comp")).subquery("s"))
    query = (
        select(_col("id_value", "n"), _col("id_type", "n"), _col("degree", "n"), _col("main_id", "n"), _col("size", "s"))
        .from_(exp.alias_(nodes, "n", table=True))
        .join(sizes, on=exp.EQ(this=_col("comp", "n"), expression=_col("comp", "s")))
        .where(exp.GT(this=_col("degree", "n"), expression=exp.Literal.number(0)))
        .order_by(exp.Ordered(this=_col("degree", "n"), desc=True), _col("id_type", "n"), _col("id_value", "n"))
        .limit(top)
    )
    return [BusyNode(str(v), str(t), int(d), str(m), int(s)) for v, t, d, m, s in adapter.fetch(query)]


def _picture(adapter, t: StitcherTables, main_id: str, size: int) -> ClusterPicture:
    if size > MAX_DRAWN_IDS:
        return ClusterPicture(main_id, [], [], [], shown=False)
    nodes = adapter.table_expr(t.nodes)
    members = adapter.fetch(
        select(_col("node"), _col("id_value"), _col("id_type")).from_(nodes)
        .where(exp.EQ(this=_col("main_id"), expression=exp.Literal.string(main_id)))
        .order_by(_col("id_type"), _col("id_value"))
    )
    index = {int(n): i for i, (n, _, _) in enumerate(members)}
    in_cluster = [exp.Literal.number(n) for n in index]
    links = adapter.fetch(
        select(_col("n1"), _col("n2")).from_(adapter.table_expr(t.links))
        .where(exp.and_(_col("kept"), exp.In(this=_col("n1"), expressions=in_cluster)))
    )
    graph = nx.Graph()
    graph.add_nodes_from(range(len(members)))
    pairs = sorted({(index[int(a)], index[int(b)]) for a, b in links if int(a) in index and int(b) in index})
    graph.add_edges_from(pairs)
    positions = nx.spring_layout(graph, seed=7) if len(members) > 1 else {0: (0.0, 0.0)}
    xs = [p[0] for p in positions.values()] or [0.0]
    ys = [p[1] for p in positions.values()] or [0.0]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    drawn = [(str(v), str(ty), (positions[i][0] - min(xs)) / span_x, (positions[i][1] - min(ys)) / span_y)
             for i, (_, v, ty) in enumerate(members)]
    bridges = sorted((drawn[i][0], drawn[i][1]) for i in nx.articulation_points(graph))
    return ClusterPicture(main_id, drawn, pairs, bridges)


def audit_stitcher(adapter, plan: StitcherPlan, *, top: int = 10, **last_run) -> StitcherAudit:
    """Everything `profiles audit id_stitcher` shows, read from the built stores of `plan`."""
    t = StitcherTables.of(plan)
    report = build_report(adapter, plan, top=top, **last_run)
    nodes = adapter.table_expr(t.nodes)
    largest = report.largest[0] if report.largest else None
    return StitcherAudit(
        report=report,
        ids=report.ids_after_filters,
        profiles=report.clusters,
        coverage=_coverage(adapter, nodes.copy()),
        busiest=_busiest(adapter, nodes.copy(), top),
        largest_cluster=_picture(adapter, t, largest.main_id, largest.size) if largest and largest.size > 1 else None,
    )
