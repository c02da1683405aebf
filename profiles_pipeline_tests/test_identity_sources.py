"""A link seen by several sources keeps its earliest sighting, ties going to the smallest source name."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from profiles_pipeline.identity import EdgeSource, IdSelect, StitcherPlan, extract_edges, stitch
from profiles_pipeline.instants import end_of_day
from profiles_pipeline.warehouse.testing import open_test_adapter
from profiles_pipeline_tests.fixtures.engines import WITH_SPARK

# (source, anon, uid, ts)
ROWS = [
    ("web", "a1", "u1", "2024-01-01 10:00:00"),
    ("app", "a1", "u1", "2024-01-01 10:00:00"),  # tie: 'app' < 'web'
    ("web", "a2", "u2", "2024-01-01 09:00:00"),  # earliest: 'web'
    ("app", "a2", "u2", "2024-01-01 11:00:00"),
    ("app", "a3", "u3", "2024-01-01 12:00:00"),
    ("web", "a3", "u3", "2024-01-02 08:00:00"),  # next day, later: 'app' stays
    ("web", "a4", "u4", "2024-01-02 09:00:00"),
    ("app", "a4", "u4", "2024-01-02 09:00:00"),  # tie on an incremental day
]
EXPECTED = [
    ("a1", "u1", "app", datetime(2024, 1, 1, 10)),
    ("a2", "u2", "web", datetime(2024, 1, 1, 9)),
    ("a3", "u3", "app", datetime(2024, 1, 1, 12)),
    ("a4", "u4", "app", datetime(2024, 1, 2, 9)),
]


@pytest.fixture(params=WITH_SPARK)
def adapter(request, tmp_path, monkeypatch):
    with open_test_adapter(request.param, tmp_path, monkeypatch) as a:
        values = ", ".join(f"('{s}', '{x}', '{y}', TIMESTAMP '{t}')" for s, x, y, t in ROWS)
        a.execute(f"CREATE TABLE ev AS SELECT * FROM (VALUES {values}) AS v(src, anon, uid, ts)")
        yield a


def _plan() -> StitcherPlan:
    ids = (IdSelect("anon", "anonymous_id"), IdSelect("uid", "user_id"))
    sources = tuple(EdgeSource(s, f"SELECT * FROM ev WHERE src = '{s}'", "ts", ids) for s in ("web", "app"))
    return StitcherPlan(name="ids", entity="user", edge_sources=sources)


def _links(adapter) -> list[tuple]:
    return sorted(adapter.fetch("SELECT id1, id2, source, first_seen_at FROM ids_edges"))


def test_earliest_source_wins_full_incremental_and_rebase(adapter):
    plan = _plan()
    day1, day2 = date(2024, 1, 1), date(2024, 1, 2)
    extract_edges(adapter, plan, day1)
    assert stitch(adapter, plan, end_time=end_of_day(day1), run_id="d1").mode == "full"
    assert _links(adapter) == EXPECTED[:3]
    extract_edges(adapter, plan, day2)
    assert stitch(adapter, plan, end_time=end_of_day(day2), run_id="d2").mode == "incremental"
    assert _links(adapter) == EXPECTED
    assert stitch(adapter, plan, end_time=end_of_day(day2), run_id="re", rebase=True).mode == "full"
    assert _links(adapter) == EXPECTED
    graph = adapter.fetch("SELECT other_id, other_id_type, user_main_id, valid_at FROM ids ORDER BY other_id")
    assert [r[0] for r in graph] == ["a1", "a2", "a3", "a4", "u1", "u2", "u3", "u4"]
    assert len({r[2] for r in graph}) == 4
