"""The embedded default: one DuckDB database file."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from profiles_pipeline.errors import WarehouseError
from profiles_pipeline.warehouse.base import Column, WarehouseAdapter
from profiles_pipeline.warehouse.literals import sql_string


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reads_only(view_sql: str | None, names: set[str]) -> bool:
    """Whether a view's query reads only the relations `names` (no table functions, no files)."""
    try:
        tree = sqlglot.parse_one(view_sql or "", dialect="duckdb")
    except sqlglot.errors.ParseError:
        return False
    if isinstance(tree, exp.Create):
        tree = tree.expression
    if tree is None:
        return False
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            return False  # read_parquet(...) and other table functions
        if table.name.lower() not in names | ctes:
            return False
    return True


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


def readers_path(database: str | Path) -> Path:
    """The copy of the published relations readers open: `<file>.published.duckdb`."""
    path = Path(database)
    return path.with_name(f"{path.stem}.published{path.suffix}")


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
            from profiles_pipeline.errors import UserError

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
            self.execute(f"CREATE OR REPLACE {kind} {self.table_expr(name).sql(self.dialect)} AS SELECT * FROM {view}",
                         read=self.dialect)
        finally:
            self.con.unregister(view)

    def close(self) -> None:
        self.con.close()

    def is_missing_relation(self, error: WarehouseError) -> bool:
        return isinstance(error.__cause__, duckdb.CatalogException)

    def publish_for_readers(self, relations: list[str]) -> str | None:
        """Make a copy of the database file, keep `relations` in it, and rename it over the
        readers' copy: readers open that file read-only, so they neither block this writer nor
        see a run half-way, and one that has the old copy open keeps reading it.

        Why a file copy: after a CHECKPOINT the file is the database, and copying its bytes is
        several times faster than re-writing every published table row by row (measured in
        `bench/e2e.py`: 2.9 s -> 0.6 s at 1M edges), and views stay views instead of becoming
        copies of their tables. What readers do not get is dropped from the copy; its blocks
        stay in the file as free space (disk, not time, is the price)."""
        if self.path == ":memory:":
            return None
        target = readers_path(self.path)
        staging = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
        alias = "_profiles_readers"
        self.con.execute("CHECKPOINT")
        try:
            shutil.copyfile(self.path, staging)
            self.con.execute(f"ATTACH {sql_string(str(staging))} AS {alias}")
            self._keep_only(alias, {name.lower() for name in relations})
            self.con.execute(f"CHECKPOINT {alias}")
            self.con.execute(f"DETACH {alias}")
            os.replace(staging, target)
        except BaseException:
            self.con.execute(f"DETACH DATABASE IF EXISTS {alias}")
            for leftover in (staging, Path(f"{staging}.wal")):
                leftover.unlink(missing_ok=True)
            raise
        Path(f"{staging}.wal").unlink(missing_ok=True)
        return str(target)

    def _keep_only(self, alias: str, keep: set[str]) -> None:
        """In the attached copy `alias`, drop every relation not in `keep`; a kept view that
        reads something dropped (an input, a rows view, a file) becomes a table of its rows."""
        found = self.con.execute(
            f"SELECT lower(view_name), TRUE, sql FROM duckdb_views() WHERE database_name = {sql_string(alias)} "
            "AND schema_name = 'main' AND NOT internal UNION ALL SELECT lower(table_name), FALSE, NULL "
            f"FROM duckdb_tables() WHERE database_name = {sql_string(alias)} AND schema_name = 'main'"
        ).fetchall()
        for name, is_view, sql in found:
            if is_view and name in keep and not _reads_only(sql, keep):
                quoted, scratch = _quote(name), _quote(f"{name}__profiles_copy")
                self.con.execute(f"CREATE TABLE {alias}.{scratch} AS SELECT * FROM main.{quoted}")
                self.con.execute(f"DROP VIEW {alias}.{quoted}")
                self.con.execute(f"ALTER TABLE {alias}.{scratch} RENAME TO {quoted}")
        for name, is_view, _ in sorted(found, key=lambda row: not row[1]):  # views first
            if name not in keep:
                self.con.execute(f"DROP {'VIEW' if is_view else 'TABLE'} {alias}.{_quote(name)}")

    def drop_unfinished_copies(self) -> list[str]:
        if self.path == ":memory:":
            return []
        target = readers_path(self.path)
        found = sorted(target.parent.glob(f".{target.name}.*"))
        for path in found:
            path.unlink(missing_ok=True)
        return [p.name for p in found]

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
            self.execute(f"ALTER TABLE {staging} RENAME TO {self._split_name(name)[2]}")
