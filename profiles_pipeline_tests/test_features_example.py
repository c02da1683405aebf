"""The example project in config/ builds every features output over a generated landing zone
(id graph taken from the generator's ground truth, so this test needs no identity layer)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from profiles_pipeline.features import run_features
from profiles_pipeline.sample_data.api import generate
from profiles_pipeline.spec.validate import load_project
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

CONFIG = Path(__file__).resolve().parents[1] / "config"


def test_example_project_builds_all_outputs(tmp_path):
    shutil.copytree(CONFIG, tmp_path / "project")
    landing = tmp_path / "project" / "data" / "landing"
    generate(landing, users=60, days=2)
    adapter = DuckDBAdapter(tmp_path / "wh.duckdb")
    adapter.execute(
        "CREATE TABLE user_id_stitcher AS SELECT 'p' || person_id AS user_main_id, id_value AS other_id, "
        "id_type AS other_id_type, TIMESTAMP '2026-01-01' AS valid_at "
        f"FROM read_parquet('{landing}/_ground_truth/ground_truth.parquet')"
    )
    result = run_features(adapter, load_project(tmp_path / "project"), end_time=datetime(2026, 1, 2, 18))
    kinds = {s.kind for s in result.steps}
    assert kinds >= {"rows", "pass", "var_table", "feature_view", "id_view", "feature_table", "cohort"}
    people = adapter.fetch_one("SELECT COUNT(DISTINCT user_main_id) FROM user_id_stitcher")
    assert result.tables["user_var_table"] == people
    known = {r[0] for r in adapter.fetch("SELECT user_main_id FROM known_users")}
    high = {r[0] for r in adapter.fetch("SELECT user_main_id FROM high_value_known_users")}
    assert known and high <= known
    emails = adapter.fetch("SELECT email, COUNT(*) FROM user_features_by_email GROUP BY 1 HAVING COUNT(*) > 1")
    assert emails == []
    assert adapter.fetch_one("SELECT COUNT(*) FROM user_var_table WHERE total_sessions > 0") > 0
    late = adapter.fetch_one("SELECT MAX(last_seen) FROM user_var_table")
    assert late <= datetime(2026, 1, 2, 18)
    adapter.close()
