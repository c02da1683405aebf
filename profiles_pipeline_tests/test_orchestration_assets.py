"""The asset factory on a small real graph: two consecutive days, metadata, reruns, blocking checks."""

import sys
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "orchestration"))
import small_graph as sg  # noqa: E402

from profiles_pipeline.orchestration.definitions import definitions_for_graph  # noqa: E402
from profiles_pipeline.orchestration.resources import WarehouseResource  # noqa: E402

DAY1, DAY2 = date(2026, 1, 1), date(2026, 1, 2)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with a landing zone of two days and the embedded DuckDB default."""
    (tmp_path / "pb_project.yaml").write_text("name: small\nschema_version: 72\n")
    landing = tmp_path / "data" / "landing"
    sg.write_day(landing, DAY1, ["a", "b", "a"])
    sg.write_day(landing, DAY2, ["a", "c"])
    return tmp_path


def _materialize(defs: dg.Definitions, instance: dg.DagsterInstance, day: date) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("profiles_daily")
    return job.execute_in_process(partition_key=day.isoformat(), instance=instance, raise_on_error=False)


def _table(project: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(project / "data" / "profiles.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def _defs(project: Path, **graph_args) -> dg.Definitions:
    graph = sg.small_graph(project / "data" / "landing", **graph_args)
    return definitions_for_graph(graph, warehouse=WarehouseResource(project_dir=str(project)))


def test_two_days_build_on_each_other_with_metadata_and_checks(project: Path) -> None:
    defs = _defs(project)
    with dg.instance_for_test() as instance:
        first = _materialize(defs, instance, DAY1)
        second = _materialize(defs, instance, DAY2)
        assert first.success and second.success

        mats = {
            m.asset_key.to_user_string(): m.materialization.metadata
            for m in second.get_asset_materialization_events()
        }
        assert set(mats) == {"inputs/events", "features/user/activity", "cohorts/active_users"}
        activity = mats["features/user/activity"]
        assert activity["dagster/row_count"].value == 3
        schema = activity["dagster/column_schema"].value
        assert [(c.name, c.type) for c in schema.columns] == [("user_id", "VARCHAR"), ("events", "BIGINT")]
        assert "| a | 3 |" in activity["preview"].value
        assert "| 1 | 2 |" in activity["events_histogram"].value  # two users with one event
        assert mats["inputs/events"]["day_rows"].value == 2
        assert mats["cohorts/active_users"]["dagster/row_count"].value == 1

        checks = {(c.asset_key.to_user_string(), c.check_name): c for c in second.get_asset_check_evaluations()}
        assert checks[("features/user/activity", "max_users")].passed
        assert checks[("cohorts/active_users", "unique_user_id")].passed
        assert checks[("features/user/activity", "max_users")].partition == DAY2.isoformat()

        materialized = instance.get_materialized_partitions(dg.AssetKey(["features", "user", "activity"]))
        assert materialized == {DAY1.isoformat(), DAY2.isoformat()}

    # Day 2 built on day 1: a has 2 + 1 events, b 1 (day 1 only), c 1 (day 2 only).
    assert _table(project, "SELECT user_id, events FROM user_activity ORDER BY 1") == [
        ("a", 3), ("b", 1), ("c", 1),
    ]
    assert _table(project, "SELECT user_id FROM active_users") == [("a",)]


def test_rerunning_a_day_is_idempotent_and_sees_a_changed_file(project: Path) -> None:
    defs = _defs(project)
    with dg.instance_for_test() as instance:
        for day in (DAY1, DAY2, DAY2):
            assert _materialize(defs, instance, day).success
        assert _table(project, "SELECT SUM(events) FROM user_activity") == [(5,)]
        sg.write_day(project / "data" / "landing", DAY2, ["a", "c", "d"])
        assert _materialize(defs, instance, DAY2).success
    assert _table(project, "SELECT user_id, events FROM user_activity ORDER BY 1") == [
        ("a", 3), ("b", 1), ("c", 1), ("d", 1),
    ]


def test_a_failing_blocking_check_stops_downstream(project: Path) -> None:
    defs = _defs(project, max_users=1)
    with dg.instance_for_test() as instance:
        result = _materialize(defs, instance, DAY1)
        assert not result.success
        check = next(c for c in result.get_asset_check_evaluations() if c.check_name == "max_users")
        assert not check.passed and check.description == "2 users (limit 1)"
        built = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
        assert built == {"inputs/events", "features/user/activity"}
        assert result.get_step_failure_events()[0].step_key == "features__user__activity"
        started = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
        assert started == ["inputs__events", "features__user__activity"]
    assert "active_users" not in {r[0] for r in _table(project, "SHOW TABLES")}
