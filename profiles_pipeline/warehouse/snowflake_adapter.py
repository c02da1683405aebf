"""Snowflake, the scale-out engine, through dagster-snowflake's `SnowflakeResource` connection.

Tested against the `fakesnow` emulator, which runs Snowflake SQL on DuckDB but lacks
`ALTER TABLE ... SWAP WITH`; see `swap_in` for how the atomic replace handles both.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlglot import exp

from profiles_pipeline.errors import UserError, WarehouseError
from profiles_pipeline.warehouse.base import Column, WarehouseAdapter
from profiles_pipeline.warehouse.connection_config import SnowflakeConnectionConfig
from profiles_pipeline.warehouse.literals import sql_string


def _is_emulator(connection: Any) -> bool:
    return type(connection).__module__.split(".")[0] == "fakesnow"


#: The stand-in's password variable (fakesnow checks nothing, the config needs one).
STANDIN_PASSWORD_ENV = "PROFILES_STANDIN_SNOWFLAKE_PASSWORD"


def _create_empty(adapter, table: str, cols: list[tuple[str, str]]) -> None:
    parts = exp.to_table(table, dialect="snowflake")
    if parts.catalog:
        adapter.execute(f"CREATE DATABASE IF NOT EXISTS {parts.catalog}", read="snowflake")
    if parts.db:
        prefix = f"{parts.catalog}." if parts.catalog else ""
        adapter.execute(f"CREATE SCHEMA IF NOT EXISTS {prefix}{parts.db}", read="snowflake")
    body = ", ".join(f'"{n.upper()}" {exp.DataType.build(t, dialect="duckdb").sql("snowflake")}' for n, t in cols)
    adapter.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})", read="snowflake")


class SnowflakeAdapter(WarehouseAdapter):
    dialect = "snowflake"
    kind = "snowflake"
    identifier_case = "upper"
    stand_in_description = "fakesnow (Snowflake emulator) with empty copies of the input tables"

    def __init__(
        self,
        connection: Any,
        *,
        supports_swap: bool | None = None,
        on_close: Callable[[], None] | None = None,
        label: str = "snowflake",
    ):
        """Wrap an open Snowflake DB-API connection.

        `supports_swap`: use `ALTER TABLE ... SWAP WITH` (default: yes unless the connection
        is fakesnow's). `on_close` releases whatever opened the connection.
        """
        self.con = connection
        self.supports_swap = (
            (not _is_emulator(connection)) if supports_swap is None else supports_swap
        )
        self._on_close = on_close or connection.close
        self._label = label

    @classmethod
    @contextmanager
    def stand_in(cls, input_columns) -> Iterator[SnowflakeAdapter]:
        """fakesnow (Snowflake SQL on DuckDB) holding empty copies of the input tables, named as
        the YAML names them: the planner then emits real Snowflake SQL without an account."""
        try:
            import fakesnow
        except ImportError:
            raise UserError("compiling for Snowflake without a Snowflake connection needs the fakesnow "
                            "package (pip install fakesnow), or a Snowflake connection in siteconfig.yaml") from None
        columns = input_columns()
        os.environ.setdefault(STANDIN_PASSWORD_ENV, "not-a-secret")
        config = SnowflakeConnectionConfig(account="standin", user="profiles", database="profiles_db",
                                           schema="profiles", password_env=STANDIN_PASSWORD_ENV)
        with fakesnow.patch(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # fakesnow's note on Arrow copies
            adapter = cls.from_config(config)
            try:
                for table, cols in columns.items():
                    _create_empty(adapter, table, cols)
                yield adapter
            finally:
                adapter.close()

    @classmethod
    def from_config(cls, config: SnowflakeConnectionConfig) -> SnowflakeAdapter:
        """Connect through `SnowflakeResource.get_connection()`; secrets come from the environment."""
        from profiles_pipeline.warehouse.resources import snowflake_resource

        secrets = config.resolve_secrets()  # UserError naming a missing variable, before connecting
        stack = ExitStack()
        try:
            resource = snowflake_resource(config).process_config_and_initialize()
            connection = stack.enter_context(resource.get_connection())
        except Exception as e:  # noqa: BLE001 - connector errors vary; never echo a secret
            stack.close()
            message = f"{type(e).__name__}: {e}"
            for value in secrets.values():
                message = message.replace(value, "***")
            raise WarehouseError(
                f"could not connect to Snowflake account {config.account} as {config.user}: {message}"
            ) from None
        return cls(
            connection,
            on_close=stack.close,
            label=f"{config.account}/{config.database}.{config.schema_}",
        )

    def __repr__(self) -> str:
        return f"SnowflakeAdapter({self._label!r}, supports_swap={self.supports_swap})"

    def _raw_execute(self, sql: str) -> None:
        cur = self.con.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def _raw_fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.cursor()
        try:
            cur.execute(sql)
            cols = [d[0] for d in (cur.description or [])]
            return cols, [tuple(r) for r in cur.fetchall()]
        finally:
            cur.close()

    def close(self) -> None:
        self._on_close()

    # ---- catalog: information_schema, compared upper-case, returned lower-case ------------
    def _catalog(self, name: str) -> tuple[str, str, str]:
        """(information_schema prefix, schema filter, table filter) for a possibly qualified name."""
        catalog, schema, table = self._split_name(name)
        prefix = f"{catalog}.information_schema" if catalog else "information_schema"
        sch = sql_string(schema.upper()) if schema else "current_schema()"
        return prefix, sch, sql_string(table.upper())

    def list_tables(self) -> list[str]:
        # fakesnow lists views only in information_schema.views; Snowflake lists them in both.
        rows = self.fetch(
            "SELECT lower(table_name) FROM information_schema.tables "
            "WHERE table_schema = current_schema() UNION "
            "SELECT lower(table_name) FROM information_schema.views "
            "WHERE table_schema = current_schema()",
            read=self.dialect,
        )
        return sorted(r[0] for r in rows)

    def relation_kind(self, name: str) -> str | None:
        prefix, sch, tbl = self._catalog(name)
        catalog = self._split_name(name)[0]
        if catalog and not self.fetch(
            "SELECT 1 FROM information_schema.databases "
            f"WHERE upper(database_name) = {sql_string(catalog.upper())}",
            read=self.dialect,
        ):
            return None
        where = f"WHERE upper(table_name) = {tbl} AND upper(table_schema) = upper({sch})"
        if self.fetch(f"SELECT 1 FROM {prefix}.views {where}", read=self.dialect):
            return "view"
        if self.fetch(f"SELECT 1 FROM {prefix}.tables {where}", read=self.dialect):
            return "table"
        return None

    def columns(self, name: str) -> list[Column]:
        if self.relation_kind(name) is None:
            return []
        prefix, sch, tbl = self._catalog(name)
        rows = self.fetch(
            f"SELECT lower(column_name), data_type FROM {prefix}.columns "
            f"WHERE upper(table_name) = {tbl} AND upper(table_schema) = upper({sch}) "
            "ORDER BY ordinal_position",
            read=self.dialect,
        )
        return [Column(n, t) for n, t in rows]

    def swap_in(self, staging: str, name: str) -> None:
        """Make `staging` become `name` so readers never see it missing.

        Real Snowflake: DDL commits implicitly, so a DROP + RENAME "transaction" would leave a
        moment with no table; `ALTER TABLE name SWAP WITH staging` is one atomic metadata
        operation, after which the old rows (now under the staging name) are dropped.
        fakesnow (DuckDB underneath) has no SWAP WITH but does have transactional DDL, so the
        emulator path drops and renames inside one transaction; that is cheaper than
        `CREATE OR REPLACE TABLE name AS SELECT * FROM staging`, which would copy every row.
        Replacing a view by a table is a drop + rename on both paths (rare; not atomic on
        Snowflake).
        """
        short = self.table_expr(name).this.sql(dialect=self.dialect)
        kind = self.relation_kind(name)
        if self.supports_swap and kind == "table":
            self.execute(f"ALTER TABLE {self.quoted(name)} SWAP WITH {self.quoted(staging)}", read=self.dialect)
            self.execute(f"DROP TABLE {self.quoted(staging)}", read=self.dialect)
            return
        target = self.quoted(name) if self.supports_swap else short
        with self.transaction():
            if kind is not None:
                self.execute(f"DROP {kind.upper()} {self.quoted(name)}", read=self.dialect)
            self.execute(f"ALTER TABLE {self.quoted(staging)} RENAME TO {target}", read=self.dialect)
