"""Daily scoring with the valid model: every eligible member's features as of the run's end
time → score and percentile, into `<model>` (main id, score, percentile, model_id, valid_at)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlglot import exp

from profiles_pipeline.predictions.dataset import scoring_frame
from profiles_pipeline.predictions.plan import PredictionPlan
from profiles_pipeline.predictions.training import ModelRecord, load
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter


@dataclass
class ScoreResult:
    rows: int
    mean_score: float
    #: population stability index against the scores this run replaced (None: no earlier scores)
    score_shift: float | None
    deciles: list[float]


def population_stability(before: np.ndarray, after: np.ndarray) -> float:
    """PSI over the earlier scores' deciles: ~0 same distribution, > 0.25 a large shift."""
    edges = np.unique(np.quantile(before, np.linspace(0, 1, 11)))
    if len(edges) < 3:
        return 0.0
    edges[0], edges[-1] = -np.inf, np.inf
    a = np.histogram(before, edges)[0] / len(before)
    b = np.histogram(after, edges)[0] / len(after)
    a, b = np.clip(a, 1e-4, None), np.clip(b, 1e-4, None)
    return float(np.sum((b - a) * np.log(b / a)))


def empty_scores(plan: PredictionPlan) -> pd.DataFrame:
    return pd.DataFrame({plan.main_id: pd.Series(dtype="object"), plan.score_column: pd.Series(dtype="float64"),
                         plan.percentile_column: pd.Series(dtype="float64"), "model_id": pd.Series(dtype="object"),
                         "valid_at": pd.Series(dtype="datetime64[us]")})


def scored_at(adapter: WarehouseAdapter, plan: PredictionPlan) -> datetime | None:
    """The instant the published scores are as of (None: none yet)."""
    if not adapter.table_exists(plan.scores_table):
        return None
    return adapter.fetch_one(exp.select(exp.Max(this=exp.column("valid_at"))).from_(exp.to_table(plan.scores_table)))


def score(adapter: WarehouseAdapter, project: Project, plan: PredictionPlan, record: ModelRecord,
          at: datetime) -> ScoreResult:
    frame = scoring_frame(adapter, project, plan, at)
    trained = load(record)
    values = trained.predict(frame) if len(frame) else np.array([], dtype="float64")
    percentile = (pd.Series(values).rank(pct=True, method="average") * 100).round(2).to_numpy()
    before = None
    if adapter.table_exists(plan.scores_table):
        earlier = exp.select(exp.alias_(exp.column(plan.score_column), "s")).from_(exp.to_table(plan.scores_table))
        before = adapter.fetch_df(earlier)["s"].to_numpy(dtype="float64")
    out = pd.DataFrame({plan.main_id: frame[plan.main_id].astype(str).to_numpy(), plan.score_column: values,
                        plan.percentile_column: percentile, "model_id": record.model_id,
                        "valid_at": pd.Timestamp(at)})
    adapter.write_frame(plan.scores_table, out if len(out) else empty_scores(plan))
    shift = population_stability(before, values) if before is not None and len(before) and len(values) else None
    deciles = [round(float(v), 4) for v in np.quantile(values, np.linspace(0.1, 0.9, 9))] if len(values) else []
    return ScoreResult(len(out), round(float(values.mean()), 4) if len(values) else 0.0,
                       round(shift, 4) if shift is not None else None, deciles)
