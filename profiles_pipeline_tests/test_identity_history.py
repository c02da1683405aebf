"""The id graph's history equals the reference (networkx) at every checkpoint, however it was
written: one pass over many days, day by day, an old day re-run with late events then brought
forward; and retention keeps the latest checkpoint. Both engines."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "identity"))
from identity_graphs import graphs, guards  # noqa: E402
from identity_reference import graph_of, load_rows, make_plan, reference_graph, rows_from_edges  # noqa: E402

from profiles_pipeline.identity import extract_edges, stitch  # noqa: E402
from profiles_pipeline.identity.history import Checkpoints, build_history  # noqa: E402
from profiles_pipeline.identity.tables import StitcherTables  # noqa: E402
from profiles_pipeline.instants import end_of_day  # noqa: E402
from profiles_pipeline.warehouse.testing import ENGINES, open_test_adapter  # noqa: E402
from profiles_pipeline_tests.fixtures.engines import WITH_SPARK  # noqa: E402

START = datetime(2024, 3, 1)
DAYS = 4
LAST = (START + timedelta(days=DAYS - 1)).date()
_SOAK = int(os.environ.get("PROFILES_IDENTITY_EXAMPLES", "0"))
EXAMPLES = {"duckdb": _SOAK or 15, "snowflake": max(2, _SOAK // 20), "spark": 2}


def _days(last: date = LAST) -> list[date]:
    return [START.date() + timedelta(days=i) for i in range((last - START.date()).days + 1)]


def _reset(adapter) -> None:
    for name in adapter.list_tables():
        adapter.drop(name)


def _at(adapter, table: str, at: datetime) -> dict[tuple[str, str], str]:
    rows = adapter.fetch(
        f"SELECT id_value, id_type, main_id FROM {table} WHERE valid_from <= CAST('{at}' AS TIMESTAMP) "
        f"AND (valid_to IS NULL OR valid_to > CAST('{at}' AS TIMESTAMP))"
    )
    assert len(rows) == len({(v, t) for v, t, _ in rows}), f"one row per id at {at}"
    return {(v, t): m for v, t, m in rows}


def _history(adapter, plan) -> set[tuple]:
    return set(adapter.fetch(f"SELECT * FROM {StitcherTables.of(plan).history}"))


def _checkpoints(adapter, plan) -> list[datetime]:
    return [r[0] for r in adapter.fetch(f"SELECT cp_at FROM {StitcherTables.of(plan).checkpoints} ORDER BY cp_at")]


def _run(engine, tmp_path, monkeypatch, body, examples):
    with open_test_adapter(engine, tmp_path, monkeypatch) as adapter:
        settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))(body)(adapter)


@pytest.mark.parametrize("engine", WITH_SPARK)
def test_one_pass_history_equals_the_reference_at_every_checkpoint(engine, tmp_path, monkeypatch):
    @given(graph=graphs(days=DAYS), rules=guards(), midday=st.booleans())
    def body(adapter, graph, rules, midday):
        _reset(adapter)
        edges, singles, types = graph
        plan = make_plan(rules)
        rows = rows_from_edges(edges, singles, types.__getitem__, START)
        load_rows(adapter, rows)
        last = datetime.combine(LAST, datetime.min.time()) + timedelta(hours=13) if midday else end_of_day(LAST)
        extract_edges(adapter, plan, START.date(), last_day=LAST)
        cps = Checkpoints(START.date(), last)
        build_history(adapter, plan, cps, "history_out")
        for at in cps.instants():
            assert _at(adapter, "history_out", at) == reference_graph(plan, rows, at), at

    _run(engine, tmp_path, monkeypatch, body, EXAMPLES[engine])


@pytest.mark.parametrize("engine", ENGINES)
def test_day_by_day_and_one_range_run_write_the_same_history(engine, tmp_path, monkeypatch):
    @given(graph=graphs(days=DAYS), rules=guards())
    def body(adapter, graph, rules):
        edges, singles, types = graph
        rows = rows_from_edges(edges, singles, types.__getitem__, START)
        written = []
        for daily in (True, False):
            _reset(adapter)
            plan = make_plan(rules)
            load_rows(adapter, rows)
            if daily:
                modes = []
                for day in _days():
                    extract_edges(adapter, plan, day)
                    modes.append(stitch(adapter, plan, end_time=end_of_day(day), run_id=str(day)).mode)
                assert modes == ["full"] + ["incremental"] * (DAYS - 1)
            else:
                extract_edges(adapter, plan, START.date(), last_day=LAST)
                result = stitch(adapter, plan, end_time=end_of_day(LAST), first_day=START.date(), run_id="all")
                assert result.mode == "full" and len(result.checkpoints) == DAYS
            written.append((_history(adapter, plan), _checkpoints(adapter, plan), graph_of(adapter, plan)))
        assert written[0] == written[1]
        for at in written[0][1]:
            assert _at(adapter, StitcherTables.of(make_plan(rules)).history, at) == reference_graph(make_plan(rules), rows, at)

    _run(engine, tmp_path, monkeypatch, body, EXAMPLES[engine])


@pytest.mark.parametrize("engine", ENGINES)
def test_an_old_day_rerun_with_late_events_leaves_the_head_then_catches_up(engine, tmp_path, monkeypatch):
    @given(graph=graphs(days=DAYS), late=graphs(days=1), rules=guards())
    def body(adapter, graph, late, rules):
        _reset(adapter)
        plan = make_plan(rules)
        edges, singles, types = graph
        rows = rows_from_edges(edges, singles, types.__getitem__, START)
        load_rows(adapter, rows)
        for day in _days():
            extract_edges(adapter, plan, day)
            stitch(adapter, plan, end_time=end_of_day(day), run_id=str(day))
        head = graph_of(adapter, plan)
        # Late events for day 2 (ids of the same types, some of them new).
        old_day = START.date() + timedelta(days=1)
        l_edges, l_singles, l_types = late
        extra = rows_from_edges(l_edges, l_singles, lambda n: (l_types | types).get(n, "a"),
                                datetime.combine(old_day, datetime.min.time()))
        load_rows(adapter, rows + extra)
        extract_edges(adapter, plan, old_day)
        result = stitch(adapter, plan, end_time=end_of_day(old_day), run_id="late")
        assert result.mode == "window"
        assert graph_of(adapter, plan) == head, "the published graph did not move"
        assert _at(adapter, StitcherTables.of(plan).history, end_of_day(old_day)) == reference_graph(
            plan, rows + extra, end_of_day(old_day))
        for day in _days()[2:]:  # later days are stale until brought forward
            assert _at(adapter, StitcherTables.of(plan).history, end_of_day(day)) == reference_graph(plan, rows, end_of_day(day))
        caught_up = stitch(adapter, plan, end_time=end_of_day(LAST), first_day=old_day + timedelta(days=1), run_id="fwd")
        assert caught_up.mode == "range"
        for day in _days():
            assert _at(adapter, StitcherTables.of(plan).history, end_of_day(day)) == reference_graph(
                plan, rows + extra, end_of_day(day)), day
        assert graph_of(adapter, plan) == reference_graph(plan, rows + extra, end_of_day(LAST))

    _run(engine, tmp_path, monkeypatch, body, max(2, EXAMPLES[engine] // 2))


@pytest.mark.parametrize("engine", ENGINES)
def test_retention_drops_old_checkpoints_and_keeps_the_latest(engine, tmp_path, monkeypatch):
    with open_test_adapter(engine, tmp_path, monkeypatch) as adapter:
        plan = make_plan()
        edges = [(0, 1, 10, 0), (1, 2, 1440 + 10, 0), (2, 3, 2 * 1440 + 10, 0), (3, 4, 3 * 1440 + 10, 1)]
        types = {i: "abc"[i % 3] for i in range(5)}
        rows = rows_from_edges(edges, [], types.__getitem__, START)
        load_rows(adapter, rows)
        for day in _days():
            extract_edges(adapter, plan, day)
            result = stitch(adapter, plan, end_time=end_of_day(day), run_id=str(day), retention=timedelta(days=1))
        assert _checkpoints(adapter, plan) == [end_of_day(d) for d in _days()[-2:]]
        assert result.retention_dropped == 1
        history = StitcherTables.of(plan).history
        for day in _days()[-2:]:
            assert _at(adapter, history, end_of_day(day)) == reference_graph(plan, rows, end_of_day(day))
        # A retention shorter than a day still keeps the latest checkpoint.
        stitch(adapter, plan, end_time=end_of_day(LAST), first_day=LAST, run_id="again", rebase=True,
               retention=timedelta(seconds=1))
        assert _checkpoints(adapter, plan) == [end_of_day(LAST)]
        assert _at(adapter, history, end_of_day(LAST)) == reference_graph(plan, rows, end_of_day(LAST))
