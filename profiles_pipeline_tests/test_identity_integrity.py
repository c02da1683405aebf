"""One main id per identifier, checked on the identifiers a run wrote (identity/integrity.py)."""

from __future__ import annotations

from profiles_pipeline.identity.integrity import several_main_ids
from profiles_pipeline.identity.tables import NODES_COLUMNS, StitcherTables, ensure_table
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter


def _store(adapter, rows: list[tuple[str, str, str, str]]) -> StitcherTables:
    t = StitcherTables("g")
    ensure_table(adapter, t.nodes, NODES_COLUMNS)
    for i, (value, id_type, main_id, run_id) in enumerate(rows):
        adapter.execute(f"INSERT INTO g__nodes VALUES ({i}, '{value}', '{id_type}', TIMESTAMP '2026-01-01', "
                        f"0, FALSE, {i}, '{main_id}', '{run_id}')")
    return t


def test_a_run_that_wrote_a_second_row_for_an_identifier_is_caught(tmp_path) -> None:
    earlier = [(f"id{i}", "email", f"m{i}", "r1") for i in range(10)]
    with DuckDBAdapter(tmp_path / "w.duckdb") as adapter:
        t = _store(adapter, [*earlier, ("id3", "email", "m9", "r2"), ("new", "phone", "m2", "r2")])
        # a day's worth: the run's 2 identifiers, matched against the whole store
        assert several_main_ids(adapter, t, "r2") == (1, 2)
        # most of the store (a rebuild): one grouping of all 12 rows
        assert several_main_ids(adapter, t, "r1") == (1, 12)
        assert several_main_ids(adapter, t, "r3") == (0, 0)  # wrote nothing: nothing new to check


def test_the_same_identifier_under_two_types_is_two_identifiers(tmp_path) -> None:
    with DuckDBAdapter(tmp_path / "w.duckdb") as adapter:
        t = _store(adapter, [("x", "email", "m1", "r1"), ("x", "user_id", "m2", "r1")])
        assert several_main_ids(adapter, t, "r1") == (0, 2)
