"""Fitting: two candidates (gradient boosting, a linear baseline), chosen on a time-based
validation split, evaluated on the latest training instant, which neither saw.

Classes are weighted to balance, and the probabilities are then shifted back to the real base
rate (the odds times base odds), so a score reads as a chance. The decision threshold maximises
F-beta on validation, beta being pb's `recall_to_precision_importance`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from profiles_pipeline.errors import UserError
from profiles_pipeline.predictions.dataset import INSTANT, LABEL
from profiles_pipeline.predictions.plan import NotEnoughHistory, PredictionPlan

#: pb-like guards: below these a model would be noise.
MIN_ROWS = 100
MIN_CLASS_ROWS = 20
LABEL_SHARE = (0.005, 0.995)


@dataclass
class FeatureKinds:
    numeric: list[str]
    categorical: list[str]
    #: timestamps, used as days before the row's instant
    timestamps: list[str]


@dataclass
class Trained:
    """A fitted model and what it takes to use and explain it."""

    estimator: object
    algorithm: str
    task: str
    kinds: FeatureKinds
    base_rate: float = 0.5
    threshold: float | None = None
    candidates: dict[str, float] = field(default_factory=dict)
    split: dict[str, int] = field(default_factory=dict)
    importances: dict[str, float] = field(default_factory=dict)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        x = features_matrix(frame, self.kinds)
        if self.task == "regression":
            return self.estimator.predict(x)
        return _prior_shift(self.estimator.predict_proba(x)[:, 1], self.base_rate)


def _prior_shift(p: np.ndarray, base_rate: float) -> np.ndarray:
    """Probabilities of a class-balanced fit, moved back to the real base rate."""
    r = base_rate / (1 - base_rate)
    return p * r / (p * r + (1 - p))


def feature_kinds(frame: pd.DataFrame, plan: PredictionPlan) -> FeatureKinds:
    """Each feature's treatment: the YAML's lists first, else its column's type."""
    numeric, categorical, stamps = [], [], []
    for name in plan.features:
        s = frame[name]
        if name in plan.timestamps or (name not in plan.categorical | plan.numeric and
                                       pd.api.types.is_datetime64_any_dtype(s)):
            stamps.append(name)
        elif name in plan.categorical or (name not in plan.numeric | plan.booleans and
                                          not pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
            categorical.append(name)
        else:
            numeric.append(name)
    return FeatureKinds(numeric, categorical, stamps)


def features_matrix(frame: pd.DataFrame, kinds: FeatureKinds) -> pd.DataFrame:
    """The model's input: numbers as floats, timestamps as days before the instant, categories as text."""
    out = {n: pd.to_numeric(frame[n].astype("float64") if pd.api.types.is_bool_dtype(frame[n]) else frame[n],
                            errors="coerce").astype("float64") for n in kinds.numeric}
    at = pd.to_datetime(frame[INSTANT])
    for n in kinds.timestamps:
        out[n] = (at - pd.to_datetime(frame[n])).dt.total_seconds() / 86400.0
    for n in kinds.categorical:
        out[n] = frame[n].astype("object").where(frame[n].notna(), None).astype(str)
    return pd.DataFrame(out, index=frame.index)[[*kinds.numeric, *kinds.timestamps, *kinds.categorical]]


def labels(frame: pd.DataFrame, plan: PredictionPlan) -> np.ndarray:
    raw = frame[LABEL]
    if plan.task == "regression":
        y = pd.to_numeric(raw, errors="coerce")
        if y.isna().all():
            raise UserError(f"propensity {plan.name}: predict_var {plan.label_var} is not numeric; a regression "
                            "predicts a number")
        return y.fillna(0.0).to_numpy(dtype="float64")
    value = plan.label_value
    if value is None:
        value = True if pd.api.types.is_bool_dtype(raw) else 1
    if isinstance(value, bool) or pd.api.types.is_bool_dtype(raw):
        return (raw.astype("boolean").fillna(False) == bool(value)).to_numpy(dtype="int64")
    if isinstance(value, (int, float)):
        return (pd.to_numeric(raw, errors="coerce") == value).to_numpy(dtype="int64")
    return (raw.astype(str) == str(value)).to_numpy(dtype="int64")


def _candidates(task: str, kinds: FeatureKinds, top_k: int | None, seed: int) -> dict[str, object]:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    numbers = [*kinds.numeric, *kinds.timestamps]
    cats = kinds.categorical
    max_cats = top_k or 20
    ordinal = ColumnTransformer(
        [("n", "passthrough", numbers),
         ("c", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=max_cats), cats)],
        verbose_feature_names_out=False)
    linear_prep = ColumnTransformer(
        [("n", make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                             StandardScaler()), numbers),
         ("c", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=max_cats, min_frequency=5), cats)],
        verbose_feature_names_out=False)
    cat_mask = [False] * len(numbers) + [True] * len(cats)
    boost = dict(max_iter=300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
                 categorical_features=cat_mask if cats else None, random_state=seed)
    if task == "regression":
        return {"gradient_boosting": make_pipeline(ordinal, HistGradientBoostingRegressor(**boost)),
                "linear": make_pipeline(linear_prep, Ridge(alpha=1.0))}
    return {"gradient_boosting": make_pipeline(ordinal, HistGradientBoostingClassifier(class_weight="balanced", **boost)),
            "linear": make_pipeline(linear_prep, LogisticRegression(class_weight="balanced", max_iter=2000, C=0.5))}


