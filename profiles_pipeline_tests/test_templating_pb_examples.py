"""Realistic pb snippets rendered end to end, transpiled from Snowflake SQL and run in DuckDB."""

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import sqlglot
from ruamel.yaml import YAML

from profiles_pipeline.templating import Macro, TemplateContext, find_references, render

FIXTURES = Path(__file__).parent / "fixtures" / "templating"


def load(name: str) -> dict:
    return YAML(typ="safe").load((FIXTURES / name).read_text())


def macros() -> dict[str, Macro]:
    return {
        m["name"]: Macro(m["name"], m.get("inputs", []), m["value"])
        for m in load("macros.yaml")["macros"]
    }


@pytest.fixture()
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute(
        """
        create table order_completed as select * from (values
          ('u1', 10.0, timestamp '2024-01-30 10:00:00'),
          ('u1', 5.0,  timestamp '2023-11-01 10:00:00'),
          ('u2', 7.5,  timestamp '2024-01-15 09:00:00'),
          ('u2', 1.0,  timestamp '2024-02-15 09:00:00')
        ) t(user_id, revenue, timestamp);
        create table identifies as select * from (values
          ('u1', 'a@x.com'), ('u2', 'b@x.com')) t(user_id, email);
        """
    )
    return con


def context(end_time: datetime | None) -> TemplateContext:
    relations = {"inputs/rsOrderCompleted": "order_completed", "inputs/rsIdentifies": "identifies"}
    return TemplateContext(
        end_time=end_time,
        warehouse_type="snowflake",
        entities=["user"],
        inputs=["rsOrderCompleted", "rsIdentifies"],
        macros=macros(),
        deref=relations.__getitem__,
    )


def run_snowflake_sql(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    duck = sqlglot.transpile(sql, read="snowflake", write="duckdb")[0]
    return con.execute(duck + " order by 1").fetchall()


def test_single_sql_model_runs_in_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    single_sql = load("sql_model.yaml")["models"][0]["model_spec"]["single_sql"]
    sql = render(single_sql, context(datetime(2024, 1, 31)), where="models/sql_model.yaml")
    assert "from order_completed o" in sql and "2024-01-31 00:00:00" in sql
    rows = run_snowflake_sql(con, sql)
    # u1: the 2024-01-30 order is within 30 days; u2: 2024-01-15 is, 2024-02-15 is after end_time.
    assert rows == [("u1", 1, 10.0, "a@x.com"), ("u2", 1, 7.5, "b@x.com")]


def test_macro_from_pb_docs_agrees_with_a_hand_written_query(
    con: duckdb.DuckDBPyConnection,
) -> None:
    ctx = context(datetime(2024, 1, 31))
    ctx.var_resolver = lambda entity, var: {"first_seen": "timestamp"}[var]
    text = "select user_id, {{ macro_datediff('{{ user.Var(\"first_seen\") }}') }} from order_completed"
    select = render(text, ctx)
    got = run_snowflake_sql(con, select)
    want = con.execute(
        "select user_id, date_diff('day', timestamp::date, date '2024-01-31') "
        "from order_completed order by 1"
    ).fetchall()
    assert sorted(got) == sorted(want)


def test_macro_without_end_time_takes_the_getdate_branch() -> None:
    sql = render("{{ macro_datediff(ts) }}", context(None))
    assert "GETDATE()" in sql and "2006" not in sql


def test_listagg_and_no_input_macro() -> None:
    sql = render("{{ macro_listagg(email, timestamp) }} over ({{ frame_clause }})", context(None))
    assert " ".join(sql.split()) == (
        "LISTAGG(email, ',') WITHIN group (order by timestamp ASC) over "
        "(rows between unbounded preceding and unbounded following)"
    )


def test_references_of_the_single_sql_model() -> None:
    single_sql = load("sql_model.yaml")["models"][0]["model_spec"]["single_sql"]
    refs = find_references(single_sql, context(datetime(2024, 1, 31)))
    assert refs.derefs == {"inputs/rsOrderCompleted", "inputs/rsIdentifies"}
    assert refs.macros == {"macro_datediff_n", "macro_datediff"}
    assert refs.uses_end_time
