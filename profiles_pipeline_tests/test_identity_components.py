"""Connected components, in SQL and (DuckDB) over arrays: networkx agreement, the same labels
both ways, and O(log n) SQL passes on a 100,000-id chain."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from profiles_pipeline.identity.components import connected_components
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter
from profiles_pipeline.warehouse.testing import ENGINES, open_test_adapter


def _labels(adapter, edges: list[tuple[int, int]], **kw) -> tuple[set[frozenset[int]], int]:
    adapter.execute("CREATE OR REPLACE TABLE g (a BIGINT, b BIGINT)")
    if edges:
        adapter.execute("INSERT INTO g VALUES " + ", ".join(f"({a}, {b})" for a, b in edges))
    result = connected_components(adapter, "SELECT a, b FROM g", "labels", "w", **kw)
    comps: dict[int, set[int]] = {}
    for node, label in adapter.fetch("SELECT node, label FROM labels"):
        comps.setdefault(label, set()).add(node)
        assert label == min(comps[label]) or label <= node
    assert all(label == min(c) for label, c in comps.items()), "label is the smallest node"
    return {frozenset(c) for c in comps.values()}, result.passes


def _expected(edges):
    g = nx.Graph()
    g.add_edges_from((a, b) for a, b in edges if a != b)
    return {frozenset(c) for c in nx.connected_components(g)}


@pytest.mark.parametrize(("engine", "in_sql"), [*((e, True) for e in ENGINES), ("duckdb", False)])
def test_matches_networkx(engine, in_sql, tmp_path, monkeypatch):
    edges_st = st.lists(st.tuples(st.integers(1, 60), st.integers(1, 60)), max_size=120)

    @given(edges=edges_st)
    @settings(max_examples=30 if engine == "duckdb" else 4, deadline=None, suppress_health_check=list(HealthCheck))
    def body(adapter, edges):
        assert _labels(adapter, edges, in_sql=in_sql)[0] == _expected(edges)

    with open_test_adapter(engine, tmp_path, monkeypatch) as adapter:
        body(adapter)


def test_ranks_of_different_passes_never_merge_clusters(tmp_path):
    """With a tiny prime, ranks collide across passes; labels must still keep clusters apart."""
    edges_st = st.lists(st.tuples(st.integers(1, 96), st.integers(1, 96)), max_size=150)

    @given(edges=edges_st, seed=st.integers(0, 1000))
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def body(adapter, edges, seed):
        assert _labels(adapter, edges, prime=97, seed=seed, in_sql=True)[0] == _expected(edges)

    with DuckDBAdapter(tmp_path / "w.duckdb") as adapter:
        body(adapter)


@pytest.mark.parametrize("engine", ENGINES)
def test_shapes(engine, tmp_path, monkeypatch):
    chain = [(i, i + 1) for i in range(1, 200)]
    star = [(1000, i) for i in range(1001, 1100)]
    clique = [(i, j) for i in range(2000, 2012) for j in range(i + 1, 2012)]
    with open_test_adapter(engine, tmp_path, monkeypatch) as adapter:
        comps, _ = _labels(adapter, chain + star + clique)
    assert comps == _expected(chain + star + clique)


def test_chain_of_100k_ids_converges_in_log_passes(tmp_path):
    with DuckDBAdapter(tmp_path / "w.duckdb") as adapter:
        adapter.execute("CREATE TABLE ch AS SELECT i AS a, i + 1 AS b FROM range(1, 100000) t(i)")
        result = connected_components(adapter, "SELECT a, b FROM ch", "labels", "w", in_sql=True)
        assert result.converged and result.nodes == 100_000
        assert result.passes <= 40  # log2(100,000) ≈ 17; diameter-bound propagation would need 100,000
        assert adapter.fetch("SELECT COUNT(DISTINCT label), MIN(label) FROM labels") == [(1, 1)]


def test_no_edges_gives_empty_labels(tmp_path):
    with DuckDBAdapter(tmp_path / "w.duckdb") as adapter:
        assert _labels(adapter, []) == (set(), 0)


def test_arrays_and_sql_give_the_same_table(tmp_path):
    """DuckDB's default (arrays through scipy) writes exactly the rows the SQL passes write."""
    with DuckDBAdapter(tmp_path / "w.duckdb") as adapter:
        adapter.execute("CREATE TABLE g AS SELECT CAST(hash(i) % 50000 AS BIGINT) AS a, "
                        "CAST(hash(i + 7) % 50000 AS BIGINT) AS b FROM range(30000) t(i)")
        by_sql = connected_components(adapter, "SELECT a, b FROM g", "l_sql", "w", in_sql=True)
        by_arrays = connected_components(adapter, "SELECT a, b FROM g", "l_arr", "w")
        assert by_arrays.nodes == by_sql.nodes > 0
        assert adapter.fetch("SELECT count(*) FROM (SELECT * FROM l_sql EXCEPT SELECT * FROM l_arr)") == [(0,)]
        assert adapter.fetch("SELECT count(*) FROM (SELECT * FROM l_arr EXCEPT SELECT * FROM l_sql)") == [(0,)]
        assert adapter.columns("l_arr") == adapter.columns("l_sql")
