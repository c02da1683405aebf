"""Snowflake SQL in a project runs on DuckDB (transpiled) and on Snowflake (fakesnow) alike."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from fixtures.features.shopdata import END, GRAPH, MAIN, PROJECT, load_all

from profiles_pipeline.errors import Location
from profiles_pipeline.features import run_features
from profiles_pipeline.features.snippets import parse_snippet, pin_now
from profiles_pipeline.spec.validate import load_project
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter
from profiles_pipeline.warehouse.testing import open_test_adapter

ROWS = (
    "SELECT * FROM (VALUES (1, TIMESTAMP '2024-01-01 10:00:00', 'a', 5), "
    "(1, TIMESTAMP '2024-01-03 09:00:00', NULL, 7), (1, TIMESTAMP '2024-01-02 23:00:00', 'c', NULL)) "
    "AS t(k, ts, s, n)"
)
NOW = datetime(2024, 1, 10, 8, 0, 0)

# (Snowflake snippet, value on the three rows above with "now" = NOW)
SNIPPETS = [
    ("max(datediff(day, ts, GETDATE()))", 9),
    ("min(datediff(day, ts, current_timestamp()))", 7),
    ("count(distinct date(ts))", 3),
    ("sum(iff(n > 5, 1, 0))", 1),
    ("boolor_agg(n > 6)", True),
    ("booland_agg(n > 6)", False),
    ("array_size(array_agg(s))", 2),
    ("count_if(s is null)", 1),
    ("max(to_date(ts))", datetime(2024, 1, 3).date()),
    ("sum(nvl(n, 100))", 112),
    ("max(dateadd(day, 1, ts))", datetime(2024, 1, 4, 9)),
    ("listagg(s, ',') within group (order by s)", "a,c"),
]


@pytest.mark.parametrize(("snippet", "want"), SNIPPETS)
def test_snowflake_snippet_runs_on_duckdb(snippet, want):
    tree = pin_now(parse_snippet(snippet, "snowflake", "duckdb", Location("t.yaml", 1), "select"), NOW)
    adapter = DuckDBAdapter()
    got = adapter.fetch_one(f"SELECT {tree.sql(dialect='duckdb')} FROM ({ROWS}) AS t")
    assert got == want


def test_first_value_over_window_in_snowflake_syntax():
    tree = parse_snippet("first_value(s) over (partition by k order by ts desc)", "snowflake", "duckdb",
                         Location("t.yaml", 1), "select")
    adapter = DuckDBAdapter()
    assert adapter.fetch(f"SELECT DISTINCT {tree.sql(dialect='duckdb')} FROM ({ROWS}) AS t") == [(None,)]


def _var_table(adapter) -> pd.DataFrame:
    load_all(adapter, people=16, n_events=240, n_orders=60)
    run_features(adapter, load_project(PROJECT), end_time=END, id_graph_table=GRAPH)
    df = adapter.fetch_df(f"SELECT * FROM user_var_table ORDER BY {MAIN}")
    df["devices"] = df["devices"].map(lambda v: sorted(v) if v is not None and not isinstance(v, str) else v)
    return df


@pytest.mark.slow
def test_shop_project_on_fakesnow_matches_duckdb(tmp_path, monkeypatch):
    with open_test_adapter("duckdb", tmp_path, monkeypatch) as duck:
        want = _var_table(duck)
    with open_test_adapter("snowflake", tmp_path, monkeypatch) as snow:
        got = _var_table(snow)
        assert snow.fetch_one("SELECT COUNT(*) FROM big_buyers_by_email") > 0
    assert list(got.columns) == list(want.columns)
    for col in want.columns:
        if col == "devices":
            continue
        a, b = got[col], want[col]
        if pd.api.types.is_float_dtype(b):
            pd.testing.assert_series_equal(a.astype(float), b, check_names=False, rtol=1e-9)
        else:
            assert [None if pd.isna(x) else x for x in a] == [None if pd.isna(x) else x for x in b], col
