"""The id stitcher report as data: what went in, what was dropped, what came out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlglot import exp

from profiles_pipeline.identity.plan import StitcherPlan, unique_looking
from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.warehouse.sqltree import rows

#: Upper bounds of the cluster size histogram bins (the last bin is open).
SIZE_BINS = (1, 2, 3, 4, 5, 10, 20, 50, 100, 1000)


@dataclass(frozen=True)
class LargeCluster:
    main_id: str
    size: int
    id_types: dict[str, int]


@dataclass(frozen=True)
class StitchReport:
    stitcher: str
    ids_before_filters: int
    ids_after_filters: int
    id_occurrences_before_filters: int
    id_occurrences_after_filters: int
    edge_occurrences_before_filters: int
    edge_occurrences_after_filters: int
    edges: int
    edges_kept: int
    edges_dropped_hub: int
    edges_dropped_maximum_edges: int
    hubs: dict[str, int]
    clusters: int
    singletons_by_type: dict[str, int]
    ids_by_type: dict[str, int]
    size_histogram: list[tuple[str, int]]
    size_counts: dict[int, int]
    largest: list[LargeCluster] = field(default_factory=list)
    converged: bool = True
    passes: int = 0
    seconds: float = 0.0
    #: links refused by a cluster rule (`unique`, `max_per_cluster`)
    edges_refused_cluster_rules: int = 0
    #: id types that look unique (user_id, customer_id, ...) but set no cluster rule: how many
    #: clusters hold more than one value of each (pb's semantics allow it; the key below forbids it)
    several_values_of_unique_looking: dict[str, int] = field(default_factory=dict)

    def hints(self) -> list[str]:
        """What the figures suggest changing, one line each."""
        return [f"{n:,} profiles hold more than one {t}; if a person has one {t}, declare `unique: true` "
                f"on id type {t} in pb_project.yaml" for t, n in sorted(self.several_values_of_unique_looking.items()) if n]

    def as_dict(self) -> dict:
        d = asdict(self)
        d["size_counts"] = {str(k): v for k, v in self.size_counts.items()}
        return d


def _bin_label(i: int) -> str:
    lo = 1 if i == 0 else SIZE_BINS[i - 1] + 1
    if i == len(SIZE_BINS):
        return f">{SIZE_BINS[-1]}"
    hi = SIZE_BINS[i]
    return str(hi) if lo == hi else f"{lo}-{hi}"


def histogram(size_counts: dict[int, int]) -> list[tuple[str, int]]:
    bins = [0] * (len(SIZE_BINS) + 1)
    for size, n in size_counts.items():
        i = next((k for k, hi in enumerate(SIZE_BINS) if size <= hi), len(SIZE_BINS))
        bins[i] += n
    return [(_bin_label(i), n) for i, n in enumerate(bins)]


_BY_CLUSTER_RULE = "(drop1 LIKE 'unique %' OR drop1 LIKE 'max_per_cluster %')"
_BY_MAXIMUM_EDGES = f"((drop1 IS NOT NULL OR drop2 IS NOT NULL) AND NOT COALESCE({_BY_CLUSTER_RULE}, FALSE))"


def several_values(adapter, plan: StitcherPlan, id_types: list[str]) -> dict[str, int]:
    """{id type: clusters holding more than one value of it}, for `id_types`."""
    if not id_types:
        return {}
    t = StitcherTables.of(plan)
    found = dict(rows(adapter, """SELECT id_type, COUNT(*) FROM (SELECT comp, id_type FROM nodes WHERE id_type IN :types
        GROUP BY comp, id_type HAVING COUNT(*) > 1) AS s GROUP BY id_type""", {"nodes": t.nodes},
        types=exp.Tuple(expressions=[exp.Literal.string(x) for x in id_types])))
    return {x: int(found.get(x, 0)) for x in sorted(id_types)}


def build_report(adapter, plan: StitcherPlan, *, passes: int = 0, converged: bool = True, seconds: float = 0.0, top: int = 10) -> StitchReport:
    """Read the stores and the graph of `plan`'s stitcher and summarise them."""
    t = StitcherTables.of(plan)
    tab = {"nodes": t.nodes, "links": t.links, "excluded": t.excluded, "days": t.days}
    nodes = adapter.row_count(t.nodes)
    excluded_only = rows(adapter, """SELECT COUNT(*) FROM (SELECT DISTINCT id_value, id_type FROM excluded) AS x
        WHERE NOT EXISTS (SELECT 1 FROM nodes AS n WHERE n.id_value = x.id_value AND n.id_type = x.id_type)""", tab)[0][0]
    occ = rows(adapter, """SELECT COALESCE(SUM(ids_before), 0), COALESCE(SUM(ids_after), 0), COALESCE(SUM(edges_before), 0),
        COALESCE(SUM(edges_after), 0) FROM days WHERE merged_through IS NOT NULL""", tab)[0]
    links = rows(adapter, f"""SELECT COUNT(*), COALESCE(SUM(CASE WHEN kept THEN 1 ELSE 0 END), 0),
        COALESCE(SUM(CASE WHEN {_BY_MAXIMUM_EDGES} THEN 1 ELSE 0 END), 0),
        COALESCE(SUM(CASE WHEN NOT kept AND drop1 IS NULL AND drop2 IS NULL THEN 1 ELSE 0 END), 0),
        COALESCE(SUM(CASE WHEN {_BY_CLUSTER_RULE} THEN 1 ELSE 0 END), 0) FROM links""", tab)[0]
    hubs = dict(rows(adapter, "SELECT id_type, COUNT(*) FROM nodes WHERE hub GROUP BY id_type ORDER BY id_type", tab))
    ids_by_type = dict(rows(adapter, "SELECT id_type, COUNT(*) FROM nodes GROUP BY id_type ORDER BY id_type", tab))
    sizes = "(SELECT comp, COUNT(*) AS size FROM nodes GROUP BY comp)"
    size_counts = {int(s): int(n) for s, n in rows(
        adapter, f"SELECT size, COUNT(*) FROM {sizes} AS s GROUP BY size ORDER BY size", tab)}
    singles = dict(rows(adapter, f"""SELECT n.id_type, COUNT(*) FROM nodes AS n JOIN {sizes} AS s ON n.comp = s.comp
        WHERE s.size = 1 GROUP BY n.id_type ORDER BY n.id_type""", tab))
    biggest = rows(adapter, f"""SELECT n.main_id, n.id_type, COUNT(*) FROM nodes AS n
        JOIN (SELECT comp FROM {sizes} AS s ORDER BY size DESC, comp LIMIT :top) AS b ON n.comp = b.comp
        GROUP BY n.main_id, n.id_type""", tab, top=int(top))
    per: dict[str, dict[str, int]] = {}
    for main_id, id_type, n in biggest:
        per.setdefault(main_id, {})[id_type] = int(n)
    largest = sorted(
        (LargeCluster(m, sum(c.values()), dict(sorted(c.items()))) for m, c in per.items()),
        key=lambda c: (-c.size, c.main_id),
    )
    return StitchReport(
        stitcher=plan.name,
        ids_before_filters=int(nodes) + int(excluded_only or 0),
        ids_after_filters=int(nodes),
        id_occurrences_before_filters=int(occ[0]),
        id_occurrences_after_filters=int(occ[1]),
        edge_occurrences_before_filters=int(occ[2]),
        edge_occurrences_after_filters=int(occ[3]),
        edges=int(links[0]),
        edges_kept=int(links[1]),
        edges_dropped_maximum_edges=int(links[2]),
        edges_dropped_hub=int(links[3]),
        hubs={k: int(v) for k, v in hubs.items()},
        clusters=sum(size_counts.values()),
        singletons_by_type={k: int(v) for k, v in singles.items()},
        ids_by_type={k: int(v) for k, v in ids_by_type.items()},
        size_histogram=histogram(size_counts),
        size_counts=size_counts,
        largest=largest,
        converged=converged,
        passes=passes,
        seconds=round(seconds, 3),
        edges_refused_cluster_rules=int(links[4]),
        several_values_of_unique_looking=several_values(adapter, plan, unique_looking(plan)),
    )
