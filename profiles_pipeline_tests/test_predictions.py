"""Predictions (pb's propensity models) on the example project: 2,000 generated people over 14
days, run as a user runs it (`profiles run`), on a real DuckDB file. The model must learn from
the past (AUC on the latest training instant, held out), learn nothing from shuffled labels, see
no feature after its instant, and keep scoring with the model it has until `validity` expires."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from profiles_pipeline import sample_data
from profiles_pipeline.cli.main import app
from profiles_pipeline.errors import UserError
from profiles_pipeline.predictions import prediction_plans
from profiles_pipeline.predictions.dataset import INSTANT, LABEL, training_frame
from profiles_pipeline.predictions.model import fit
from profiles_pipeline.predictions.plan import PredictionPlan
from profiles_pipeline.spec.validate import load_project
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


#: The scores are features: an activation sends them from the feature view, keyed by email, and a
#: cohort filters on them.
SCORES_ACTIVATION = """
  - name: likely_buyers_to_files
    model_type: activation
    model_spec:
      source: user_feature_view
      identifier: email
      columns: {purchase_propensity_score: buy_score, purchase_propensity_percentile: buy_percentile}
      destination: {type: file, path: data/scores_out}
      sync_mode: all
  - name: likely_buyers
    model_type: entity_cohort
    model_spec:
      extends: user/all
      materialization: {output_type: table}
      filter_pipeline:
        - type: include
          value: '{{user.Var("purchase_propensity_percentile")}} >= 90 and {{user.Var("page_views")}} > 0'
