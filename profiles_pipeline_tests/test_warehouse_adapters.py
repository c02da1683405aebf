"""The same statements on DuckDB (a file in tmp_path) and on Snowflake (fakesnow)."""

from __future__ import annotations

import pytest

from profiles_pipeline.errors import WarehouseError
from profiles_pipeline.warehouse.base import Column
from profiles_pipeline.warehouse.testing import open_test_adapter
from profiles_pipeline_tests.fixtures.engines import WITH_SPARK

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output")


@pytest.fixture(params=WITH_SPARK)
def adapter(request, tmp_path, monkeypatch):
    with open_test_adapter(request.param, tmp_path, monkeypatch) as a:
        yield a


@pytest.fixture
def events(adapter):
    adapter.execute(
        "CREATE TABLE events AS SELECT * FROM (VALUES "
        "(1, 'a', TIMESTAMP '2024-01-01 10:00:00', 2.5), "
        "(2, 'a', TIMESTAMP '2024-01-02 11:00:00', 1.0), "
        "(3, 'b', TIMESTAMP '2024-01-03 12:00:00', NULL)) AS v(id, user_key, ts, amount)"
    )
    return "events"


def test_execute_and_fetch(adapter, events):
    assert adapter.fetch("SELECT id FROM events ORDER BY id") == [(1,), (2,), (3,)]
    assert adapter.fetch_one("SELECT COUNT(*) FROM events WHERE user_key = 'a'") == 2
    cols, rows = adapter.fetch_with_columns(
        "SELECT user_key AS User_Key, SUM(amount) AS Total FROM events GROUP BY 1 ORDER BY 1"
    )
    assert cols == ["user_key", "total"]
    assert [(k, float(t) if t is not None else None) for k, t in rows] == [("a", 3.5), ("b", None)]


def test_fetch_df_has_lower_case_columns(adapter, events):
    df = adapter.fetch_df("SELECT id AS Event_Id, user_key FROM events ORDER BY id")
    assert list(df.columns) == ["event_id", "user_key"]
    assert df["event_id"].tolist() == [1, 2, 3]


def test_canonical_sql_is_transpiled(adapter, events):
    rows = adapter.fetch(
        "SELECT user_key, date_diff('day', MIN(ts), MAX(ts)) AS span, "
        "COUNT(*) FILTER (WHERE amount IS NOT NULL) AS with_amount, "
        "ROW_NUMBER() OVER (ORDER BY user_key) AS rn "
        "FROM events GROUP BY user_key ORDER BY user_key"
    )
    assert rows == [("a", 1, 2, 1), ("b", 0, 0, 2)]


def test_statement_failure_carries_sql(adapter):
    with pytest.raises(WarehouseError) as info:
        adapter.fetch("SELECT * FROM no_such_table")
    assert "no_such_table" in info.value.sql.lower()


def test_replace_table_builds_and_replaces(adapter, events):
    assert (
        adapter.replace_table("totals", "SELECT user_key, COUNT(*) AS n FROM events GROUP BY 1")
        == 2
    )
    assert adapter.replace_table("totals", "SELECT 'z' AS user_key, 7 AS n") == 1
    assert adapter.fetch("SELECT user_key, n FROM totals") == [("z", 7)]
    assert adapter.list_tables() == ["events", "totals"]  # no staging table left behind


def test_replace_table_keeps_old_table_when_build_fails(adapter, events):
    adapter.replace_table("totals", "SELECT user_key, COUNT(*) AS n FROM events GROUP BY 1")
    with pytest.raises(WarehouseError):
        adapter.replace_table("totals", "SELECT user_key, missing_column FROM events")
    assert adapter.fetch("SELECT user_key, n FROM totals ORDER BY 1") == [("a", 2), ("b", 1)]
    assert adapter.list_tables() == ["events", "totals"]


def test_replace_table_inside_a_transaction_and_over_a_view(adapter, events):
    adapter.create_view("latest", "SELECT MAX(ts) AS ts FROM events")
    with adapter.transaction():
        adapter.replace_table("latest", "SELECT 1 AS one")
        adapter.replace_table("other", "SELECT 2 AS two")
    assert adapter.relation_kind("latest") == "table"
    assert adapter.fetch("SELECT one FROM latest") == [(1,)]
    assert adapter.fetch("SELECT two FROM other") == [(2,)]


def test_replace_table_with_qualified_name(adapter, events):
    qualified = ("main.totals" if adapter.kind == "duckdb" else "profiles_db.profiles.totals"
                 if adapter.kind == "snowflake" else f"{adapter.schema}.totals")
    adapter.replace_table(qualified, "SELECT 1 AS n")
    adapter.replace_table(qualified, "SELECT 2 AS n")
    assert adapter.fetch("SELECT n FROM totals") == [(2,)]


def test_names_that_are_reserved_words_work_everywhere(adapter, events):
    """A model called `order`, a view `group`: the shared statements quote them (folded as the
    engine folds unquoted names), and so does every expression at the exit point."""
    from sqlglot import exp

    assert adapter.replace_table("order", "SELECT user_key, COUNT(*) AS n FROM events GROUP BY 1") == 2
    assert adapter.replace_table("order", exp.select("user_key", exp.column("n").as_("select")).from_("order")) == 2
    adapter.create_view("group", exp.select(exp.column("select")).from_(exp.to_table("order")))
    assert adapter.row_count("group") == 2
    assert sorted(adapter.fetch(exp.select(exp.column("select")).from_(exp.to_table("group")))) == [(1,), (2,)]
    assert sorted(adapter.list_tables()) == ["events", "group", "order"]
    adapter.drop("group")
    adapter.drop("order")
    assert adapter.list_tables() == ["events"]


