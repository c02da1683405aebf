"""The time model through Dagster, on both engines: partitions materialized out of order, and an
old one re-run with a late event, publish what an in-order run publishes once the stale days
are brought forward; re-running an old partition never moves what is published."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from fixtures.timeline import PASSWORD_ENV, START, events, load_events, published, write_project

from profiles_pipeline.orchestration.definitions import build_definitions
from profiles_pipeline.orchestration.sensors import FORWARD_SENSOR

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output")
DAYS = 5
LATE_DAY = START + timedelta(days=2)


@contextmanager
def _engine(engine: str, monkeypatch):
    if engine == "duckdb":
        yield
        return
    import fakesnow

    monkeypatch.setenv(PASSWORD_ENV, "not-a-secret")
    with fakesnow.patch(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _adapter(project: Path):
    from profiles_pipeline.warehouse.connections import open_adapter, resolve_connection

    return open_adapter(resolve_connection(project, "snow" if (project / "siteconfig.yaml").exists() else "local"))


class Warehouse:
    """One project on one engine, materialized through a real Dagster instance."""

    def __init__(self, root: Path, engine: str, instance: dg.DagsterInstance):
        self.root = write_project(root, engine)
        self.engine = engine
        self.instance = instance
        self.defs = None

    def load(self, rows) -> None:
        with _adapter(self.root) as a:
            load_events(a, rows)
        self.defs = build_definitions(self.root)

    def materialize(self, day: date, tags: dict | None = None) -> dg.ExecuteInProcessResult:
        result = self.defs.resolve_job_def("profiles_daily").execute_in_process(
            partition_key=day.isoformat(), instance=self.instance, tags=tags or {}, raise_on_error=False)
        assert result.success, [e.event_specific_data.error.message for e in result.get_step_failure_events()]
        return result

    def bring_forward(self) -> int:
        """Run what the bring-forward sensor asks for until it asks nothing; returns the runs."""
        sensor, runs = self.defs.resolve_sensor_def(FORWARD_SENSOR), 0
        while True:
            with dg.build_sensor_context(instance=self.instance, repository_def=self.defs.get_repository_def()) as ctx:
                requests = list(sensor.evaluate_tick(ctx).run_requests or [])
            if not requests:
                return runs
            for r in requests:
                result = self.defs.resolve_job_def("profiles_daily").execute_in_process(
                    partition_key=r.partition_key, instance=self.instance, tags=r.tags, raise_on_error=False)
                assert result.success
                runs += 1

    def published(self) -> dict:
        with _adapter(self.root) as a:
            return published(a)


def _days() -> list[date]:
    return [START + timedelta(days=i) for i in range(DAYS)]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duckdb", "snowflake"])
def test_shuffled_partitions_and_a_late_event_publish_what_an_in_order_run_does(engine, tmp_path, monkeypatch):
    rows = events(DAYS)
    late_row = (datetime.combine(LATE_DAY, datetime.min.time()) + timedelta(hours=9), "u1", "a2", "p3@x.io", 40)
    with _engine(engine, monkeypatch), dg.instance_for_test() as instance:
        in_order = Warehouse(tmp_path / "in_order", engine, instance)
        in_order.load(rows)
        for day in _days():
            in_order.materialize(day)
        expected = in_order.published()
        assert expected["user_graph"] and expected["user_feature_view"] and expected["active_users"]

        shuffled = Warehouse(tmp_path / "shuffled", engine, instance)
        shuffled.load(rows)
        for i in (3, 0, 4, 1, 2):
            shuffled.materialize(_days()[i])
        assert shuffled.bring_forward() == 1
        assert shuffled.published() == expected
        # `profiles run` after the partition runs (published as of the end of the last day, later
        # than the latest event) has nothing to do.
        from profiles_pipeline.pipeline.run_scope import plan_run
        from profiles_pipeline.spec import load_project

        with _adapter(shuffled.root) as a:
            assert plan_run(load_project(shuffled.root), a).noop

        # A late event for an old day: re-running that day leaves what is published as it was...
        in_order.load(rows + [late_row])
        in_order.materialize(LATE_DAY)
        assert in_order.published() == expected
        # ...and once the later days are brought forward it includes the late event.
        assert in_order.bring_forward() == 1
        fresh = Warehouse(tmp_path / "fresh", engine, instance)
        fresh.load(rows + [late_row])
        for day in _days():
            fresh.materialize(day)
        assert in_order.published() == fresh.published() != expected