"""


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("predictions") / "config"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data"))
    models = root / "models" / "profiles.yaml"
    models.write_text(models.read_text().replace("\nvar_groups:", SCORES_ACTIVATION + "\nvar_groups:", 1))
    sample_data.generate(root / "data" / "landing", users=2000, days=14, seed=42)
    return root


@pytest.fixture(scope="module")
def first_run(project: Path) -> str:
    return _cli("run", "-p", str(project))


def _query(project: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(project / "data" / "profiles.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def _model_rows(project: Path) -> list[dict]:
    cols = ["model_id", "trained_at", "valid_until", "algorithm", "metrics"]
    return [dict(zip(cols, r, strict=True)) for r in
            _query(project, f"SELECT {', '.join(cols)} FROM purchase_propensity__models ORDER BY trained_at")]


def _plan_and_end(project: Path) -> tuple[PredictionPlan, datetime]:
    plan = prediction_plans(load_project(project))[0]
    [(end,)] = _query(project, "SELECT max(valid_at) FROM user_var_table")
    return plan, end


def test_the_example_model_learns_from_the_past_and_scores_everyone(project, first_run) -> None:
    [model] = _model_rows(project)
    metrics = json.loads(model["metrics"])
    assert metrics["quality_name"] == "auc" and metrics["quality"] >= 0.75, metrics["quality"]
    assert len(metrics["instants"]) == 3 and metrics["split"]["test"] == max(metrics["rows_per_instant"].values())
    assert "prediction purchase_propensity_model: " in first_run and "holdout AUC" in first_run
    scored = _query(project, "SELECT count(*), min(purchase_propensity_percentile), max(purchase_propensity_percentile), "
                             "min(purchase_propensity_score), max(purchase_propensity_score) FROM purchase_propensity")
    [(n, pmin, pmax, smin, smax)] = scored
    [(members,)] = _query(project, "SELECT count(*) FROM user_feature_view")
    assert n == members and 0 < pmin < 1 and pmax == 100 and 0 <= smin < smax <= 1
    # the scores are features: in the feature view, next to the others
    [(with_score,)] = _query(project, "SELECT count(purchase_propensity_score) FROM user_feature_view")
    assert with_score == members
    report = project / "data" / "predictions" / "purchase_propensity" / model["model_id"] / "report.html"
    assert report.read_text().count("<svg") >= 5
    said = _cli("show", "predictions", "-p", str(project), "--json")
    shown = json.loads(said[said.index("["):])
    assert shown[0]["model_id"] == model["model_id"] and shown[0]["scored"] == members
    # `show models` names the tables the model's steps write, with their rows
    said = _cli("show", "models", "-p", str(project), "--json")
    listed = {m["path"]: (m["relations"], m["rows"]) for m in json.loads(said[said.index("{"):])["models"]}
    assert listed["predictions/purchase_propensity_model"] == (["purchase_propensity__models"], 1)
    assert listed["predictions/purchase_propensity"] == (["purchase_propensity"], members)


def test_an_activation_sends_the_scores_from_the_feature_view(project, first_run) -> None:
    sent = {}
    for part in (project / "data" / "scores_out" / "likely_buyers_to_files").glob("*/part-*.jsonl"):
        for line in part.read_text().splitlines():
            row = json.loads(line)
            sent[row["_key"]] = row["buy_score"]
    expected = dict(_query(project, """SELECT g.other_id, s.purchase_propensity_score FROM purchase_propensity AS s
        JOIN (SELECT user_main_id, other_id, ROW_NUMBER() OVER (PARTITION BY user_main_id ORDER BY first_seen_at, other_id) AS rk
              FROM user_id_stitcher WHERE other_id_type = 'email') AS g ON g.user_main_id = s.user_main_id AND g.rk = 1"""))
    assert expected and {k: round(v, 6) for k, v in sent.items()} == {k: round(v, 6) for k, v in expected.items()}


def test_a_cohort_filters_on_the_scores_of_the_same_run(project, first_run) -> None:
    members = {m for (m,) in _query(project, "SELECT user_main_id FROM likely_buyers")}
    expected = {m for (m,) in _query(project, "SELECT user_main_id FROM purchase_propensity WHERE "
                                              "purchase_propensity_percentile >= 90 AND user_main_id IN "
                                              "(SELECT user_main_id FROM user_var_table WHERE page_views > 0)")}
    assert members and members == expected


def test_higher_scores_order_more(project, first_run) -> None:
    """The top decile by score orders at several times the rate of the bottom half, in the holdout."""
    [model] = _model_rows(project)
    lift = json.loads(model["metrics"])["holdout"]["lift_by_decile"]
    assert lift[0] > 2.0 and lift[0] > np.mean(lift[5:]) * 3, lift


def test_shuffled_labels_learn_nothing(project, first_run) -> None:
    from sklearn.metrics import roc_auc_score

    plan, end = _plan_and_end(project)
    with DuckDBAdapter(project / "data" / "profiles.duckdb") as adapter:
        frame, _ = training_frame(adapter, load_project(project), plan, end, None)
    aucs = []
    for seed in range(5):
        shuffled = frame.copy()
        shuffled[LABEL] = np.random.default_rng(seed).permutation(shuffled[LABEL].to_numpy())
        _, holdout = fit(shuffled, plan, seed=seed)
        aucs.append(roc_auc_score(holdout["y"], holdout["score"]))
    assert abs(np.mean(aucs) - 0.5) <= 0.05, aucs


def test_no_feature_sees_past_its_instant(project, first_run) -> None:
    """The label var itself planted as a feature: as of T it is 'ordered in the week before T',
    not the label (a week after T). A leak would make them equal and the model perfect."""
    from sklearn.metrics import roc_auc_score

    plan, end = _plan_and_end(project)
    leaky = dataclasses.replace(plan, features=(plan.label_var,))
    with DuckDBAdapter(project / "data" / "profiles.duckdb") as adapter:
        frame, _ = training_frame(adapter, load_project(project), leaky, end, None)
        for t in frame[INSTANT].unique():
            at = pd.Timestamp(t).to_pydatetime()
            snapshot = dict(adapter.fetch(f"SELECT user_main_id, {plan.label_var} FROM user_var_table "
                                          f"WHERE valid_at = TIMESTAMP '{at}'"))
            rows = frame[frame[INSTANT] == t]
            assert (rows[plan.label_var].to_numpy() == rows["user_main_id"].map(snapshot).to_numpy()).all()
    agree = (frame[plan.label_var].to_numpy() == frame[LABEL].to_numpy()).mean()
    positives = frame[LABEL].astype(bool)
    assert agree < 0.97 and (frame.loc[positives, plan.label_var] == 0).mean() > 0.3, agree
    _, holdout = fit(frame, leaky)
    assert roc_auc_score(holdout["y"], holdout["score"]) < 0.9


def test_a_valid_model_keeps_scoring_until_it_expires(project, first_run) -> None:
    """A new day: scored again with the same model (validity: week). An end time past the week
    retrains (the reason said), and the scores then carry the new model's id."""
    [before] = _model_rows(project)
    _cli("sample-data", "append", "-p", str(project))
    second = _cli("run", "-p", str(project))
    assert [r["model_id"] for r in _model_rows(project)] == [before["model_id"]], "not retrained within its validity"
    assert "retrained: no: still valid" in second and "scored purchase_propensity: " in second
    [(model_ids, scored_at)] = _query(project, "SELECT count(DISTINCT model_id), max(valid_at) FROM purchase_propensity")
    [(end,)] = _query(project, "SELECT max(valid_at) FROM user_var_table")
    assert model_ids == 1 and scored_at == end > before["trained_at"]
    later = before["valid_until"] + timedelta(hours=1)
    third = _cli("run", "-p", str(project), "--end-time", later.isoformat(sep=" "))
    assert "retrained: the last model expired at" in third
    rows = _model_rows(project)
    assert len(rows) == 2 and rows[-1]["trained_at"] == later
    assert _query(project, "SELECT DISTINCT model_id FROM purchase_propensity") == [(rows[-1]["model_id"],)]


