"""The one interface the engine uses to talk to a warehouse.

Engine code writes SQL in the canonical dialect (`CANONICAL_DIALECT`, DuckDB's) or as sqlglot
expressions; every statement leaves through `WarehouseAdapter.execute`/`fetch`, which
transpile it to the engine's dialect and wrap failures with the statement that failed.
A new warehouse is one small subclass overriding only what differs (see SQLMesh's
EngineAdapter).
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, final

import sqlglot
from sqlglot import exp

from profiles_pipeline.errors import WarehouseError
from profiles_pipeline.warehouse.keywords import reserved_words

CANONICAL_DIALECT = "duckdb"


@dataclass(frozen=True)
class Column:
    name: str
    type: str


class WarehouseAdapter(abc.ABC):
    """Run statements, fetch small results, replace tables atomically, inspect the catalog.

    Subclasses implement the `_raw_*` hooks and the catalog queries; the rest is shared.
    """

    #: sqlglot dialect name of the engine ("duckdb", "snowflake").
    dialect: ClassVar[str]
    #: Dagster asset kind tag.
    kind: ClassVar[str]
    #: How the engine folds an unquoted identifier ("upper" on Snowflake); quoted table names are
    #: folded the same way so that quoting never changes which table a name means.
    identifier_case: ClassVar[str | None] = None
    #: The engine runs in this process, so moving a table's integer columns to Python and back
    #: costs a memory copy, not a network trip: graph algorithms may then run on arrays
    #: (`identity.components`) instead of as many SQL passes. Such engines implement
    #: `fetch_arrays` and `create_from_arrays`.
    data_in_process: ClassVar[bool] = False
    #: Inputs may be files on this machine (landing zones, CSV/Parquet paths) and new days are
    #: noticed by watching them; otherwise inputs are warehouse tables, watched by their events.
    reads_local_files: ClassVar[bool] = False
    #: Readers read a copy a complete run published (`publish_for_readers`), because one writer
    #: locks the database; otherwise they read the warehouse itself.
    readers_read_a_copy: ClassVar[bool] = False
    #: The engine has `arg_min_null`/`arg_max_null` (first/last values in one pass, no sort).
    arg_min_max: ClassVar[bool] = False
    #: Statements in `transaction()` commit or roll back together (Spark SQL: they run one by one).
    transactions: ClassVar[bool] = True
    #: What `stand_in` plans against, as `profiles compile` says it.
    stand_in_description: ClassVar[str] = ""

    @classmethod
    def from_config(cls, config) -> WarehouseAdapter:
        """The adapter on a siteconfig connection of this engine (the caller closes it)."""
        raise NotImplementedError(f"{cls.__name__} cannot be opened from a connection config")

    @classmethod
    def open_read_only(cls, config) -> WarehouseAdapter:
        """The warehouse opened for reading while a run may be writing it (no writer's lock)."""
        return cls.from_config(config)

    @classmethod
    def open_for_readers(cls, config) -> WarehouseAdapter:
        """The adapter readers use: the warehouse itself, unless `readers_read_a_copy`."""
        return cls.from_config(config)

    @classmethod
    @contextmanager
    def stand_in(cls, input_columns) -> Iterator[WarehouseAdapter]:
        """An adapter of this engine to plan against without a connection (`profiles compile
        --dialect`); `input_columns()` gives {input table: [(column, duckdb type)]}."""
        raise NotImplementedError(f"{cls.__name__} has no stand-in to plan against")
        yield  # pragma: no cover

    # ---- hooks a subclass implements -------------------------------------------------
    @abc.abstractmethod
    def _raw_execute(self, sql: str) -> None: ...

    @abc.abstractmethod
    def _raw_fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def list_tables(self) -> list[str]:
        """Lower-case names of the tables and views in the working schema."""

    @abc.abstractmethod
    def columns(self, name: str) -> list[Column]:
        """Columns of a table or view (lower-case names); empty if it does not exist."""

    @abc.abstractmethod
    def swap_in(self, staging: str, name: str) -> None:
        """Make the table `staging` become `name` atomically (readers see old or new, never
        neither); `staging` is gone afterwards. Public so that engine code which built a work
        table itself can publish it without copying its rows."""

    @abc.abstractmethod
    def relation_kind(self, name: str) -> str | None:
        """'table', 'view' or None if absent. `name` may be qualified (`db.schema.table`)."""

    # ---- capabilities an engine may override ---------------------------------------------
    def is_missing_relation(self, error: WarehouseError) -> bool:
        """Whether `error` says a table or view does not exist (a reader of the readers' copy
        then reads the warehouse itself: inputs are not in the copy)."""
        return False

    def publish_for_readers(self, relations: list[str]) -> str | None:
        """Make `relations`, as they are now, what readers see (DuckDB: a copy readers open
        while the next run writes; engines whose readers never block a writer: nothing to do).
        Returns where readers read, or None."""
        return None

    def fetch_arrays(self, statement: str | exp.Expression, read: str = CANONICAL_DIALECT) -> dict:
        """A result's columns as numpy arrays (lower-case names); only where `data_in_process`."""
        raise NotImplementedError(f"{type(self).__name__} does not hold its data in this process")

    def create_from_arrays(self, name: str, columns: dict, temp: bool = False) -> None:
        """Create (or replace) table `name` from numpy arrays; only where `data_in_process`."""
        raise NotImplementedError(f"{type(self).__name__} does not hold its data in this process")

    def drop_unfinished_copies(self) -> list[str]:
        """Remove what a publish killed half-way left (DuckDB: a staging file beside the copy);
        returns their names."""
        return []

    # ---- shared behaviour -------------------------------------------------------------
    def table_expr(self, name: str) -> exp.Table:
        """`name` (maybe `db.schema.table`) as a table whose parts are quoted, so a name that is
        a keyword (a model called `order`) still works, and folded as the engine folds unquoted ones."""
        parts = exp.to_table(name, dialect=self.dialect)
        fold = str.upper if self.identifier_case == "upper" else (lambda text: text)
        for key in ("this", "db", "catalog"):
            part = parts.args.get(key)
            if isinstance(part, exp.Identifier):
                parts.set(key, exp.to_identifier(fold(part.name), quoted=True))
        return parts

    def quoted(self, name: str) -> str:
        """`name` as this engine's SQL text for it, quoted (`table_expr` rendered): for the few
        statements built as text around a rendered body."""
        return self.table_expr(name).sql(dialect=self.dialect)

    def quote_reserved(self, tree: exp.Expression) -> exp.Expression:
        """`tree` with every unquoted identifier that is a reserved word (a model, column or view
        named `order`, `group`, `union`) quoted, folded as the engine folds unquoted names: user
        names then never break generated SQL, and mean the table they meant unquoted. In place."""
        fold = str.upper if self.identifier_case == "upper" else (lambda text: text)
        reserved = reserved_words()
        for ident in tree.find_all(exp.Identifier):
            if not ident.quoted and ident.name.lower() in reserved:
                ident.set("this", fold(ident.name))
                ident.set("quoted", True)
        return tree

    def to_sql(self, statement: str | exp.Expression, read: str = CANONICAL_DIALECT) -> str:
        """Render canonical SQL (or an expression) in this engine's dialect, reserved words quoted."""
        if isinstance(statement, exp.Expression):
            return self.quote_reserved(statement).sql(dialect=self.dialect)
        if read == self.dialect:
            return statement
        parts = sqlglot.transpile(statement, read=read, write=self.dialect)
        return ";\n".join(parts)

    @final
    def execute(self, statement: str | exp.Expression, read: str = CANONICAL_DIALECT) -> None:
        """Run one statement (transpiled from `read`). Failures raise WarehouseError with the SQL."""
        sql = self.to_sql(statement, read)
        try:
            self._raw_execute(sql)
        except Exception as e:  # noqa: BLE001 - every engine error becomes one type
            raise WarehouseError(f"{type(e).__name__}: {e}", sql=sql) from e

    @final
    def fetch_with_columns(
        self, statement: str | exp.Expression, read: str = CANONICAL_DIALECT
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        sql = self.to_sql(statement, read)
        try:
            cols, rows = self._raw_fetch(sql)
        except Exception as e:  # noqa: BLE001
            raise WarehouseError(f"{type(e).__name__}: {e}", sql=sql) from e
        return [c.lower() for c in cols], rows

    def fetch(self, statement: str | exp.Expression, read: str = CANONICAL_DIALECT) -> list[tuple]:
        """Rows of a small result."""
        return self.fetch_with_columns(statement, read)[1]

    def fetch_one(self, statement: str | exp.Expression, read: str = CANONICAL_DIALECT) -> Any:
        """The single value of a one-row, one-column result."""
        rows = self.fetch(statement, read)
        return rows[0][0] if rows else None

    def fetch_df(self, statement: str | exp.Expression, read: str = CANONICAL_DIALECT):
        """A small result as a pandas DataFrame (lower-case column names)."""
        import pandas as pd

        cols, rows = self.fetch_with_columns(statement, read)
        return pd.DataFrame.from_records(rows, columns=cols)

    def replace_table(
        self, name: str, select: str | exp.Expression, read: str = CANONICAL_DIALECT
    ) -> int:
        """Build `select` into a staging table, then swap it in as `name`. Returns its row count."""
        staging = f"{name}__staging_{uuid.uuid4().hex[:8]}"
        body = self.to_sql(select, read)
        self.execute(f"CREATE TABLE {self.quoted(staging)} AS {body}", read=self.dialect)
        try:
            rows = self.row_count(staging)
            self.swap_in(staging, name)
        except Exception:
            self.execute(f"DROP TABLE IF EXISTS {self.quoted(staging)}", read=self.dialect)
            raise
        return rows

    def write_frame(self, name: str, frame) -> int:
        """Replace table `name` with a pandas DataFrame's rows (scores computed in Python). This
        default inserts VALUES in batches; engines with a bulk path override it."""
        staging = f"{name}__staging_{uuid.uuid4().hex[:8]}"
        columns = [exp.ColumnDef(this=exp.to_identifier(c), kind=exp.DataType.build(_sql_type(frame[c].dtype)))
                   for c in frame.columns]
        self.execute(exp.Create(this=exp.Schema(this=self.table_expr(staging), expressions=columns), kind="TABLE"))
        try:
            records = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
            batch: list[tuple] = []
            for row in records:
                batch.append(row)
                if len(batch) == 5000:
                    self.execute(exp.insert(exp.values(batch), self.table_expr(staging)))
                    batch = []
            if batch:
                self.execute(exp.insert(exp.values(batch), self.table_expr(staging)))
            self.swap_in(staging, name)
        except Exception:
            self.drop(staging)
            raise
        return len(frame)

    def create_view(
        self, name: str, select: str | exp.Expression, read: str = CANONICAL_DIALECT
    ) -> None:
        body = self.to_sql(select, read)
        self.execute(f"CREATE OR REPLACE VIEW {self.quoted(name)} AS {body}", read=self.dialect)

    def drop(self, name: str) -> None:
        """Drop a table or view if it exists (asks the catalog first: a failed DROP would abort
        an open transaction on some engines)."""
        kind = self.relation_kind(name)
        if kind is not None:
            self.execute(f"DROP {kind.upper()} IF EXISTS {self.quoted(name)}", read=self.dialect)

    def table_exists(self, name: str) -> bool:
        """True for an existing table or view; `name` may be qualified."""
        return self.relation_kind(name) is not None

    def row_count(self, name: str) -> int:
        return int(self.fetch_one(f"SELECT COUNT(*) FROM {self.quoted(name)}", read=self.dialect))

    def describe_query(self, select: str | exp.Expression, read: str = CANONICAL_DIALECT) -> list[Column]:
        """Column names and types a query would return, without running it (via a scratch view)."""
        scratch = f"profiles_describe_{uuid.uuid4().hex[:8]}"
        self.create_view(scratch, select, read)
        try:
            return self.columns(scratch)
        finally:
            self.drop(scratch)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit on success, roll back on error. Nested use joins the outer transaction, so
        `replace_table` can run inside a caller's transaction."""
        if getattr(self, "_txn_depth", 0):
            self._txn_depth += 1
            try:
                yield
            finally:
                self._txn_depth -= 1
            return
        self.execute("BEGIN TRANSACTION", read=self.dialect)
        self._txn_depth = 1
        try:
            yield
        except BaseException:
            self._txn_depth = 0
            self.execute("ROLLBACK", read=self.dialect)
            raise
        self._txn_depth = 0
        self.execute("COMMIT", read=self.dialect)

    def _split_name(self, name: str) -> tuple[str | None, str | None, str]:
        """(catalog, schema, table) of a possibly qualified name, quotes removed."""
        table = exp.to_table(name, dialect=self.dialect)
        return table.catalog or None, table.db or None, table.name

    def __enter__(self) -> WarehouseAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sql_type(dtype) -> str:
    """The SQL type a DataFrame column is stored as."""
    kind = getattr(dtype, "kind", "O")
    return {"f": "double", "i": "bigint", "u": "bigint", "b": "boolean", "M": "timestamp"}.get(kind, "varchar")
