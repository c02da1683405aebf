"""The embedded default: one DuckDB database file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from profiles_pipeline.warehouse.base import Column, WarehouseAdapter


class DuckDBAdapter(WarehouseAdapter):
    dialect = "duckdb"
    kind = "duckdb"

    def __init__(self, path: str | Path = ":memory:", connection: duckdb.DuckDBPyConnection | None = None):
        self.path = str(path)
        if connection is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = duckdb.connect(self.path)
        self.con = connection

    def _raw_execute(self, sql: str) -> None:
        self.con.execute(sql)

    def _raw_fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.execute(sql)
        cols = [d[0] for d in (cur.description or [])]
        return cols, cur.fetchall()

    def fetch_df(self, statement, read="duckdb"):
        """DuckDB hands back a DataFrame directly (no row-by-row Python)."""
        sql = self.to_sql(statement, read)
        df = self.con.execute(sql).df()
        df.columns = [c.lower() for c in df.columns]
        return df

    def close(self) -> None:
        self.con.close()

    def list_tables(self) -> list[str]:
        rows = self.fetch(
            "SELECT lower(table_name) FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_catalog = current_database()"
        )
        return sorted(r[0] for r in rows)

    def columns(self, name: str) -> list[Column]:
        rows = self.fetch(
            "SELECT lower(column_name), data_type FROM information_schema.columns "
            f"WHERE lower(table_name) = '{name.lower()}' AND table_schema = current_schema() "
            "AND table_catalog = current_database() ORDER BY ordinal_position"
        )
        return [Column(n, t) for n, t in rows]

    def _swap_in(self, staging: str, name: str) -> None:
        # DuckDB DDL is transactional: drop + rename commit together.
        self.execute("BEGIN TRANSACTION")
        try:
            if self.table_exists(name):
                kind = self.fetch_one(
                    "SELECT table_type FROM information_schema.tables WHERE lower(table_name) = "
                    f"'{name.lower()}' AND table_schema = current_schema()"
                )
                self.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {name}")
            self.execute(f"ALTER TABLE {staging} RENAME TO {name}")
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")