def time_split(frame: pd.DataFrame, main_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, validation, test) masks. Three or more instants: the latest is the test, the one
    before it validation. Two: the latest is the test, a fifth of the older one's ids validation.
    One: the ids split 60/20/20 (by a hash, so the same on every run)."""
    t = frame[INSTANT].to_numpy()
    instants = np.unique(t)
    bucket = pd.util.hash_pandas_object(frame[main_id].astype(str), index=False).to_numpy() % 10
    if len(instants) >= 3:
        test, valid = t == instants[-1], t == instants[-2]
    elif len(instants) == 2:
        test = t == instants[-1]
        valid = ~test & (bucket < 2)
    else:
        test, valid = bucket < 2, (bucket >= 2) & (bucket < 4)
    return ~(test | valid), valid, test


def _guard(plan: PredictionPlan, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> None:
    if len(y) < MIN_ROWS:  # a young project; more days bring more rows
        raise NotEnoughHistory(f"propensity {plan.name}: {len(y)} training row(s), fewer than {MIN_ROWS}: widen "
                        "training.eligible_users, add training instants (new_materialisations_config) or load "
                        "more history")
    if plan.task == "regression":
        return
    share, positives = float(y.mean()), int(y.sum())
    if min(positives, len(y) - positives) < MIN_CLASS_ROWS or not LABEL_SHARE[0] <= share <= LABEL_SHARE[1]:
        raise UserError(f"propensity {plan.name}: {positives} of {len(y)} training rows have {plan.label_var} = "
                        f"{plan.label_value if plan.label_value is not None else 'the positive value'} "
                        f"({share:.1%}); a model needs at least {MIN_CLASS_ROWS} of each class and a share "
                        f"between {LABEL_SHARE[0]:.1%} and {LABEL_SHARE[1]:.1%}: check label_value and "
                        "predict_window_days")
    if len(np.unique(y[train])) < 2:
        raise UserError(f"propensity {plan.name}: the training instants before the latest have one class only")
    if len(np.unique(y[test])) < 2:
        raise UserError(f"propensity {plan.name}: every label of the latest training instant (the holdout) is "
                        f"{int(y[test][0]) if test.any() else '–'}: is there data up to the end time? (with no "
                        f"events in the {plan.window.days} day(s) before it, nobody is labelled)")


def _quality(task: str, y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import r2_score, roc_auc_score

    if task == "regression":
        return float(r2_score(y, score))
    return float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else 0.5


def _threshold(y: np.ndarray, score: np.ndarray, beta: float) -> float:
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, score)
    f = (1 + beta**2) * precision * recall / np.maximum(beta**2 * precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f[:-1]))]) if len(thresholds) else 0.5


def _importances(trained: Trained, frame: pd.DataFrame, y: np.ndarray, seed: int) -> dict[str, float]:
    """Permutation importance on (a sample of) the holdout: how much the quality drops without each feature."""
    from sklearn.inspection import permutation_importance

    x = features_matrix(frame, trained.kinds)
    if len(x) > 3000:
        pick = np.random.default_rng(seed).choice(len(x), 3000, replace=False)
        x, y = x.iloc[pick], y[pick]
    scoring = "r2" if trained.task == "regression" else ("roc_auc" if len(np.unique(y)) == 2 else None)
    if scoring is None:
        return {}
    found = permutation_importance(trained.estimator, x, y, scoring=scoring, n_repeats=3, random_state=seed)
    return dict(sorted(((c, round(float(v), 4)) for c, v in zip(x.columns, found.importances_mean, strict=True)),
                       key=lambda kv: -kv[1]))


def fit(frame: pd.DataFrame, plan: PredictionPlan, seed: int = 0) -> tuple[Trained, dict[str, np.ndarray]]:
    """The chosen model (refit on train + validation) and the test rows' (y, score)."""
    y = labels(frame, plan)
    train, valid, test = time_split(frame, plan.main_id)
    _guard(plan, y, train, test)
    kinds = feature_kinds(frame, plan)
    if not (kinds.numeric or kinds.categorical or kinds.timestamps):
        raise UserError(f"propensity {plan.name}: no features left (inputs minus ignore_features)")
    x = features_matrix(frame, kinds)
    base_rate = float(y[train | valid].mean()) if plan.task == "classification" else 0.5
    scores = {}
    candidates = _candidates(plan.task, kinds, plan.top_k, seed)
    for name, estimator in candidates.items():
        estimator.fit(x[train], y[train])
        guess = estimator.predict(x[valid]) if plan.task == "regression" else estimator.predict_proba(x[valid])[:, 1]
        scores[name] = round(_quality(plan.task, y[valid], guess), 4)
    chosen = max(scores, key=lambda k: scores[k])
    estimator = _candidates(plan.task, kinds, plan.top_k, seed)[chosen]
    estimator.fit(x[train | valid], y[train | valid])
    trained = Trained(estimator, chosen, plan.task, kinds, base_rate=base_rate, candidates=scores,
                      split={"train": int(train.sum()), "validation": int(valid.sum()), "test": int(test.sum())})
    if plan.task == "classification":
        trained.threshold = _threshold(y[valid], trained.predict(frame[valid]), plan.beta)
    trained.importances = _importances(trained, frame[test], y[test], seed)
    return trained, {"y": y[test], "score": trained.predict(frame[test])}
