"""Cluster quality against a ground truth (id_value, id_type, person_id): pairwise and B-cubed, and
the recall ceiling: what the edges allow at best."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from profiles_pipeline.identity.components import connected_components
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.tables import StitcherTables


@dataclass(frozen=True)
class Quality:
    ids_compared: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float

    def as_dict(self) -> dict:
        return asdict(self)


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 1.0


def cluster_quality(adapter, plan: StitcherPlan, truth_sql: str) -> Quality:
    """Compare `<stitcher>` with `truth_sql` on the ids present in both.

    Pairwise: of the id pairs put together, the share that belong together (precision), and of
    those that belong together, the share put together (recall). B-cubed: the same per id, averaged.
    """
    assigned = f"SELECT other_id AS id_value, other_id_type AS id_type, {plan.main_id_column} AS c FROM {adapter.quoted(plan.name)}"
    return _scores(adapter, assigned, truth_sql)


def recall_ceiling(adapter, plan: StitcherPlan, truth_sql: str) -> float:
    """The B-cubed recall of the best clustering the edges allow: connected components of the
    edges whose two ids belong to the same person. No stitcher can do better, since ids that
    no chain of same-person edges links cannot be told to belong together."""
    t = StitcherTables.of(plan)
    w = t.work
    truth = f"SELECT CAST(id_value AS VARCHAR) AS id_value, id_type, person_id FROM ({truth_sql}) AS _t"
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {w('qs')} AS SELECT a.node AS a, b.node AS b FROM {t.links} AS l "
        f"JOIN {t.nodes} AS a ON a.node = l.n1 JOIN {t.nodes} AS b ON b.node = l.n2 "
        f"JOIN ({truth}) AS ta ON ta.id_value = a.id_value AND ta.id_type = a.id_type "
        f"JOIN ({truth}) AS tb ON tb.id_value = b.id_value AND tb.id_type = b.id_type WHERE ta.person_id = tb.person_id"
    )
    connected_components(adapter, f"SELECT a, b FROM {w('qs')}", w("ql"), w("qcc"), temp=True)
    assigned = (f"SELECT n.id_value, n.id_type, COALESCE(l.label, n.node) AS c FROM {t.nodes} AS n "
                f"LEFT JOIN {w('ql')} AS l ON l.node = n.node")
    ceiling = _scores(adapter, assigned, truth_sql).bcubed_recall
    for name in ("qs", "ql"):
        adapter.execute(f"DROP TABLE IF EXISTS {w(name)}")
    return ceiling


def _scores(adapter, assigned_sql: str, truth_sql: str) -> Quality:
    """Scores of a clustering `assigned_sql` (id_value, id_type, c) against `truth_sql`."""
    cells = (
        "SELECT g.c AS c, t.person_id AS p, COUNT(*) AS n "
        f"FROM ({assigned_sql}) AS g JOIN ({truth_sql}) AS t "
        "ON g.id_value = CAST(t.id_value AS VARCHAR) AND g.id_type = t.id_type GROUP BY g.c, t.person_id"
    )
    row = adapter.fetch(
        f"WITH cells AS ({cells}), cs AS (SELECT c, SUM(n) AS n FROM cells GROUP BY c), "
        "ps AS (SELECT p, SUM(n) AS n FROM cells GROUP BY p) SELECT "
        "(SELECT SUM(n) FROM cells), (SELECT SUM(n * (n - 1) / 2) FROM cells), "
        "(SELECT SUM(n * (n - 1) / 2) FROM cs), (SELECT SUM(n * (n - 1) / 2) FROM ps), "
        "(SELECT SUM(CAST(cells.n * cells.n AS DOUBLE) / cs.n) FROM cells JOIN cs ON cells.c = cs.c), "
        "(SELECT SUM(CAST(cells.n * cells.n AS DOUBLE) / ps.n) FROM cells JOIN ps ON cells.p = ps.p)"
    )[0]
    total, together, predicted, actual, b_p, b_r = (float(x or 0) for x in row)
    precision, recall = _ratio(together, predicted), _ratio(together, actual)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Quality(int(total), precision, recall, f1, _ratio(b_p, total), _ratio(b_r, total))
