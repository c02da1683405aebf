"""Adapters to plan against: the project's own warehouse, or a stand-in for another engine.

Planning reads the warehouse (does an input's table exist? which columns does it have?), so
compiling for Snowflake without a Snowflake connection plans against fakesnow (Snowflake SQL on
DuckDB) holding empty copies of the input tables, named as the YAML names them and with the
columns the local inputs have. The planner then emits real Snowflake SQL (its own choices per
engine included), not a transpiled DuckDB plan."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlglot import exp

from profiles_pipeline.errors import UserError

ENGINES = ("duckdb", "snowflake")
STANDIN_PASSWORD_ENV = "PROFILES_STANDIN_SNOWFLAKE_PASSWORD"


@contextmanager
def planning_adapter(loaded, dialect: str | None) -> Iterator[tuple[object, str]]:
    """(adapter, how it was obtained) for planning in `dialect` (default: the connection's)."""
    from profiles_pipeline.cli.reading import planning_reader

    own = loaded.connection.config.type
    dialect = dialect or own
    if dialect not in ENGINES:
        raise UserError(f"--dialect {dialect!r} is not supported; use one of {', '.join(ENGINES)}")
    if dialect == own:
        with planning_reader(loaded) as (adapter, _):
            yield adapter, f"the project's {own} warehouse"
        return
    if dialect == "duckdb":
        from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

        adapter = DuckDBAdapter(":memory:")
        try:
            yield adapter, "an in-memory DuckDB reading the landing zone"
        finally:
            adapter.close()
        return
    with _fake_snowflake(loaded) as adapter:
        yield adapter, "fakesnow (Snowflake emulator) with empty copies of the input tables"


@contextmanager
def _fake_snowflake(loaded) -> Iterator[object]:
    import os
    import warnings

    try:
        import fakesnow
    except ImportError:
        raise UserError("compiling for Snowflake without a Snowflake connection needs the fakesnow "
                        "package (pip install fakesnow), or a Snowflake connection in siteconfig.yaml") from None
    from profiles_pipeline.cli.reading import planning_reader
    from profiles_pipeline.warehouse.connection_config import SnowflakeConnectionConfig
    from profiles_pipeline.warehouse.snowflake_adapter import SnowflakeAdapter

    with planning_reader(loaded) as (local, _):
        columns = _input_columns(loaded, local)
    os.environ.setdefault(STANDIN_PASSWORD_ENV, "not-a-secret")
    config = SnowflakeConnectionConfig(account="standin", user="profiles", database="profiles_db",
                                       schema="profiles", password_env=STANDIN_PASSWORD_ENV)
    with fakesnow.patch(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fakesnow's note on Arrow copies
        adapter = SnowflakeAdapter.from_config(config)
        try:
            for table, cols in columns.items():
                _create_empty(adapter, table, cols)
            yield adapter
        finally:
            adapter.close()


def _input_columns(loaded, local) -> dict[str, list[tuple[str, str]]]:
    """{input table name as written: [(column, duckdb type)]} from the local inputs."""
    from profiles_pipeline.features.relations import input_relation_sql

    out: dict[str, list[tuple[str, str]]] = {}
    for inp in loaded.project.inputs:
        name = inp.app_defaults.table or inp.app_defaults.view
        if not name:
            raise UserError(f"{inp.location}: input {inp.name} reads files ({inp.source}); Snowflake "
                            "reads tables only: give it app_defaults.table to compile for Snowflake")
        rel = input_relation_sql(local, loaded.project, inp).sql(dialect=local.dialect)
        out[name] = [(c.name, c.type) for c in local.describe_query(f"SELECT * FROM {rel} AS _i")]
    return out


def _create_empty(adapter, table: str, cols: list[tuple[str, str]]) -> None:
    parts = exp.to_table(table, dialect="snowflake")
    if parts.catalog:
        adapter.execute(f"CREATE DATABASE IF NOT EXISTS {parts.catalog}", read="snowflake")
    if parts.db:
        prefix = f"{parts.catalog}." if parts.catalog else ""
        adapter.execute(f"CREATE SCHEMA IF NOT EXISTS {prefix}{parts.db}", read="snowflake")
    body = ", ".join(f'"{n.upper()}" {exp.DataType.build(t, dialect="duckdb").sql("snowflake")}' for n, t in cols)
    adapter.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})", read="snowflake")
