"""The holdout figures of a propensity model against known synthetic signals and sklearn, and the
HTML report drawn from them (real matplotlib): charts inline, user strings escaped."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, r2_score, recall_score

from profiles_pipeline.predictions.report import evaluate, write_report


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _propensity(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Buyers drawn from sigmoid(2x); the model sees x through some noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = rng.binomial(1, _sigmoid(2 * x))
    return y, _sigmoid(2 * x + rng.normal(scale=0.5, size=n))


def _regression(n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    actual = 50 + 10 * x + rng.normal(scale=5, size=n)
    return actual, 50 + 10 * x + rng.normal(scale=2, size=n)


FACTS = {"label": "is_buyer = 1, 7 day(s) after each training instant",
         "training instants (features as of)": "2026-01-01, 2026-01-08",
         "algorithm": "gradient_boosting <fast>", "threshold": "0.420"}


def test_a_known_signal_gives_a_high_auc_and_decreasing_lift():
    y, score = _propensity(10_000)
    figures = evaluate(y, score, "classification")
    assert figures["rows"] == 10_000
    assert figures["auc"] > 0.75
    assert figures["positive_share"] == round(float(y.mean()), 4)
    assert figures["average_precision"] > figures["positive_share"]
    lift = figures["lift_by_decile"]
    assert len(lift) == 10 and lift[0] > 1.5 and lift[-1] < 0.5
    assert np.corrcoef(np.arange(10), lift)[0, 1] < -0.9  # decreasing overall
    top = np.argsort(-score)[:1000]
    assert figures["captured_by_top_decile"] == pytest.approx(y[top].sum() / y.sum(), abs=2e-3)
    bins = figures["calibration"]
    assert [b["bin"] for b in bins] == list(range(1, 11))
    assert sum(b["rows"] for b in bins) == 10_000
    assert bins[0]["mean_score"] < bins[-1]["mean_score"]
    assert bins[0]["positive_rate"] < bins[-1]["positive_rate"]
    assert "precision" not in figures
    assert json.loads(json.dumps(figures)) == figures  # plain Python values only


def test_shuffled_labels_score_like_a_coin_flip():
    y, score = _propensity(20_000)
    shuffled = np.random.default_rng(3).permutation(y)
    figures = evaluate(shuffled, score, "classification")
    assert abs(figures["auc"] - 0.5) < 0.05
    assert all(abs(v - 1) < 0.2 for v in figures["lift_by_decile"])


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8, 1.01])
def test_threshold_metrics_match_sklearn(threshold):
    y, score = _propensity(5_000)
    figures = evaluate(y, score, "classification", threshold=threshold)
    flagged = score >= threshold
    assert figures["precision"] == round(precision_score(y, flagged, zero_division=0), 4)
    assert figures["recall"] == round(recall_score(y, flagged), 4)
    assert figures["f1"] == pytest.approx(f1_score(y, flagged, zero_division=0), abs=1e-4)


def test_regression_figures_match_sklearn():
    actual, predicted = _regression(8_000)
    figures = evaluate(actual, predicted, "regression")
    assert figures["r2"] == pytest.approx(r2_score(actual, predicted), abs=1e-4)
    assert figures["mae"] == pytest.approx(np.abs(actual - predicted).mean(), abs=1e-4)
    assert figures["rmse"] == pytest.approx(np.sqrt(((actual - predicted) ** 2).mean()), abs=1e-4)
    assert figures["lift_by_decile"][0] > 1.2 > 0.8 > figures["lift_by_decile"][-1]
    assert sum(b["rows"] for b in figures["calibration"]) == 8_000
    assert json.loads(json.dumps(figures)) == figures


@pytest.mark.parametrize(("y", "score", "message"), [
    (np.ones(50), np.linspace(0, 1, 50), "the holdout has only one class: all 50 rows are 1"),
    (np.zeros(50), np.linspace(0, 1, 50), "only one class"),
    (np.array([]), np.array([]), "empty"),
    (np.array([0, 1] * 10), np.full(19, 0.5), "20 rows but score has 19"),
    (np.array([0, 1] * 3), np.full(6, 0.5), "at least 10"),
    (np.array([0, 2] * 10), np.full(20, 0.5), "0/1"),
    (np.array([0, 1] * 10), np.r_[np.full(19, 0.5), np.nan], "missing or infinite"),
])
def test_holdouts_without_meaningful_figures_are_refused(y, score, message):
    with pytest.raises(ValueError, match=message):
        evaluate(y, score, "classification")


def test_an_unknown_task_is_refused():
    with pytest.raises(ValueError, match="task must be one of"):
        evaluate(np.array([0, 1] * 10), np.full(20, 0.5), "ranking")


def test_the_classification_report_is_one_self_contained_page(tmp_path):
    y, score = _propensity(3_000)
    figures = evaluate(y, score, "classification", threshold=0.5)
    importances = {f"feature_{i}": 0.01 * i for i in range(20)} | {"spend_$_30d$": 0.5}
    path = write_report(tmp_path / "models" / "m1" / "report.html", model_name="buyers <b>&", task="classification",
                        y_true=y, score=score, figures=figures, importances=importances, facts=FACTS)
    assert path == tmp_path / "models" / "m1" / "report.html"
    page = path.read_text(encoding="utf-8")
    assert page.count("<svg") == 5  # ROC, precision-recall, lift, calibration, importance
    assert "buyers &lt;b&gt;&amp;" in page and "<b>&" not in page
    assert "gradient_boosting &lt;fast&gt;" in page
    positions = [page.index(f"<th>{key}</th>") for key in ("label", "training instants (features as of)",
                                                           "algorithm", "threshold")]
    assert positions == sorted(positions)
    assert f"{figures['lift_by_decile'][0]:.1f}× as likely to convert as the average user" in page
    assert "False positive rate" in page and "Share of users, by score decile" in page
    assert "Feature importance (top 15)" in page and "spend_$_30d$" in page and "feature_4" not in page
    assert "<script" not in page and "<link" not in page and "src=" not in page


def test_the_regression_report_draws_its_charts(tmp_path):
    actual, predicted = _regression(8_000)
    figures = evaluate(actual, predicted, "regression")
    path = write_report(tmp_path / "report.html", model_name="ltv", task="regression", y_true=actual,
                        score=predicted, figures=figures, importances={"orders": 0.3, "visits": 0.1},
                        facts={"label": "revenue, 30 day(s) after"})
    page = path.read_text(encoding="utf-8")
    assert page.count("<svg") == 4  # predicted vs actual, lift, calibration, importance
    assert "a random 5,000 of 8,000 users" in page
    assert page.count("<use") <= 5_100  # the scatter's points are sampled
    assert f"{figures['r2']:.0%} of the differences" in page
