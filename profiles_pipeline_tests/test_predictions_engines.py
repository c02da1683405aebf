"""A propensity model trained and scored on DuckDB and on Snowflake's SQL path (fakesnow), from
the same var-table snapshots: the point-in-time rows, the sample, the model and the scores agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from profiles_pipeline.instants import end_of_day
from profiles_pipeline.predictions import prediction_plans
from profiles_pipeline.predictions.scoring import score
from profiles_pipeline.predictions.training import train
from profiles_pipeline.spec.validate import load_project
from profiles_pipeline.warehouse.testing import ENGINES, open_test_adapter

END = datetime(2026, 3, 1, 12, 0)
PROJECT = """name: engines_predictions
schema_version: 88
connection: local
model_folders: [models]
id_types:
  - name: user_id
entities:
  - name: user
    id_types: [user_id]
"""
MODELS = """inputs:
  - name: events
    app_defaults: {table: events, occurred_at_col: timestamp,
                   ids: [{select: user_id, type: user_id, entity: user}]}
models:
  - name: stitcher
    model_type: id_stitcher
    model_spec: {entity_key: user, edge_sources: [{from: inputs/events}]}
  - name: buyer_propensity
    model_type: propensity
    model_spec:
      entity_key: user
      training:
        predict_var: entity/user/ordered_7d
        predict_window_days: 7
        eligible_users: sessions > 0
        max_row_count: 2500
        new_materialisations_config: {strategy: auto, feature_data_min_date_diff: 7, max_no_of_dates: 3}
      prediction:
        output_columns:
          percentile: {name: buyer_percentile}
          score: {name: buyer_score}
      inputs: [entity/user/sessions, entity/user/orders, entity/user/country]
var_groups:
  - name: v
    entity_key: user
    vars:
      - entity_var: {name: sessions, select: count(*), from: inputs/events}
      - entity_var: {name: orders, select: count(*), from: inputs/events}
      - entity_var: {name: country, select: max(user_id), from: inputs/events}
      - entity_var: {name: ordered_7d, select: max(1), from: inputs/events}
"""


def _snapshots(users: int = 1500) -> pd.DataFrame:
    """Var-table snapshots at the instants the model reads: orders follow each person's rate."""
    rng = np.random.default_rng(3)
    rate = np.exp(rng.uniform(-3, -1, users))
    frames = []
    for at in [END, *[end_of_day(END.date() - timedelta(days=1 + 7 * k)) for k in range(4)]]:
        weeks_back = (END - at).days / 7
        days = 60 - 7 * weeks_back
        frames.append(pd.DataFrame({
            "user_main_id": [f"u{i}" for i in range(users)],
            "sessions": rng.poisson(rate * days), "orders": rng.poisson(rate * days * 0.15),
            "country": rng.choice(["US", "DE", "FR"], users),
            "ordered_7d": (rng.random(users) < 1 - np.exp(-rate * 7 * 0.6)).astype("int64"),
            "valid_at": pd.Timestamp(at)}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("engines") / "p"
    (root / "models").mkdir(parents=True)
    (root / "pb_project.yaml").write_text(PROJECT)
    (root / "models" / "profiles.yaml").write_text(MODELS)
    return root


@pytest.fixture(scope="module")
def snapshots() -> pd.DataFrame:
    return _snapshots()


def _train_and_score(engine: str, project: Path, snapshots: pd.DataFrame, tmp_path, monkeypatch) -> tuple:
    loaded = load_project(project)
    [plan] = prediction_plans(loaded)
    tmp_path.mkdir(parents=True, exist_ok=True)
    with open_test_adapter(engine, tmp_path, monkeypatch) as adapter:
        adapter.write_frame("user_var_table", snapshots)
        record = train(adapter, loaded, plan, END, None)
        scored = score(adapter, loaded, plan, record, END)
        table = adapter.fetch_df("SELECT user_main_id, buyer_score, buyer_percentile FROM buyer_propensity")
    return record, scored, table.sort_values("user_main_id").reset_index(drop=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_model_trains_and_scores_on_each_engine(engine, project, snapshots, tmp_path, monkeypatch) -> None:
    record, scored, table = _train_and_score(engine, project, snapshots, tmp_path, monkeypatch)
    assert record.metrics["sampled_rows"] == 2500 < record.metrics["eligible_rows"]
    assert record.metrics["quality"] > 0.6 and len(record.metrics["instants"]) == 3
    assert scored.rows == len(table) == (snapshots["valid_at"] == pd.Timestamp(END)).sum()
    assert table["buyer_percentile"].max() == 100.0


def test_the_engines_agree(project, snapshots, tmp_path, monkeypatch) -> None:
    a = _train_and_score("duckdb", project, snapshots, tmp_path / "d", monkeypatch)
    b = _train_and_score("snowflake", project, snapshots, tmp_path / "s", monkeypatch)
    assert a[0].metrics["instants"] == b[0].metrics["instants"]
    assert a[0].metrics["quality"] == b[0].metrics["quality"]
    pd.testing.assert_frame_equal(a[2], b[2], check_dtype=False)
