"""Adapters to plan against: the project's own warehouse, or a stand-in for another engine.

Planning reads the warehouse (does an input's table exist? which columns does it have?), so
compiling for Snowflake without a Snowflake connection plans against fakesnow (Snowflake SQL on
DuckDB) holding empty copies of the input tables, named as the YAML names them and with the
columns the local inputs have. The planner then emits real Snowflake SQL (its own choices per
engine included), not a transpiled DuckDB plan."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from profiles_pipeline.errors import UserError


@contextmanager
def planning_adapter(loaded, dialect: str | None) -> Iterator[tuple[object, str]]:
    """(adapter, how it was obtained) for planning in `dialect` (default: the connection's)."""
    from profiles_pipeline.cli.reading import planning_reader
    from profiles_pipeline.warehouse.registry import adapter_class, engines

    own = loaded.connection.config.type
    dialect = dialect or own
    if dialect not in engines():
        raise UserError(f"--dialect {dialect!r} is not supported; use one of {', '.join(engines())}")
    if dialect == own:
        with planning_reader(loaded) as (adapter, _):
            yield adapter, f"the project's {own} warehouse"
        return

    def input_columns() -> dict[str, list[tuple[str, str]]]:
        with planning_reader(loaded) as (local, _):
            return _input_columns(loaded, local, dialect)

    with adapter_class(dialect).stand_in(input_columns) as adapter:
        yield adapter, adapter_class(dialect).stand_in_description


def _input_columns(loaded, local, dialect: str) -> dict[str, list[tuple[str, str]]]:
    """{input table name as written: [(column, duckdb type)]} from the local inputs."""
    from profiles_pipeline.features.relations import input_relation_sql

    out: dict[str, list[tuple[str, str]]] = {}
    for inp in loaded.project.inputs:
        name = inp.app_defaults.table or inp.app_defaults.view
        if not name:
            raise UserError(f"{inp.location}: input {inp.name} reads files ({inp.source}); {dialect} "
                            f"reads tables only: give it app_defaults.table to compile for {dialect}")
        rel = local.to_sql(input_relation_sql(local, loaded.project, inp))
        out[name] = [(c.name, c.type) for c in local.describe_query(f"SELECT * FROM {rel} AS _i")]
    return out
