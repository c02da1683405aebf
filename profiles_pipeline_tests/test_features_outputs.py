"""Feature views, id-keyed views, feature tables, chained cohorts and the errors users see."""

from __future__ import annotations

import shutil

import pytest
from fixtures.features.shopdata import END, GRAPH, MAIN, PROJECT, load_all

from profiles_pipeline.errors import SqlSnippetError, UserError
from profiles_pipeline.features import plan_features, run_features
from profiles_pipeline.spec.validate import load_project
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    adapter = DuckDBAdapter(tmp_path_factory.mktemp("outputs") / "wh.duckdb")
    _, _, graph = load_all(adapter)
    run_features(adapter, load_project(PROJECT), end_time=END, id_graph_table=GRAPH)
    yield adapter, graph
    adapter.close()


def test_feature_view_has_features_only(wh):
    adapter, graph = wh
    cols = [c.name for c in adapter.columns("user_feature_view")]
    assert cols[0] == MAIN and cols[-1] == "valid_at"
    assert "first_seen" not in cols and "n_events" in cols  # is_feature: false is left out
    assert adapter.fetch_one("SELECT COUNT(*) FROM user_feature_view") == graph[MAIN].nunique()
    assert adapter.fetch_one("SELECT COUNT(DISTINCT valid_at) FROM user_feature_view") == 1


def test_view_keyed_by_email_has_one_row_per_email(wh):
    adapter, graph = wh
    emails = graph[graph.other_id_type == "email"]
    rows = adapter.fetch_df("SELECT * FROM user_by_email")
    assert sorted(rows["email"]) == sorted(emails["other_id"])
    want = adapter.fetch_df(f"SELECT {MAIN}, revenue FROM user_feature_view").set_index(MAIN)["revenue"]
    owner = dict(zip(emails["other_id"], emails[MAIN], strict=True))
    for email, revenue in zip(rows["email"], rows["revenue"], strict=True):
        assert revenue == want[owner[email]]


def test_feature_table_holds_chosen_vars(wh):
    adapter, _ = wh
    assert [c.name for c in adapter.columns("order_profile")] == [MAIN, "revenue", "order_count", "label", "valid_at"]


def test_chained_cohorts(wh):
    adapter, _ = wh
    vt = adapter.fetch_df("SELECT * FROM user_var_table")
    buyers = set(vt[vt.order_count > 0][MAIN])
    big = set(vt[(vt.order_count > 0) & ((vt.revenue > 200) | ((vt.n_events > 20) & vt.any_signup.fillna(False).astype(bool)))][MAIN])
    assert set(adapter.fetch_df("SELECT * FROM buyers")[MAIN]) == buyers
    assert set(adapter.fetch_df("SELECT * FROM big_buyers")[MAIN]) == big
    assert 0 < len(big) < len(buyers) < len(vt)
    by_email = adapter.fetch_df("SELECT email FROM big_buyers_by_email")
    assert len(by_email) == adapter.fetch_one(
        f"SELECT COUNT(*) FROM {GRAPH} WHERE other_id_type = 'email' AND {MAIN} IN (SELECT {MAIN} FROM big_buyers)")


def _copy_project(tmp_path, edit):
    root = tmp_path / "shop"
    shutil.copytree(PROJECT, root)
    path = root / "models" / "profiles.yaml"
    path.write_text(edit(path.read_text()))
    return root


def _plan(root):
    adapter = DuckDBAdapter()
    load_all(adapter)
    return plan_features(load_project(root), adapter, end_time=END, id_graph_table=GRAPH)


def test_cohort_filter_on_var_not_defined_for_parent(tmp_path):
    text = "      - entity_var: {name: buyer_score, select: count(*), from: inputs/orders}\n"
    root = _copy_project(tmp_path, lambda s: s.replace(
        "var_groups:\n", "var_groups:\n  - name: buyer_vars\n    entity_cohort: models/buyers\n    vars:\n" + text
    ).replace("'{{user.Var(\"revenue\")}} > 200'", "'{{user.Var(\"buyer_score\")}} > 2'"))
    _plan(root)  # big_buyers extends buyers, which defines buyer_score: fine
    root2 = _copy_project(tmp_path / "b", lambda s: s.replace(
        "value: '{{user.Var(\"order_count\")}} > 0'", "value: '{{user.Var(\"buyer_score\")}} > 0'").replace(
        "var_groups:\n", "var_groups:\n  - name: buyer_vars\n    entity_cohort: models/buyers\n    vars:\n" + text))
    with pytest.raises(UserError, match=r"cohort buyers filters on var buyer_score, which is not defined for its parent user/all"):
        _plan(root2)


def test_derived_var_cycle_is_named(tmp_path):
    root = _copy_project(tmp_path, lambda s: s.replace(
        "select: \"iff({{user.Var(\\\"revenue\\\")}} > 100, 'big', 'small')\"",
        "select: \"iff({{user.Var(\\\"label2\\\")}} > 100, 'big', 'small')\"\n"
        "      - entity_var:\n          name: label2\n          select: '{{user.Var(\"label\")}}'"))
    with pytest.raises(UserError, match=r"cycle: (label -> label2 -> label|label2 -> label -> label2)"):
        _plan(root)


def test_bad_snippet_names_file_and_line(tmp_path):
    root = _copy_project(tmp_path, lambda s: s.replace("select: avg(amount)", "select: avg(amount))"))
    with pytest.raises(UserError, match=r"models/profiles.yaml:\d+"):
        _plan(root)


def test_snippet_error_from_the_planner_names_file_and_line():
    from profiles_pipeline.errors import Location
    from profiles_pipeline.features.snippets import parse_snippet

    with pytest.raises(SqlSnippetError, match=r"models/profiles.yaml:12"):
        parse_snippet("sum(amount", "snowflake", "duckdb", Location("models/profiles.yaml", 12), "select of x")


def test_non_aggregate_entity_var_is_explained(tmp_path):
    root = _copy_project(tmp_path, lambda s: s.replace("select: avg(amount)", "select: amount"))
    with pytest.raises(UserError, match="not an aggregate"):
        _plan(root)
