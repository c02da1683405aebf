"""Every var kind of the shop project against an independent pandas computation (DuckDB)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from fixtures.features.shopdata import END, GRAPH, MAIN, PROJECT, load_all, reference

from profiles_pipeline.features import plan_features, run_features
from profiles_pipeline.spec.validate import load_project
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    adapter = DuckDBAdapter(tmp_path_factory.mktemp("features") / "wh.duckdb")
    events, orders, graph = load_all(adapter)
    project = load_project(PROJECT)
    result = run_features(adapter, project, end_time=END, id_graph_table=GRAPH)
    got = adapter.fetch_df(f"SELECT * FROM user_var_table ORDER BY {MAIN}").set_index(MAIN)
    yield adapter, project, result, got, reference(events, orders, graph)
    adapter.close()


def _missing(v) -> bool:
    return v is None or (not isinstance(v, list | tuple) and not hasattr(v, "__len__") and pd.isna(v))


def _same(a, b) -> bool:
    """Equal values; NULL equals NULL; floats approximately; lists as sets of values."""
    if isinstance(a, list | tuple) or hasattr(a, "tolist") and not hasattr(a, "item"):
        return not _missing(b) and sorted(list(a)) == sorted(list(b))
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    return a == b


VARS = [
    "n_events", "n_views", "distinct_devices", "total_amount", "max_cart_amount", "avg_amount",
    "first_device", "last_known_device", "top_amount_device", "any_signup", "n_last_7_days",
    "active_days", "devices", "first_seen", "days_since_first", "view_share", "first_two_amount",
    "active_day_rows", "revenue", "order_count", "label", "n_after_first_day",
]


@pytest.mark.parametrize("var", VARS)
def test_var_matches_pandas(built, var):
    _, _, _, got, want = built
    assert list(got.index) == list(want.index)
    diffs = [(k, got.at[k, var], want.at[k, var]) for k in want.index if not _same(want.at[k, var], got.at[k, var])]
    assert not diffs, f"{var}: {len(diffs)} entities differ, e.g. {diffs[:3]}"


def test_reference_is_not_trivial(built):
    """The data exercises nulls, defaults, where-clauses with no matching rows and ghosts."""
    _, _, _, got, want = built
    assert want["max_cart_amount"].isna().any() and want["max_cart_amount"].notna().any()
    assert (want["n_events"] == 0).any() or (want["order_count"] == 0).any()
    assert want["first_device"].isna().any() and want["first_device"].notna().any()
    assert set(want["label"]) == {"big", "small"}
    assert (want["n_after_first_day"] > 0).any() and (want["n_after_first_day"] < want["n_events"]).any()


def test_point_in_time_ignores_later_rows(built, tmp_path):
    """A later end_time sees more events and is kept next to the earlier snapshot, which still
    reproduces exactly when computed again (replacing itself, not adding rows)."""
    adapter, project, _, got, _ = built
    later_end = END.replace(day=14)
    later = run_features(adapter, project, end_time=later_end, id_graph_table=GRAPH,
                         select=["user__*", "user_var_table"])
    assert later.tables["user_var_table"] == len(got)
    more = adapter.fetch_one(f"SELECT SUM(n_events) FROM user_var_table WHERE valid_at = TIMESTAMP '{later_end}'")
    assert more > got["n_events"].sum()
    run_features(adapter, project, end_time=END, id_graph_table=GRAPH, select=["user__*", "user_var_table"])
    assert adapter.fetch("SELECT valid_at, COUNT(*) FROM user_var_table GROUP BY 1 ORDER BY 1") == [
        (END, len(got)), (later_end, len(got))]
    again = adapter.fetch_df(f"SELECT * FROM user_var_table WHERE valid_at = TIMESTAMP '{END}' "
                             f"ORDER BY {MAIN}").set_index(MAIN)
    pd.testing.assert_frame_equal(again.drop(columns=["devices"]), got.drop(columns=["devices"]))


def test_one_pass_per_source_and_fast_first_last(built):
    adapter, project, _, _, _ = built
    plan = plan_features(project, adapter, end_time=END, id_graph_table=GRAPH)
    passes = [s for s in plan.steps if s.kind == "pass"]
    assert sorted(s.name for s in passes) == ["user__daily_events__vars", "user__events__vars", "user__events__vars_1",
                                              "user__orders__vars", "user__vars_below_1"]
    late = plan.step("user__events__vars_1")
    assert "user__vars_below_1" in late.depends_on and "__ev_first_seen" in late.sql
    events_pass = plan.step("user__events__vars")
    assert events_pass.sql.upper().count("GROUP BY") == 1
    assert "ARG_MIN_NULL(device, ts)" in events_pass.sql
    text = plan.describe()
    assert "top_amount_device: window column (order by amount DESC" in text
    assert "n_views: aggregate with FILTER (where) where event_type = 'view'" in text
