"""The embedded default: one DuckDB database file."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from profiles_pipeline.errors import UserError, WarehouseError
from profiles_pipeline.warehouse import duckdb_readers
from profiles_pipeline.warehouse.base import Column, WarehouseAdapter
from profiles_pipeline.warehouse.duckdb_readers import readers_path
from profiles_pipeline.warehouse.literals import sql_string


def default_memory_limit() -> str:
    """A tenth of the machine's memory, at least 1 GiB. DuckDB's own default (80%) lets a run take
    most of a laptop for buffers it could drop or spill instead: the 6M-edge `bench/e2e.py` run
    peaked at 5.6 GiB with it, 3.0 GiB with 2.5 GB in the same time, 1.9 GiB with 1.2 GB and 5%
    slower. A siteconfig's `memory_limit:` overrides it."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: DuckDB's own default
        return "80%"
    return f"{max(1 << 30, ram // 10) >> 20}MiB"


class DuckDBAdapter(WarehouseAdapter):
    dialect = "duckdb"
    kind = "duckdb"
    data_in_process = True
    reads_local_files = True
    readers_read_a_copy = True
    arg_min_max = True
    stand_in_description = "an in-memory DuckDB reading the landing zone"

    def __init__(
        self, path: str | Path = ":memory:", connection: duckdb.DuckDBPyConnection | None = None,
        memory_limit: str | None = None,
    ):
        self.path = str(path)
        if connection is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = duckdb.connect(self.path)
        # Engine SQL never relies on row order without ORDER BY; dropping the guarantee lets
        # DuckDB write big CREATE TABLE AS results in parallel (measured in bench/stitch.py).
        connection.execute("SET preserve_insertion_order = false")
        connection.execute(f"SET memory_limit = {sql_string(memory_limit or default_memory_limit())}")
        # Landing zones are many small parquet files read by several steps: keep their footers.
        connection.execute("SET parquet_metadata_cache = true")
        self.con = connection

    @classmethod
    def from_config(cls, config) -> DuckDBAdapter:
        """The adapter for a siteconfig's DuckDB connection (`DuckDBConnectionConfig`)."""
        return cls(config.path, memory_limit=config.memory_limit)

    @classmethod
    def open_read_only(cls, config) -> DuckDBAdapter:
        """The file read-only; an empty in-memory database while it does not exist yet."""
        path = Path(config.path)
        return cls.read_only(path, config.memory_limit) if path.exists() else cls(":memory:")

    @classmethod
    def open_for_readers(cls, config) -> DuckDBAdapter:
        """The copy the last complete run published, read-only (readers never wait for a run)."""
        path = readers_path(config.path)
        if not path.exists():
            raise UserError(f"nothing is published yet in {config.path}")
        return cls.read_only(path, config.memory_limit)

    @classmethod
    @contextmanager
    def stand_in(cls, input_columns) -> Iterator[DuckDBAdapter]:
        """An in-memory DuckDB: it reads the landing zone's files itself."""
        adapter = cls(":memory:")
        try:
            yield adapter
        finally:
            adapter.close()

    @classmethod
    def read_only(cls, path: str | Path, memory_limit: str | None = None) -> DuckDBAdapter:
        """`path` opened read-only (readers never take the writer's file lock)."""
        try:
            return cls(path, connection=duckdb.connect(str(path), read_only=True), memory_limit=memory_limit)
        except duckdb.Error as e:
            raise WarehouseError(f"cannot open {path} for reading: {e}") from None

    def __repr__(self) -> str:
        return f"DuckDBAdapter(path={self.path!r})"

    def _raw_execute(self, sql: str) -> None:
        self.con.execute(sql)

    def _raw_fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.execute(sql)
        cols = [d[0] for d in (cur.description or [])]
        return cols, cur.fetchall()

    def fetch_df(self, statement, read="duckdb"):
        """DuckDB hands back a DataFrame directly (no row-by-row Python)."""
        sql = self.to_sql(statement, read)
        try:
            df = self.con.execute(sql).df()
        except duckdb.Error as e:
            raise WarehouseError(f"{type(e).__name__}: {e}", sql=sql) from e
        df.columns = [c.lower() for c in df.columns]
        return df

    def write_frame(self, name: str, frame) -> int:
        """In process: DuckDB reads the DataFrame itself (no row-by-row SQL)."""
        view = f"profiles_frame_{uuid.uuid4().hex[:8]}"
        self.con.register(view, frame)
        try:
            return self.replace_table(name, exp.select("*").from_(view))
        finally:
            self.con.unregister(view)

    def fetch_arrays(self, statement, read="duckdb") -> dict:
        sql = self.to_sql(statement, read)
        try:
            arrays = self.con.sql(sql).fetchnumpy()
        except duckdb.Error as e:
            raise WarehouseError(f"{type(e).__name__}: {e}", sql=sql) from e
        return {name.lower(): values for name, values in arrays.items()}

    def create_from_arrays(self, name: str, columns: dict, temp: bool = False) -> None:
        import pyarrow as pa

        view = f"profiles_arrays_{uuid.uuid4().hex[:8]}"
        self.con.register(view, pa.table(columns))
        try:
            kind = "TEMP TABLE" if temp else "TABLE"
            self.execute(f"CREATE OR REPLACE {kind} {self.quoted(name)} AS SELECT * FROM {view}",
                         read=self.dialect)
        finally:
            self.con.unregister(view)

    def close(self) -> None:
        self.con.close()

    def is_missing_relation(self, error: WarehouseError) -> bool:
        return isinstance(error.__cause__, duckdb.CatalogException)

    def publish_for_readers(self, relations: list[str]) -> str | None:
        """A copy of the file with only `relations`, renamed over the readers' copy
        (`duckdb_readers.publish`)."""
        return None if self.path == ":memory:" else duckdb_readers.publish(self.con, self.path, relations)

    def drop_unfinished_copies(self) -> list[str]:
        return [] if self.path == ":memory:" else duckdb_readers.drop_unfinished(self.path)

    def describe_query(self, select, read: str = "duckdb") -> list[Column]:
        """DuckDB describes a query in one statement (no scratch view)."""
        sql = self.to_sql(select, read)
        try:
            rows = self.con.execute(f"DESCRIBE {sql}").fetchall()
        except duckdb.Error as e:
            raise WarehouseError(f"{type(e).__name__}: {e}", sql=sql) from e
        return [Column(r[0].lower(), r[1]) for r in rows]

    def _where(self, name: str) -> str:
        """information_schema filter for a name; two parts mean schema.table."""
        catalog, schema, table = self._split_name(name)
        cat = sql_string(catalog.lower()) if catalog else "lower(current_database())"
        sch = sql_string(schema.lower()) if schema else "lower(current_schema())"
        return (
            f"lower(table_name) = {sql_string(table.lower())} AND lower(table_schema) = {sch} "
            f"AND lower(table_catalog) = {cat}"
        )

    def list_tables(self) -> list[str]:
        rows = self.fetch(
            "SELECT lower(table_name) FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_catalog = current_database()"
        )
        return sorted(r[0] for r in rows)

    def relation_kind(self, name: str) -> str | None:
        kind = self.fetch_one(
            f"SELECT table_type FROM information_schema.tables WHERE {self._where(name)}"
        )
        if kind is None:
            return None
        return "view" if kind == "VIEW" else "table"

    def columns(self, name: str) -> list[Column]:
        rows = self.fetch(
            "SELECT lower(column_name), data_type FROM information_schema.columns "
            f"WHERE {self._where(name)} ORDER BY ordinal_position"
        )
        return [Column(n, t) for n, t in rows]

    def swap_in(self, staging: str, name: str) -> None:
        # DuckDB DDL is transactional: drop + rename commit together, and readers of the
        # file see either the old table or the new one. RENAME takes an unqualified name
        # and keeps the table's schema, which is `name`'s (staging is built next to it).
        with self.transaction():
            self.drop(name)
            short = self.table_expr(name).this.sql(dialect=self.dialect)
            self.execute(f"ALTER TABLE {self.quoted(staging)} RENAME TO {short}")