def test_views_drop_and_catalog(adapter, events):
    adapter.create_view("a_events", "SELECT id, ts FROM events WHERE user_key = 'a'")
    assert adapter.list_tables() == ["a_events", "events"]
    assert adapter.relation_kind("a_events") == "view"
    assert adapter.relation_kind("EVENTS") == "table"
    assert adapter.relation_kind("nothing") is None
    assert adapter.row_count("a_events") == 2
    assert [c.name for c in adapter.columns("a_events")] == ["id", "ts"]
    adapter.drop("a_events")
    adapter.drop("a_events")  # absent: no error
    adapter.drop("events")
    assert adapter.list_tables() == []
    assert not adapter.table_exists("events")


def test_columns_are_lower_case_in_order(adapter, events):
    cols = adapter.columns("Events")
    assert [c.name for c in cols] == ["id", "user_key", "ts", "amount"]
    assert all(isinstance(c, Column) and c.type for c in cols)
    assert "TIMESTAMP" in cols[2].type.upper()
    assert adapter.columns("missing") == []


def test_qualified_names_in_the_catalog(adapter, events):
    if adapter.kind == "duckdb":
        present, absent = (
            ["main.events", "warehouse.main.events"],
            ["other.events", "x.main.events"],
        )
    elif adapter.kind == "snowflake":
        present = ["profiles.events", "profiles_db.profiles.events", "PROFILES_DB.PROFILES.EVENTS"]
        absent = ["other.events", "no_db.profiles.events"]
    else:
        # a local Spark has one catalog: `any.schema.table` is `schema.table` (as Databricks names are)
        present = [f"{adapter.schema}.events", f"spark_catalog.{adapter.schema}.events", f"{adapter.schema}.EVENTS",
                   f"main.{adapter.schema}.events"]
        absent = ["other.events", "main.other.events"]
    assert all(adapter.table_exists(n) for n in present)
    assert not any(adapter.table_exists(n) for n in absent)
    assert [c.name for c in adapter.columns(present[-1])][:2] == ["id", "user_key"]


def test_transaction_rolls_back_on_error(adapter, events):
    with pytest.raises(RuntimeError):
        with adapter.transaction():
            adapter.execute(
                "INSERT INTO events VALUES (4, 'c', TIMESTAMP '2024-01-04 00:00:00', 9.0)"
            )
            assert adapter.row_count("events") == 4
            raise RuntimeError("boom")
    # Spark SQL has no transactions: what ran stays (the adapter says so by its flag)
    assert adapter.row_count("events") == (3 if adapter.transactions else 4)
    if not adapter.transactions:
        adapter.execute("DELETE FROM events WHERE id = 4")
    with adapter.transaction():
        adapter.execute("DELETE FROM events WHERE id = 3")
    assert adapter.row_count("events") == 2


def test_repr_names_the_engine(adapter):
    assert adapter.kind in repr(adapter).lower()


def test_duckdb_readers_copy_keeps_views_and_only_what_readers_get(tmp_path) -> None:
    """The readers' copy is the file as of now, with only the published relations: views stay
    views over the copy's own tables, a view over something dropped (here a CSV file and an
    unpublished table) becomes a table of its rows, and later writes do not reach the copy."""
    import duckdb

    from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

    (tmp_path / "in.csv").write_text("x\n1\n2\n")
    adapter = DuckDBAdapter(tmp_path / "w.duckdb")
    adapter.execute("CREATE TABLE nodes AS SELECT * FROM range(5) AS t(n)", read="duckdb")
    adapter.execute("CREATE TABLE scratch AS SELECT 1 AS s", read="duckdb")
    adapter.execute('CREATE VIEW "order" AS WITH c AS (SELECT n FROM nodes) SELECT n FROM c WHERE n > 1',
                    read="duckdb")
    adapter.execute(f"CREATE VIEW from_file AS SELECT * FROM read_csv_auto('{tmp_path / 'in.csv'}')", read="duckdb")
    adapter.execute("CREATE VIEW over_scratch AS SELECT s FROM scratch", read="duckdb")
    path = adapter.publish_for_readers(["nodes", "order", "from_file", "over_scratch"])
    adapter.execute("INSERT INTO nodes VALUES (99)", read="duckdb")
    (tmp_path / "in.csv").unlink()
    readers = duckdb.connect(path, read_only=True)
    kinds = dict(readers.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
    assert kinds == {"nodes": "BASE TABLE", "order": "VIEW", "from_file": "BASE TABLE", "over_scratch": "BASE TABLE"}
    assert readers.execute('SELECT count(*) FROM "order"').fetchone() == (3,)
    assert readers.execute("SELECT max(n) FROM nodes").fetchone() == (4,)
    assert readers.execute("SELECT sum(x) FROM from_file").fetchone() == (3,)
    assert readers.execute("SELECT s FROM over_scratch").fetchall() == [(1,)]
    readers.close()
    adapter.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w.published.duckdb"]
