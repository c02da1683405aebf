"""The example project (config/) materialized through Dagster on an `instance_for_test`, over a
generated landing zone and a DuckDB file in a temp dir, for two consecutive days."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from profiles_pipeline import sample_data
from profiles_pipeline.activations.receiver import WebhookStore, serve
from profiles_pipeline.orchestration.definitions import build_definitions

REPO = Path(__file__).resolve().parents[1]
DAY1, DAY2 = date(2026, 1, 1), date(2026, 1, 2)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example") / "config"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data"))
    sample_data.generate(root / "data" / "landing", users=300, days=2, seed=7, start_date=DAY1)
    return root


@pytest.fixture(scope="module")
def webhook() -> Iterator[WebhookStore]:
    """The example's webhook activation, pointed at a real HTTP server on 127.0.0.1 that checks signatures."""
    store = WebhookStore(b"example-secret")
    server = serve(store)
    saved = {k: os.environ.get(k) for k in ("PROFILES_WEBHOOK_URL", "PROFILES_WEBHOOK_SECRET")}
    os.environ["PROFILES_WEBHOOK_URL"] = f"http://127.0.0.1:{server.server_address[1]}/webhook"
    os.environ["PROFILES_WEBHOOK_SECRET"] = "example-secret"
    yield store
    server.shutdown()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def runs(project: Path, webhook: WebhookStore) -> dict[date, dg.ExecuteInProcessResult]:
    defs = build_definitions(project)
    job = defs.resolve_job_def("profiles_daily")
    with dg.instance_for_test() as instance:
        return {
            day: job.execute_in_process(partition_key=day.isoformat(), instance=instance,
                                        raise_on_error=False)
            for day in (DAY1, DAY2)
        }


