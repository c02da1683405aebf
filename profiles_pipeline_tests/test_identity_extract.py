"""Edge extraction: filters, blank ids, where, day boundaries, end_time, idempotent re-runs."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from profiles_pipeline.errors import UserError
from profiles_pipeline.identity import (
    EdgeSource,
    IdFilter,
    IdSelect,
    IdTypeRules,
    SqlList,
    StitcherPlan,
    extract_edges,
    stitch,
)
from profiles_pipeline.warehouse.testing import ENGINES, open_test_adapter

ROWS = [
    ("a1", "u1", "x@y.com", "2024-01-01 10:00:00", True),
    ("a2", "u1", "bad-email", "2024-01-01 11:00:00", True),  # email fails the include regex
    ("a3", "  ", "test@test.com", "2024-01-01 12:00:00", True),  # blank user_id; blocked email
    ("unknown", "u3", None, "2024-01-01 13:00:00", True),  # excluded anonymous id value
    ("a5", "u5", None, "2024-01-01 14:00:00", False),  # the row's where drops it
    ("a6", "u6", None, "2024-01-02 00:00:00", True),  # next day
    ("a7", "u1", None, "2024-01-01 23:30:00", True),  # after the end time the graph is built as of
]


@pytest.fixture(params=ENGINES)
def adapter(request, tmp_path, monkeypatch):
    with open_test_adapter(request.param, tmp_path, monkeypatch) as a:
        values = ", ".join(f"('{x}', '{y}', {f'{chr(39)}{z}{chr(39)}' if z else 'NULL'}, TIMESTAMP '{t}', {k})" for x, y, z, t, k in ROWS)
        a.execute(f"CREATE TABLE ev AS SELECT * FROM (VALUES {values}) AS v(anon, uid, email, ts, ok)")
        a.execute("CREATE TABLE blocked AS SELECT * FROM (VALUES ('test@test.com')) AS b(email)")
        yield a


def _plan() -> StitcherPlan:
    ids = (IdSelect("anon", "anonymous_id"), IdSelect("uid", "user_id"), IdSelect("lower(email)", "email"))
    return StitcherPlan(
        name="ids", entity="user",
        edge_sources=(EdgeSource("ev", "SELECT * FROM ev", "ts", ids, where_sql="ok"),),
        id_types={
            "anonymous_id": IdTypeRules("anonymous_id", filters=(IdFilter("exclude", value="unknown"),)),
            "email": IdTypeRules("email", filters=(
                IdFilter("include", regex=r"[A-Za-z0-9+_.-]+@(.+)"),
                IdFilter("exclude", sql=SqlList("SELECT email FROM blocked", "email")),
            )),
        },
    )


def _edges(adapter):
    return sorted(adapter.fetch("SELECT id1, id1_type, id2, id2_type FROM ids__day_edges"))


def test_filters_where_day_and_end_time(adapter):
    plan = _plan()
    result = extract_edges(adapter, plan, date(2024, 1, 1))
    assert result.rows_read == 5 and (result.ids_before, result.ids_after) == (13, 9)
    assert _edges(adapter) == sorted([
        ("a7", "anonymous_id", "a7", "anonymous_id"), ("a7", "anonymous_id", "u1", "user_id"),  # whole days
        ("a1", "anonymous_id", "a1", "anonymous_id"), ("u1", "user_id", "u1", "user_id"),
        ("x@y.com", "email", "x@y.com", "email"),
        ("a1", "anonymous_id", "u1", "user_id"), ("a1", "anonymous_id", "x@y.com", "email"),
        ("x@y.com", "email", "u1", "user_id"),  # pairs are ordered by (type, value)
        ("a2", "anonymous_id", "a2", "anonymous_id"), ("a2", "anonymous_id", "u1", "user_id"),
        ("a3", "anonymous_id", "a3", "anonymous_id"),
        ("u3", "user_id", "u3", "user_id"),  # an excluded id removes only its own edges
    ])
    reasons = dict(((v, t), r) for v, t, r in adapter.fetch("SELECT id_value, id_type, reason FROM ids__excluded"))
    assert reasons[("  ", "user_id")] == "blank"
    assert reasons[("unknown", "anonymous_id")].startswith("filter 1: exclude value")
    assert reasons[("bad-email", "email")].startswith("filter 1: include regex")
    assert reasons[("test@test.com", "email")].startswith("filter 2: exclude sql list")
    # The graph as of 23:00 leaves out what was first seen later the same day.
    stitch(adapter, plan, end_time=datetime(2024, 1, 1, 23, 0), run_id="r")
    ids = {r[0] for r in adapter.fetch("SELECT other_id FROM ids")}
    assert "a2" in ids and "a7" not in ids


def test_rerunning_a_day_does_not_duplicate(adapter):
    plan = _plan()
    for _ in range(2):
        extract_edges(adapter, plan, date(2024, 1, 1))
    first = _edges(adapter)
    assert len(first) == len(set(first))
    extract_edges(adapter, plan, date(2024, 1, 2))
    stitch(adapter, plan, end_time=datetime(2024, 1, 3), run_id="r1")
    rows = adapter.fetch("SELECT other_id, other_id_type FROM ids")
    assert len(rows) == len(set(rows))
    audit = {(k, i, r) for k, i, _t, _i2, _t2, r, _d, _run in adapter.fetch("SELECT * FROM ids_audit")}
    assert ("id", "unknown", "filtered") in audit and ("id", "  ", "blank") in audit


def test_plan_rejects_bad_names_and_limits():
    with pytest.raises(UserError, match="identifier"):
        StitcherPlan(name="my-stitcher", entity="user", edge_sources=())
    with pytest.raises(UserError, match="maximum_edges"):
        StitcherPlan(name="s", entity="user", edge_sources=(), id_types={"a": IdTypeRules("a", maximum_edges={"b": 0})})
    with pytest.raises(UserError, match="exactly one"):
        IdFilter("include", value="x", regex="y")
