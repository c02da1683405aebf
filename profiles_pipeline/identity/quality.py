"""Cluster quality against a ground truth (id_value, id_type, person_id): pairwise and B-cubed."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from profiles_pipeline.identity.plan import StitcherPlan


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
    cells = (
        f"SELECT g.{plan.main_id_column} AS c, t.person_id AS p, COUNT(*) AS n FROM {plan.name} AS g "
        f"JOIN ({truth_sql}) AS t ON g.other_id = CAST(t.id_value AS VARCHAR) AND g.other_id_type = t.id_type "
        f"GROUP BY g.{plan.main_id_column}, t.person_id"
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
