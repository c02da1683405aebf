"""The embedded default: one DuckDB database file."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from profiles_pipeline.errors import WarehouseError
from profiles_pipeline.warehouse.base import Column, WarehouseAdapter


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def readers_path(database: str | Path) -> Path:
    """The copy of the published relations readers open: `<file>.published.duckdb`."""
    path = Path(database)
    return path.with_name(f"{path.stem}.published{path.suffix}")


class DuckDBAdapter(WarehouseAdapter):
    dialect = "duckdb"
    kind = "duckdb"

    def __init__(
        self, path: str | Path = ":memory:", connection: duckdb.DuckDBPyConnection | None = None
    ):
        self.path = str(path)
        if connection is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = duckdb.connect(self.path)
        # Engine SQL never relies on row order without ORDER BY; dropping the guarantee lets
        # DuckDB write big CREATE TABLE AS results in parallel (measured in bench/stitch.py).
        connection.execute("SET preserve_insertion_order = false")
        # Landing zones are many small parquet files read by several steps: keep their footers.
        connection.execute("SET parquet_metadata_cache = true")
        self.con = connection

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

    def close(self) -> None:
        self.con.close()

    def is_missing_relation(self, error: WarehouseError) -> bool:
        return isinstance(error.__cause__, duckdb.CatalogException)

    def publish_for_readers(self, relations: list[str]) -> str | None:
        """Copy `relations` (views as tables) into a new file, then rename it over the readers'
        copy: readers open that file read-only, so they neither block this writer nor see a run
        half-way, and one that has the old copy open keeps reading it."""
        if self.path == ":memory:":
            return None
        target = readers_path(self.path)
        staging = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}")
        alias = "_profiles_readers"
        self.execute(f"ATTACH {_lit(str(staging))} AS {alias}", read=self.dialect)
        try:
            for name in relations:
                quoted = '"' + name.replace('"', '""') + '"'
                self.execute(f"CREATE TABLE {alias}.{quoted} AS SELECT * FROM main.{quoted}", read=self.dialect)
            self.execute(f"CHECKPOINT {alias}", read=self.dialect)
            self.execute(f"DETACH {alias}", read=self.dialect)
            os.replace(staging, target)
        except BaseException:
            self.con.execute(f"DETACH DATABASE IF EXISTS {alias}")
            for leftover in (staging, Path(f"{staging}.wal")):
                leftover.unlink(missing_ok=True)
            raise
        Path(f"{staging}.wal").unlink(missing_ok=True)
        return str(target)

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
        cat = _lit(catalog.lower()) if catalog else "lower(current_database())"
        sch = _lit(schema.lower()) if schema else "lower(current_schema())"
        return (
            f"lower(table_name) = {_lit(table.lower())} AND lower(table_schema) = {sch} "
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
