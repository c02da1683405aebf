"""The new-events sensors: landing-zone fingerprints in the cursor; warehouse per-day watermarks."""

import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "orchestration"))
import small_graph as sg  # noqa: E402

from profiles_pipeline.orchestration import watermarks  # noqa: E402
from profiles_pipeline.orchestration.definitions import definitions_for_graph  # noqa: E402
from profiles_pipeline.orchestration.jobs import daily_job  # noqa: E402
from profiles_pipeline.orchestration.partitions import daily_partitions  # noqa: E402
from profiles_pipeline.orchestration.resources import WarehouseResource  # noqa: E402
from profiles_pipeline.orchestration.sensors import LANDING_SENSOR, warehouse_events_sensor  # noqa: E402
from profiles_pipeline.warehouse.base import WarehouseAdapter  # noqa: E402
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter  # noqa: E402
from profiles_pipeline.warehouse.testing import ENGINES, open_test_adapter  # noqa: E402

DAY1, DAY2 = date(2026, 1, 1), date(2026, 1, 2)


def _tick(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def(LANDING_SENSOR)
    # Contexts are closed so the instance they hold does not outlive the test (Dagster keeps it in
    # a context variable that later definition loads in the same process would find disposed).
    with dg.build_sensor_context(cursor=cursor, instance=instance, definitions=defs) as context:
        return sensor(context)


def test_landing_sensor_requests_new_days_and_reruns_changed_files(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    sg.write_day(landing, DAY1, ["a", "b"])
    (landing / "_ground_truth").mkdir()
    (landing / "_ground_truth" / "ground_truth.parquet").write_bytes(b"not events")
    db = tmp_path / "data" / "profiles.duckdb"
    defs = definitions_for_graph(
        sg.small_graph(landing), warehouse=WarehouseResource(project_dir=str(tmp_path)), landing_zone=landing
    )
    with dg.instance_for_test() as instance:
        first = _tick(defs, instance, None)
        assert [r.partition_key for r in first.run_requests] == [DAY1.isoformat()]
        assert list(json.loads(first.cursor)["files"]) == ["events/dt=2026-01-01/part-0.parquet"]

        idle = _tick(defs, instance, first.cursor)
        assert idle.run_requests == [] and idle.cursor == first.cursor

        sg.write_day(landing, DAY2, ["c"])
        new_day = _tick(defs, instance, idle.cursor)
        assert [r.partition_key for r in new_day.run_requests] == [DAY2.isoformat()]

        path = sg.write_day(landing, DAY1, ["a", "b", "d"])
        os.utime(path, ns=(1, 1_700_000_000_000_000_000))  # a rewrite with a different mtime
        rerun = _tick(defs, instance, new_day.cursor)
        assert [r.partition_key for r in rerun.run_requests] == [DAY1.isoformat()]
        assert rerun.run_requests[0].run_key != first.run_requests[0].run_key

        sg.write_day(landing, date(2025, 12, 31), ["e"])  # before the first partition
        early = _tick(defs, instance, rerun.cursor)
        assert early.run_requests == []
        assert "events/dt=2025-12-31/part-0.parquet" not in json.loads(early.cursor)["files"]
    assert not db.exists(), "the sensor must never open the DuckDB file"


def test_schedule_runs_yesterday_each_morning(tmp_path: Path) -> None:
    defs = definitions_for_graph(
        sg.small_graph(tmp_path), warehouse=WarehouseResource(project_dir=str(tmp_path))
    )
    schedule = defs.resolve_schedule_def("profiles_daily_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    with dg.instance_for_test() as instance:
        morning = datetime(2026, 3, 15, 6, 0, tzinfo=UTC)
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=morning,
                                       repository_def=defs.get_repository_def()) as context:
            requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert [r.partition_key for r in requests] == ["2026-03-14"]


@pytest.fixture(params=ENGINES)
def events_adapter(request, tmp_path: Path, monkeypatch):
    """A tracks table on DuckDB and on Snowflake (fakesnow): the sensor reads only aggregates."""
    with open_test_adapter(request.param, tmp_path, monkeypatch) as adapter:
        adapter.execute("CREATE TABLE tracks (id INT, occurred_at TIMESTAMP)")
        adapter.execute(
            "INSERT INTO tracks VALUES (1, TIMESTAMP '2026-01-01 10:00'), (2, TIMESTAMP '2026-01-02 09:00')"
        )
        yield adapter


def test_watermarks_find_new_and_late_days(events_adapter: WarehouseAdapter) -> None:
    sources = [watermarks.WatchedInput("inputs/rsTracks", "tracks", "occurred_at")]
    before = watermarks.read_watermarks(events_adapter, sources)
    assert before == {"inputs/rsTracks": {"2026-01-01": [1, "2026-01-01 10:00:00"], "2026-01-02": [1, "2026-01-02 09:00:00"]}}
    assert watermarks.changed_days({}, before) == ["2026-01-01", "2026-01-02"]
    assert watermarks.changed_days(before, watermarks.read_watermarks(events_adapter, sources)) == []

    events_adapter.execute(
        "INSERT INTO tracks VALUES (3, TIMESTAMP '2026-01-03 01:00'), (4, TIMESTAMP '2026-01-01 08:00')"
    )
    after = watermarks.read_watermarks(events_adapter, sources)
    assert watermarks.changed_days(before, after) == ["2026-01-01", "2026-01-03"]
    assert watermarks.decode(watermarks.encode(after)) == after
    assert watermarks.day_digest(after, "2026-01-01") != watermarks.day_digest(before, "2026-01-01")


def test_warehouse_sensor_requests_days_whose_inputs_changed(tmp_path: Path) -> None:
    with DuckDBAdapter(tmp_path / "data" / "profiles.duckdb") as adapter:
        adapter.execute("CREATE TABLE tracks (occurred_at TIMESTAMP)")
        adapter.execute("INSERT INTO tracks VALUES (TIMESTAMP '2026-01-02 10:00')")
    graph = sg.small_graph(tmp_path)
    sources = [watermarks.WatchedInput("inputs/events", "tracks", "occurred_at")]
    sensor = warehouse_events_sensor(daily_job(daily_partitions(graph)), sources, daily_partitions(graph))
    resources = {"warehouse": WarehouseResource(project_dir=str(tmp_path))}
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(cursor=None, instance=instance, resources=resources) as context:
            first = sensor(context)
        assert [r.partition_key for r in first.run_requests] == ["2026-01-02"]
        with dg.build_sensor_context(cursor=first.cursor, instance=instance, resources=resources) as context:
            again = sensor(context)
        assert again.run_requests == []


def test_several_new_days_are_one_run_and_a_rerun_old_day_is_brought_forward(tmp_path: Path) -> None:
    """New files for three days ask for one run over them; after an old day is run again, the
    bring-forward sensor asks for one run over the later days, and nothing once they ran."""
    from profiles_pipeline.orchestration.sensors import FORWARD_SENSOR

    landing = tmp_path / "landing"
    days = [date(2026, 1, d) for d in (1, 2, 3)]
    for d in days:
        sg.write_day(landing, d, ["a", "b"])
    defs = definitions_for_graph(
        sg.small_graph(landing), warehouse=WarehouseResource(project_dir=str(tmp_path)), landing_zone=landing
    )
    job = defs.resolve_job_def("profiles_daily")
    with dg.instance_for_test() as instance:
        sensor = defs.resolve_sensor_def(LANDING_SENSOR)
        with dg.build_sensor_context(instance=instance, definitions=defs) as context:
            [request] = sensor.evaluate_tick(context).run_requests
        assert request.partition_key is None
        assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) == (
            "2026-01-01", "2026-01-03")
        assert job.execute_in_process(instance=instance, tags=request.tags).success
        key = dg.AssetKey(["features", "user", "activity"])
        assert instance.get_materialized_partitions(key) == {d.isoformat() for d in days}

        forward = defs.resolve_sensor_def(FORWARD_SENSOR)

        def ask() -> list[dg.RunRequest]:
            with dg.build_sensor_context(instance=instance, definitions=defs) as ctx:
                return list(forward.evaluate_tick(ctx).run_requests or [])

        assert ask() == []
        assert job.execute_in_process(instance=instance, partition_key="2026-01-02").success  # an old day
        [catch_up] = ask()
        assert catch_up.partition_key == "2026-01-03"
        assert job.execute_in_process(instance=instance, partition_key=catch_up.partition_key,
                                      tags=catch_up.tags).success
        assert ask() == []