def test_a_model_is_retrained_when_it_expires_or_its_definition_changes() -> None:
    from profiles_pipeline.predictions.training import ModelRecord, definition, needs_training

    plan = _tiny_plan()
    trained = datetime(2026, 1, 14, 12)

    with DuckDBAdapter(":memory:") as adapter:
        assert needs_training(adapter, plan, trained) == "no model yet"
        from profiles_pipeline.predictions import training

        record = ModelRecord("m1", trained, trained + plan.validity, definition(plan), "linear", {}, "x")
        training._ensure_models_table(adapter, plan)
        training._insert(adapter, plan, record)
        assert needs_training(adapter, plan, trained + timedelta(days=6)) is None
        assert "expired" in needs_training(adapter, plan, trained + timedelta(days=7))
        assert needs_training(adapter, dataclasses.replace(plan, window=timedelta(days=3)),
                              trained + timedelta(days=1)) == "the model's definition changed"


def _tiny_plan(**changes) -> PredictionPlan:
    base = PredictionPlan(
        name="p", entity="user", main_id="user_main_id", task="classification", label_var="y",
        window=timedelta(days=7), label_value=1, features=("x", "c"), eligible_training=None,
        eligible_scoring=None, max_rows=1000, beta=1.0, validity=timedelta(days=7), strategy="",
        date_step=timedelta(days=7), max_dates=1, manual_dates=(), categorical=frozenset(), numeric=frozenset(),
        timestamps=frozenset(), booleans=frozenset(), top_k=None, score_column="s", percentile_column="p",
        feature_outputs=("s", "p"), min_quality=0.6, max_score_shift=0.25, project_root=Path("."))
    return dataclasses.replace(base, **changes)


def _tiny_frame(n: int, positive_share: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < positive_share).astype(int)
    return pd.DataFrame({"user_main_id": [f"u{i}" for i in range(n)], "x": x + y, "c": rng.choice(["a", "b"], n),
                         LABEL: y, INSTANT: pd.Timestamp("2026-01-01")})


@pytest.mark.parametrize(("n", "share", "says"), [
    (50, 0.5, "50 training row(s), fewer than 100"),
    (2000, 0.0, "0 of 2000 training rows have y = 1"),
    (2000, 0.999, "a share between"),
])
def test_the_guards_say_what_is_wrong(n, share, says) -> None:
    with pytest.raises(UserError, match=says.replace("(", r"\(").replace(")", r"\)")):
        fit(_tiny_frame(n, share), _tiny_plan())


def test_a_regression_predicts_a_number() -> None:
    frame = _tiny_frame(3000, 0.5)
    frame[LABEL] = frame["x"] * 3.0 + np.random.default_rng(1).normal(size=len(frame)) * 0.5
    trained, holdout = fit(frame, _tiny_plan(task="regression", label_value=None))
    from sklearn.metrics import r2_score

    assert r2_score(holdout["y"], holdout["score"]) > 0.8 and trained.threshold is None


@pytest.mark.parametrize(("old", "new", "says"), [
    ("        - entity/user/page_views\n", "        - entity/user/page_veiws\n", "unknown var of entity 'user' 'page_veiws'"),
    ("        eligible_users: page_views > 0\n", "        eligible_users: pageviews > 0\n",
     "in training.eligible_users 'pageviews'"),
    ("        validity: week\n", "        validity: week\n        algorithms: [xgboost]\n", "training.algorithms is not supported"),
    ("            name: purchase_propensity_score\n", "            name: total_revenue\n",
     "output column 'total_revenue' of propensity purchase_propensity is already a var"),
    ("          select: count(distinct date(timestamp))\n          from: inputs/pages\n          default_value: 0\n",
     "          select: count(distinct date(timestamp)) + {{user.Var(\"purchase_propensity_score\")}}\n"
     "          from: inputs/pages\n          default_value: 0\n",
     "purchase_propensity_score is an output of propensity model purchase_propensity: a cohort's filter can use it"),
    ("          strategy: auto\n", "          strategy: manual\n          dates: ['2026-01-01,2026-01-05']\n",
     "are 4 day(s) apart; the label date is predict_window_days (7) after"),
])
def test_validate_names_what_is_wrong_in_a_propensity_model(tmp_path, old, new, says) -> None:
    from profiles_pipeline.spec.validate import validate_project

    root = tmp_path / "config"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data"))
    models = root / "models" / "profiles.yaml"
    assert old in models.read_text()
    models.write_text(models.read_text().replace(old, new))
    problems = [str(p) for p in validate_project(root).problems]
    assert any(says in p and "profiles.yaml:" in p for p in problems), problems
