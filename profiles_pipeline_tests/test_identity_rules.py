"""Cluster rules (`unique`, `max_per_cluster`, `priority`): worked examples on both engines, the
incremental path against a rebuild, explanations of ids kept apart, and properties on random graphs."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "identity"))
from identity_graphs import graphs  # noqa: E402
from identity_reference import (  # noqa: E402
    ID_COLUMNS,
    graph_of,
    load_rows,
    make_plan,
    reference_graph,
    rows_from_edges,
)

from profiles_pipeline.identity import explain, extract_edges, stitch  # noqa: E402
from profiles_pipeline.identity.plan import IdTypeRules  # noqa: E402
from profiles_pipeline.warehouse.testing import ENGINES, open_test_adapter  # noqa: E402

START = datetime(2024, 3, 1)
# Types of the test table: a = anonymous ids, b = user ids, c = emails.
UNIQUE_USER = {"b": IdTypeRules("b", cluster_limit=1)}


@pytest.fixture(params=ENGINES)
def adapter(request, tmp_path, monkeypatch):
    with open_test_adapter(request.param, tmp_path, monkeypatch) as a:
        yield a


def _row(minute: int, **ids: str) -> dict:
    row = {c: None for c, _ in ID_COLUMNS}
    row.update(ts=START + timedelta(minutes=minute), src="web", keep_row=True, **ids)
    return row


def _stitch(adapter, plan, rows, days: int, run_id: str = "r", **kw):
    load_rows(adapter, rows)
    for d in range(days):
        extract_edges(adapter, plan, (START + timedelta(days=d)).date())
    return stitch(adapter, plan, end_time=_end(days), run_id=run_id, **kw)


def _end(days: int) -> datetime:
    """The end of the `days`-th day (its partition)."""
    return START + timedelta(days=days, minutes=-1)


def _clusters(adapter, plan) -> list[set[str]]:
    by_main: dict[str, set[str]] = {}
    for (value, _), main in graph_of(adapter, plan).items():
        by_main.setdefault(main, set()).add(value)
    return sorted(by_main.values(), key=sorted)


def _audit(adapter, plan) -> list[tuple]:
    return adapter.fetch(f"SELECT reason, detail FROM {plan.name}_audit WHERE kind = 'edge' ORDER BY detail")


def test_unique_id_keeps_an_anonymous_id_with_the_user_it_met_first(adapter):
    """anon1 is seen with u1 at 09:00 and with u2 at 10:00: without the rule one profile holds both
    users; with it anon1 stays with u1, and the refused link is audited and explained."""
    rows = [_row(540, a1="anon1", b1="u1"), _row(600, a1="anon1", b1="u2"), _row(700, b1="u2", c1="e2")]
    plain = make_plan()
    _stitch(adapter, plain, rows, 1)
    assert _clusters(adapter, plain) == [{"anon1", "u1", "u2", "e2"}]
    plan = make_plan(UNIQUE_USER, name="ruled")
    _stitch(adapter, plan, rows, 1)
    assert _clusters(adapter, plan) == [{"anon1", "u1"}, {"e2", "u2"}]
    assert _audit(adapter, plan) == [("cluster rule", "unique b: would join b u1 and b u2")]
    why = explain(adapter, plan, "anon1", "u2")
    assert not why.same_cluster and len(why.path) == 1
    edge = why.path[0]
    assert (edge.id1, edge.id2, edge.first_seen_at) == ("anon1", "u2", START + timedelta(minutes=600))
    assert edge.unused_because == "unique b: would join b u1 and b u2"
    assert "not used: unique b" in str(why)
    together = explain(adapter, plan, "e2", "u2")
    assert together.same_cluster and [e.unused_because for e in together.path] == [None]


def test_a_later_day_bringing_the_conflict_matches_a_rebuild(adapter):
    """Day 1 links anon1 to u1 and anon2 to u2; day 2 links anon1 to anon2 (one device id seen on
    both), which would join the users. The incremental day equals a rebuild and the reference."""
    plan = make_plan(UNIQUE_USER)
    day1 = [_row(60, a1="anon1", b1="u1"), _row(70, a1="anon2", b1="u2"), _row(80, a1="anon3", b1="u3")]
    day2 = [_row(1440 + 30, a1="anon1", a2="anon2"), _row(1440 + 40, a1="anon3", c1="e3")]
    assert _stitch(adapter, plan, day1, 1, "d1").mode == "full"
    load_rows(adapter, day1 + day2)
    extract_edges(adapter, plan, _end(2).date())
    result = stitch(adapter, plan, end_time=_end(2), run_id="d2")
    assert result.mode == "incremental" and result.rules_region_ids > 0
    incremental = graph_of(adapter, plan)
    assert incremental == reference_graph(plan, day1 + day2, _end(2))
    assert _clusters(adapter, plan) == [{"anon1", "u1"}, {"anon2", "u2"}, {"anon3", "e3", "u3"}]
    assert stitch(adapter, plan, end_time=_end(2), run_id="re", rebase=True).mode == "full"
    assert graph_of(adapter, plan) == incremental
    # The history holds the day-1 checkpoint as it was and agrees with the head at day 2.
    hist = adapter.fetch(f"SELECT COUNT(DISTINCT main_id) FROM {plan.name}__history WHERE valid_to IS NULL")[0][0]
    assert hist == 3


def test_max_per_cluster_keeps_the_earliest_values(tmp_path):
    plan = make_plan({"c": IdTypeRules("c", cluster_limit=2)})
    rows = [_row(10, a1="anon1", c1="e1"), _row(20, a1="anon1", c1="e2"), _row(30, a1="anon1", c1="e3")]
    with open_test_adapter("duckdb", tmp_path, None) as adapter:
        _stitch(adapter, plan, rows, 1)
        assert _clusters(adapter, plan) == [{"anon1", "e1", "e2"}, {"e3"}]
        detail = _audit(adapter, plan)[0][1]
        assert detail.startswith("max_per_cluster c 2: would put 3 c ids in one profile (e1, e2, e3)")


@pytest.mark.parametrize("first", ["b", "c"])
def test_priority_decides_links_of_one_instant(first, tmp_path):
    """At one instant device anon1 is seen with user u1 and with email e2, which belongs to u2:
    both links cannot hold. The id type with the lower priority number is linked first."""
    rules = {"b": IdTypeRules("b", cluster_limit=1, priority=1 if first == "b" else 2),
             "c": IdTypeRules("c", priority=1 if first == "c" else 2)}
    plan = make_plan(rules)
    rows = [_row(10, b1="u2", c1="e2"), _row(20, a1="anon1", b1="u1"), _row(20, a1="anon1", c1="e2")]
    with open_test_adapter("duckdb", tmp_path, None) as adapter:
        _stitch(adapter, plan, rows, 1)
        assert graph_of(adapter, plan) == reference_graph(plan, rows, _end(1))
        winner = {"b": {"anon1", "u1"}, "c": {"anon1", "e2", "u2"}}[first]
        assert winner in _clusters(adapter, plan)


@given(graph=graphs(days=2))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_rules_that_nothing_breaks_give_plain_components(tmp_path_factory, graph):
    """Limits set at what the plain components already hold: the rules refuse nothing."""
    edges, singles, types = graph
    rows = rows_from_edges(edges, singles, types.__getitem__, START)
    end = _end(2)
    plain = reference_graph(make_plan(), rows, end)
    held: dict[tuple[str, str], int] = {}
    for (_, id_type), main in plain.items():
        held[(main, id_type)] = held.get((main, id_type), 0) + 1
    limits = {t: max([n for (_, tt), n in held.items() if tt == t] or [1]) for t in ("a", "b", "c")}
    plan = make_plan({t: IdTypeRules(t, cluster_limit=k) for t, k in limits.items()})
    with open_test_adapter("duckdb", tmp_path_factory.mktemp("plain"), None) as adapter:
        _stitch(adapter, plan, rows, 2)
        assert graph_of(adapter, plan) == plain
        assert _audit(adapter, plan) == []


@given(graph=graphs(days=2))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_cluster_holds_two_values_of_a_unique_type(tmp_path_factory, graph):
    edges, singles, types = graph
    rows = rows_from_edges(edges, singles, types.__getitem__, START)
    plan = make_plan({"b": IdTypeRules("b", cluster_limit=1), "c": IdTypeRules("c", cluster_limit=2)})
    with open_test_adapter("duckdb", tmp_path_factory.mktemp("unique"), None) as adapter:
        _stitch(adapter, plan, rows, 2)
        over = adapter.fetch(
            f"SELECT user_main_id, other_id_type, COUNT(*) FROM {plan.name} WHERE other_id_type IN ('b', 'c') "
            "GROUP BY 1, 2 HAVING COUNT(*) > CASE other_id_type WHEN 'b' THEN 1 ELSE 2 END")
        assert over == []
