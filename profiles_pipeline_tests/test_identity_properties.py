"""Stitching equals an independent reference (networkx) on generated graphs, fully and incrementally."""

from __future__ import annotations

import os
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "identity"))
from identity_graphs import graphs, guards  # noqa: E402
from identity_reference import graph_of, load_rows, make_plan, reference_graph, rows_from_edges  # noqa: E402

from profiles_pipeline.identity import extract_edges, stitch  # noqa: E402
from profiles_pipeline.warehouse.testing import open_test_adapter  # noqa: E402

START = datetime(2024, 3, 1)
DAYS = 3
# Modest by default to keep the suite fast; set PROFILES_IDENTITY_EXAMPLES=500 for a long soak.
_SOAK = int(os.environ.get("PROFILES_IDENTITY_EXAMPLES", "0"))
EXAMPLES = {"duckdb": _SOAK or 12, "snowflake": max(2, _SOAK // 20)}


@pytest.fixture(params=["duckdb", "snowflake"])
def engine(request):
    return request.param


def _reset(adapter) -> None:
    for name in adapter.list_tables():
        adapter.drop(name)


def _audit(adapter, plan):
    return sorted(adapter.fetch(f"SELECT kind, id1, id1_type, id2, id2_type, reason, detail FROM {plan.name}_audit"), key=str)


def _run(engine, tmp_path, monkeypatch, body, examples):
    with open_test_adapter(engine, tmp_path, monkeypatch) as adapter:
        run = settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))(body)
        run(adapter)


def test_full_stitch_matches_reference(engine, tmp_path, monkeypatch):
    @given(graph=graphs(days=DAYS), rules=guards())
    def body(adapter, graph, rules):
        _reset(adapter)
        edges, singles, types = graph
        plan = make_plan(rules)
        rows = rows_from_edges(edges, singles, types.__getitem__, START)
        load_rows(adapter, rows)
        end = START + timedelta(days=DAYS)
        for d in range(DAYS):
            extract_edges(adapter, plan, (START + timedelta(days=d)).date())
        result = stitch(adapter, plan, end_time=end, run_id="full")
        assert result.mode == "full" and result.converged
        assert graph_of(adapter, plan) == reference_graph(plan, rows, end)

    _run(engine, tmp_path, monkeypatch, body, EXAMPLES[engine])


def test_incremental_days_match_reference_and_rebuild(engine, tmp_path, monkeypatch):
    """Days arrive one by one, some events late; every step equals the reference and a rebuild."""

    @given(graph=graphs(days=DAYS), rules=guards(), seed=st.integers(0, 10**6))
    def body(adapter, graph, rules, seed):
        _reset(adapter)
        rng = random.Random(seed)
        edges, singles, types = graph
        plan = make_plan(rules)
        rows = rows_from_edges(edges, singles, types.__getitem__, START)
        for r in rows:  # arrival batch: the event's day, sometimes a day or two late
            r["_arrives"] = (r["ts"] - START).days + rng.choice([0, 0, 0, 1, 2])
        for batch in range(DAYS + 2):
            arrived = [r for r in rows if r["_arrives"] <= batch]
            load_rows(adapter, arrived)
            end = START + timedelta(days=min(batch + 1, DAYS))
            for day in sorted({(r["ts"] - START).days for r in arrived if r["_arrives"] == batch}):
                extract_edges(adapter, plan, (START + timedelta(days=day)).date())
            result = stitch(adapter, plan, end_time=end, run_id=f"b{batch}")
            # A late event re-extracts a day the head covers: the history is rebuilt from that day.
            assert result.mode in (("full",) if batch == 0 else ("incremental", "range", "noop"))
            assert graph_of(adapter, plan) == reference_graph(plan, arrived, end), f"batch {batch}"
        incremental, audit = graph_of(adapter, plan), _audit(adapter, plan)
        assert stitch(adapter, plan, end_time=end, run_id="rebase", rebase=True).mode == "full"
        assert graph_of(adapter, plan) == incremental
        assert _audit(adapter, plan) == audit

    _run(engine, tmp_path, monkeypatch, body, EXAMPLES[engine])


@given(graph=graphs(days=1), rules=guards(), seed=st.integers(0, 10**6))
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_row_order_within_a_day_does_not_matter(tmp_path_factory, graph, rules, seed):
    from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

    edges, singles, types = graph
    plan = make_plan(rules)
    rows = rows_from_edges(edges, singles, types.__getitem__, START)
    results = []
    for order in range(2):
        random.Random(seed + order).shuffle(rows)
        with DuckDBAdapter(tmp_path_factory.mktemp("order") / "w.duckdb") as adapter:
            load_rows(adapter, rows)
            extract_edges(adapter, plan, START.date())
            stitch(adapter, plan, end_time=START + timedelta(days=1), run_id="r")
            results.append((graph_of(adapter, plan), _audit(adapter, plan)))
    assert results[0] == results[1]
