"""Train a propensity model when its last one has expired (pb's `validity`) or its definition
changed, and keep it: the fitted model with its features and window (joblib + JSON), the
report (HTML), and one row in `<model>__models`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlglot import exp

from profiles_pipeline.instants import format_instant
from profiles_pipeline.predictions.dataset import training_frame
from profiles_pipeline.predictions.model import Trained, fit
from profiles_pipeline.predictions.plan import PredictionPlan
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.sqltree import literal

_MODELS_COLUMNS = ("model_id", "trained_at", "valid_until", "definition", "algorithm", "metrics", "path")


@dataclass(frozen=True)
class ModelRecord:
    model_id: str
    trained_at: datetime
    valid_until: datetime
    definition: str
    algorithm: str
    metrics: dict
    path: str


def definition(plan: PredictionPlan) -> str:
    """A model is retrained when what it was trained for changes (features, label, window, ...)."""
    fields = {k: v for k, v in asdict(plan).items() if k not in ("project_root", "max_score_shift")}
    return hashlib.sha256(json.dumps(fields, default=str, sort_keys=True).encode()).hexdigest()[:16]


def _ensure_models_table(adapter: WarehouseAdapter, plan: PredictionPlan) -> None:
    if not adapter.table_exists(plan.models_table):
        adapter.execute(exp.Create(this=exp.Schema(this=exp.to_table(plan.models_table), expressions=[
            exp.ColumnDef(this=exp.to_identifier(c), kind=exp.DataType.build(
                "timestamp" if c in ("trained_at", "valid_until") else "varchar"))
            for c in _MODELS_COLUMNS]), kind="TABLE"))


def latest_model(adapter: WarehouseAdapter, plan: PredictionPlan) -> ModelRecord | None:
    if not adapter.table_exists(plan.models_table):
        return None
    query = exp.select(*_MODELS_COLUMNS).from_(plan.models_table).order_by(
        exp.Ordered(this=exp.column("trained_at"), desc=True)).limit(1)
    found = adapter.fetch(query)
    if not found:
        return None
    row = dict(zip(_MODELS_COLUMNS, found[0], strict=True))
    return ModelRecord(**{**row, "metrics": json.loads(row["metrics"])})


def needs_training(adapter: WarehouseAdapter, plan: PredictionPlan, end_time: datetime) -> str | None:
    """Why a model must be trained now, or None while the last one is valid."""
    last = latest_model(adapter, plan)
    if last is None:
        return "no model yet"
    if end_time < last.trained_at:
        return None  # an older partition: the model trained later stands
    if last.definition != definition(plan):
        return "the model's definition changed"
    if end_time >= last.valid_until:
        return f"the last model expired at {format_instant(last.valid_until)} (validity)"
    return None  # valid (an older partition, too, scores with the model it has)


def load(record: ModelRecord) -> Trained:
    import joblib

    return joblib.load(record.path)


def train(adapter: WarehouseAdapter, project: Project, plan: PredictionPlan, end_time: datetime,
          begin: datetime | None) -> ModelRecord:
    """Fit, evaluate on the holdout, write the report, record the model."""
    import joblib

    from profiles_pipeline.predictions.report import evaluate, write_report

    frame, facts = training_frame(adapter, project, plan, end_time, begin)
    trained, holdout = fit(frame, plan)
    figures = evaluate(holdout["y"], holdout["score"], plan.task, trained.threshold)
    model_id = f"{plan.name}-{end_time:%Y%m%dT%H%M%S}-{definition(plan)[:6]}"
    folder = plan.folder / model_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.joblib"
    joblib.dump(trained, path)
    quality = figures["r2"] if plan.task == "regression" else figures["auc"]
    metrics = {"quality": quality, "quality_name": "r2" if plan.task == "regression" else "auc",
               "holdout": figures, "validation": trained.candidates, "split": trained.split,
               "threshold": trained.threshold, "importances": trained.importances, **facts}
    description = {"model_id": model_id, "trained_at": str(end_time), "algorithm": trained.algorithm,
                   "features": list(plan.features), "kinds": asdict(trained.kinds),
                   "label": plan.label_var, "predict_window_days": plan.window.days, **metrics}
    (folder / "model.json").write_text(json.dumps(description, indent=2, default=str))
    instants = ", ".join(t for t, _ in facts["instants"])
    write_report(folder / "report.html", model_name=plan.name, task=plan.task, y_true=holdout["y"],
                 score=holdout["score"], figures=figures, importances=trained.importances, facts={
                     "label": f"{plan.label_var}" + (f" = {plan.label_value}" if plan.label_value is not None else "")
                     + f", {plan.window.days} day(s) after each training instant",
                     "training instants (features as of)": instants,
                     "rows": f"{facts['eligible_rows']:,} eligible, {facts['sampled_rows']:,} sampled; "
                             f"train {trained.split['train']:,}, validation {trained.split['validation']:,}, "
                             f"test {trained.split['test']:,} (the latest instant)",
                     "algorithm": f"{trained.algorithm} (validation: " + ", ".join(
                         f"{k} {v:.3f}" for k, v in trained.candidates.items()) + ")",
                     "threshold": f"{trained.threshold:.3f}" if trained.threshold is not None else "–",
                     "model id": model_id})
    record = ModelRecord(model_id, end_time, end_time + plan.validity, definition(plan), trained.algorithm,
                         metrics, str(path))
    _ensure_models_table(adapter, plan)
    _insert(adapter, plan, record)
    return record


def _insert(adapter: WarehouseAdapter, plan: PredictionPlan, record: ModelRecord) -> None:
    values = [record.model_id, record.trained_at, record.valid_until, record.definition, record.algorithm,
              json.dumps(record.metrics, default=str), record.path]
    adapter.execute(exp.insert(exp.values([tuple(literal(v) for v in values)]), exp.to_table(plan.models_table),
                               columns=list(_MODELS_COLUMNS)))