def _query(project: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(project / "data" / "profiles.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {
        "/".join(e.event_specific_data.materialization.asset_key.path):
            {k: getattr(v, "value", v) for k, v in e.event_specific_data.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }


def test_both_days_succeed_and_every_check_passes(runs) -> None:
    for day, result in runs.items():
        assert result.success, day
        evaluations = [e.event_specific_data for e in result.all_events
                       if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        assert evaluations, "checks ran"
        failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
        # A cohort may legitimately move more than the bound between two small days (non-blocking).
        assert all(name == "size_change_within_bound" for _, name in failed), failed


def test_every_asset_of_the_graph_is_materialized_with_metadata(runs, project) -> None:
    meta = _metadata(runs[DAY2])
    features = {k for k in meta if k.startswith("features/user/")}
    assert "features/user/days_since_last_seen" in features and len(features) == 18
    assert meta["features/user/total_revenue"]["type"] in ("DOUBLE", "DECIMAL(38,2)", "FLOAT")
    assert 0.0 <= meta["features/user/total_revenue"]["null_share"] <= 1.0
    assert set(meta) - features == {
        "inputs/identifies", "inputs/tracks", "inputs/pages", "inputs/order_completed",
        "identity/user_id_stitcher/edges", "identity/user_id_stitcher/id_graph", "features/user",
        "feature_views/user_features_by_email", "feature_tables/user_profile", "cohorts/known_users",
        "cohorts/high_value_known_users", "feature_views/high_value_users_by_email",
        "activations/known_users_to_files", "activations/known_users_to_webhook",
        "predictions/purchase_propensity_model", "predictions/purchase_propensity",
    }
    graph = meta["identity/user_id_stitcher/id_graph"]
    assert graph["dagster/row_count"] == _query(project, "SELECT COUNT(*) FROM user_id_stitcher")[0][0]
    assert graph["clusters"] == _query(
        project, "SELECT COUNT(DISTINCT user_main_id) FROM user_id_stitcher")[0][0]
    assert "cluster size" in graph["size_histogram"]
    assert [c.name for c in graph["dagster/column_schema"].columns] == [
        "user_main_id", "other_id", "other_id_type", "valid_at", "first_seen_at"]
    assert "user_main_id" in meta["features/user"]["preview"]
    # The sample landing zone has a ground truth, so the id graph reports stitching quality.
    assert 0.5 < graph["ground_truth/pairwise_precision"] <= 1.0
    assert 0.5 < graph["ground_truth/pairwise_recall"] <= 1.0
    assert Path(graph["id stitcher report"]).read_text().lstrip().lower().startswith("<!doctype html")
    assert meta["inputs/tracks"]["rows_in_run"] == _query(
        project, "SELECT COUNT(*) FROM read_parquet('" + str(project / "data/landing/tracks/dt=2026-01-02/*.parquet") + "')")[0][0]


def test_day_two_builds_on_day_one(runs, project) -> None:
    day1 = _metadata(runs[DAY1])["identity/user_id_stitcher/id_graph"]
    day2 = _metadata(runs[DAY2])["identity/user_id_stitcher/id_graph"]
    assert day1["mode"] == "full" and day2["mode"] == "incremental"
    assert day2["dagster/row_count"] > day1["dagster/row_count"]
    # Features are as of the end of day 2: no user's last event is later than that.
    latest = _query(project, "SELECT MAX(last_seen) FROM user_feature_view")[0][0]
    assert latest.date() == DAY2
    # The cohort's history holds one size per day, so the size check compares against day 1.
    sizes = _query(project, "SELECT day, members FROM profiles_cohort_sizes WHERE cohort = 'known_users' ORDER BY day")
    assert [d for d, _ in sizes] == [DAY1, DAY2]
    cohort = _metadata(runs[DAY2])["cohorts/known_users"]
    assert cohort["previous_members"] == sizes[0][1] and cohort["members"] == sizes[1][1]


def test_feature_view_by_email_has_one_row_per_email(runs, project) -> None:
    dupes = _query(project, "SELECT COUNT(*) FROM (SELECT email FROM user_features_by_email "
                            "GROUP BY email HAVING COUNT(*) > 1)")[0][0]
    assert dupes == 0
    assert _query(project, "SELECT COUNT(*) FROM user_features_by_email")[0][0] > 0


def test_the_activation_files_hold_the_cohort_keyed_by_email(runs, project) -> None:
    """Day 1 sends the cohort; day 2 sends what joined or changed; together the files' latest row
    per email equals the cohort's members with their email, as the state table records them."""
    import json

    meta = _metadata(runs[DAY2])["activations/known_users_to_files"]
    assert meta["sync_mode"] == "upsert" and meta["rejected"] == 0
    sent: dict[str, dict] = {}
    for part in sorted((project / "data" / "activations" / "known_users_to_files").glob("*/part-*.jsonl"),
                       key=lambda p: p.stat().st_mtime):
        for line in part.read_text().splitlines():
            row = json.loads(line)
            sent[row["_key"]] = row
    members = _query(project, """SELECT g.other_id, c.total_revenue FROM known_users AS c
        JOIN (SELECT user_main_id, other_id, ROW_NUMBER() OVER (PARTITION BY user_main_id ORDER BY first_seen_at, other_id) AS rk
              FROM user_id_stitcher WHERE other_id_type = 'email') AS g ON g.user_main_id = c.user_main_id AND g.rk = 1""")
    assert members, "the cohort has members with an email"
    assert {k: round(float(v["lifetime_value"]), 2) for k, v in sent.items() if k in dict(members)} == {
        k: round(float(v), 2) for k, v in members}
    assert _query(project, "SELECT COUNT(*) FROM known_users_to_files__synced")[0][0] == len(sent)


def test_the_webhook_holds_exactly_the_cohort(runs, project, webhook) -> None:
    """Mirror mode over two days: the endpoint ends holding each member's email with its revenue,
    and no one who left the cohort; every request carried a valid signature."""
    assert webhook.requests >= 1 and webhook.refused == 0
    members = dict(_query(project, """SELECT g.other_id, c.total_revenue FROM known_users AS c
        JOIN (SELECT user_main_id, other_id, ROW_NUMBER() OVER (PARTITION BY user_main_id ORDER BY first_seen_at, other_id) AS rk
              FROM user_id_stitcher WHERE other_id_type = 'email') AS g ON g.user_main_id = c.user_main_id AND g.rk = 1"""))
    assert members, "the cohort has members"
    assert {k: round(float(v["lifetime_value"]), 2) for k, v in webhook.rows.items()} == {
        k: round(float(v), 2) for k, v in members.items()}
