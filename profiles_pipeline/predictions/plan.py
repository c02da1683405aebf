"""A propensity model (pb's YAML) → what training and scoring need: the entity, the label, the
features, the training instants, the output names, where things are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from profiles_pipeline.errors import UserError
from profiles_pipeline.instants import end_of_day, format_instant
from profiles_pipeline.spec.model_types import FeatureTableModel, PropensityModel
from profiles_pipeline.spec.project import Project

#: How long a trained model scores before it is retrained (pb's `validity`).
VALIDITY = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


class NotEnoughHistory(UserError):
    """No training instant has its label inside the data yet: a young project, not a mistake."""


@dataclass(frozen=True)
class PredictionPlan:
    name: str
    entity: str
    main_id: str
    task: str  # classification | regression
    label_var: str
    window: timedelta
    label_value: object
    features: tuple[str, ...]
    eligible_training: str | None
    eligible_scoring: str | None
    max_rows: int
    beta: float
    validity: timedelta
    strategy: str
    date_step: timedelta
    max_dates: int
    manual_dates: tuple[tuple[datetime, datetime], ...]
    categorical: frozenset[str]
    numeric: frozenset[str]
    timestamps: frozenset[str]
    booleans: frozenset[str]
    top_k: int | None
    score_column: str
    percentile_column: str
    #: the output columns that are features of the entity (joined into its feature view)
    feature_outputs: tuple[str, ...]
    min_quality: float
    max_score_shift: float
    project_root: Path

    @property
    def scores_table(self) -> str:
        """Latest scores: main id, score, percentile, model id, valid_at."""
        return self.name

    @property
    def models_table(self) -> str:
        """One row per trained model: its id, when and as of what it was trained, its metrics."""
        return f"{self.name}__models"

    @property
    def folder(self) -> Path:
        """Fitted models (joblib), their descriptions (JSON) and reports (HTML)."""
        return self.project_root / "data" / "predictions" / self.name

    def training_instants(self, end_time: datetime, begin: datetime | None,
                          first: datetime | None = None) -> list[tuple[datetime, datetime]]:
        """(feature instant T, label instant T + window), oldest first. Instants are ends of days
        (the partitions' own instants, where the id graph's history has a checkpoint): the latest
        label instant is the last day end at or before `end_time`. Every T is after `begin` and at
        or after `first` (the history's first instant: there is nothing before it)."""
        if self.strategy == "manual":
            pairs = list(self.manual_dates)
        else:
            count = self.max_dates if self.strategy == "auto" else 1
            last_label = end_of_day(end_time.date() if end_time >= end_of_day(end_time.date())
                                    else end_time.date() - timedelta(days=1))
            pairs = [(last_label - self.window - k * self.date_step, last_label - k * self.date_step)
                     for k in range(count)]
        kept = sorted(p for p in pairs if p[1] <= end_time and (begin is None or p[0] > begin)
                      and (first is None or p[0] >= first))
        if not kept:
            since = f"; the history begins {format_instant(first)}" if first else ""
            raise NotEnoughHistory(f"propensity {self.name}: no training instant fits yet: each needs "
                                   f"{self.window.days} day(s) of history after it, up to "
                                   f"{format_instant(end_time)}{since}")
        return kept


def _day(text: str, model: str) -> datetime:
    """A `dates` entry: the end of that day (features and labels include the day)."""
    try:
        return end_of_day(date.fromisoformat(text.strip()[:10]))
    except ValueError:
        raise UserError(f"propensity {model}: {text!r} in new_materialisations_config.dates is not a date "
                        "(YYYY-MM-DD)") from None


def _var_name(path: str) -> str:
    return path.strip().strip("/").split("/")[-1]


def _feature_names(project: Project, model: PropensityModel) -> list[str]:
    """The model's inputs as var names: entity/<e>/<var> paths, and models/<feature table>'s features."""
    names: list[str] = []
    for path in model.model_spec.inputs:
        target = project.resolve(path) if path.strip("/").startswith("models/") else None
        if isinstance(target, FeatureTableModel):
            names += [_var_name(f) for f in target.model_spec.features]
        else:
            names.append(_var_name(path))
    ignored = {_var_name(p) for p in model.model_spec.training.ignore_features}
    label = _var_name(model.model_spec.training.predict_var)
    return list(dict.fromkeys(n for n in names if n not in ignored and n != label))


def prediction_plans(project: Project) -> list[PredictionPlan]:
    plans = []
    for model in project.models_of_type("propensity"):
        assert isinstance(model, PropensityModel)
        spec, training = model.model_spec, model.model_spec.training
        entity = project.entity(spec.entity_key)
        dates = training.new_materialisations_config
        pairs = tuple((_day(a, model.name), _day(b, model.name)) for a, b in
                      (str(d).split(",") for d in dates.dates)) if dates.strategy == "manual" else ()
        out = spec.prediction.output_columns
        plans.append(PredictionPlan(
            name=model.name, entity=entity.name, main_id=entity.main_id_column, task=training.type,
            label_var=_var_name(training.predict_var), window=timedelta(days=training.predict_window_days),
            label_value=training.label_value, features=tuple(_feature_names(project, model)),
            eligible_training=training.eligible_users, eligible_scoring=spec.prediction.eligible_users,
            max_rows=training.max_row_count, beta=training.recall_to_precision_importance,
            validity=VALIDITY[training.validity], strategy=dates.strategy,
            date_step=timedelta(days=dates.feature_data_min_date_diff), max_dates=dates.max_no_of_dates,
            manual_dates=pairs, categorical=frozenset(training.categorical_features),
            numeric=frozenset(training.numeric_features), timestamps=frozenset(training.timestamp_columns),
            booleans=frozenset(training.booleantype_columns), top_k=training.top_k_array_categories,
            score_column=out.score.name, percentile_column=out.percentile.name,
            feature_outputs=tuple(c.name for c in (out.score, out.percentile) if c.is_feature),
            min_quality=training.min_auc, max_score_shift=spec.prediction.max_score_shift,
            project_root=project.root,
        ))
    return plans
