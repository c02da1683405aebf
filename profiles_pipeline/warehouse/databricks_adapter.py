"""Databricks / Spark SQL: a Databricks SQL warehouse, or a local Spark for tests and laptops.

Statements are rendered in Spark SQL. A Databricks warehouse keeps Delta tables, which run
DELETE, UPDATE and CREATE OR REPLACE TABLE as written. A local Spark (`pyspark`, no Delta) keeps
parquet tables, which do not: `LocalSparkAdapter` rewrites those statements into a rebuild of the
table under a staging name and a rename (`_rewrites`). Neither has transactions: a statement
group that is one transaction elsewhere runs statement by statement here (a failure part-way is
repaired by the next run, as after a kill).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp

from profiles_pipeline.errors import UserError, WarehouseError
from profiles_pipeline.warehouse.base import Column, WarehouseAdapter
from profiles_pipeline.warehouse.literals import sql_string


class DatabricksAdapter(WarehouseAdapter):
    dialect = "databricks"
    kind = "databricks"
    stand_in_description = "a local Spark session"
    transactions = False
    #: Tables that cannot DELETE/UPDATE/REPLACE in place (parquet): such statements are rebuilds.
    rebuilds_to_change: ClassVar[bool] = False

    def __init__(self, run: Callable[[str], tuple[list[str], list[tuple]]], on_close: Callable[[], None],
                 label: str, schema: str | None = None):
        self._run = run
        self._on_close = on_close
        self._label = label
        self._schema = schema

    @classmethod
    def from_config(cls, config) -> DatabricksAdapter:
        """A Databricks SQL warehouse (`host`, `http_path`, token from `token_env`), or with
        `spark:` a local Spark session (`LocalSparkAdapter`)."""
        if config.spark:
            return LocalSparkAdapter.start(config.spark, config.warehouse_dir, config.schema_)
        try:
            from databricks import sql as databricks_sql
        except ImportError:
            raise UserError("connection type databricks needs the databricks-sql-connector package: "
                            "pip install databricks-sql-connector") from None
        token = config.resolve_token()
        con = databricks_sql.connect(server_hostname=config.host, http_path=config.http_path, access_token=token,
                                     catalog=config.catalog, schema=config.schema_)

        def run(sql: str) -> tuple[list[str], list[tuple]]:
            with con.cursor() as cur:
                cur.execute(sql)
                if cur.description is None:
                    return [], []
                return [d[0] for d in cur.description], [tuple(r) for r in cur.fetchall()]

        return cls(run, con.close, f"{config.host}/{config.catalog}.{config.schema_}", config.schema_)

    @classmethod
    @contextmanager
    def stand_in(cls, input_columns) -> Iterator[DatabricksAdapter]:
        """A local Spark session in a scratch folder, with the inputs as empty tables."""
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            adapter = LocalSparkAdapter.start("local[1]", folder, "profiles")
            try:
                for table, cols in input_columns().items():
                    if (schema := adapter._split_name(table)[1]) is not None:
                        adapter.execute(exp.Create(this=exp.to_identifier(schema, quoted=True), kind="SCHEMA",
                                                   exists=True))
                    schema = exp.Schema(this=adapter.table_expr(table), expressions=[
                        exp.ColumnDef(this=exp.to_identifier(c), kind=exp.DataType.build(t)) for c, t in cols])
                    adapter.execute(exp.Create(this=schema, kind="TABLE", exists=True))
                yield adapter
            finally:
                adapter.close()

    def __repr__(self) -> str:
        return f"DatabricksAdapter({self._label!r})"

    @property
    def schema(self) -> str | None:
        """The schema the outputs are built in."""
        return self._schema

    def _raw_execute(self, sql: str) -> None:
        self._run(sql)

    def _raw_fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        return self._run(sql)

    def close(self) -> None:
        self._on_close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """No transactions in Spark SQL: the statements run one by one."""
        yield

    # ---- catalog ------------------------------------------------------------------------
    def _in(self, catalog: str | None, schema: str | None) -> str:
        """` IN catalog.schema` for the catalog commands (the working schema by default)."""
        target = schema or self._schema
        if not target:
            return ""
        parts = [p for p in (catalog if schema else None, target) if p]
        return " IN " + ".".join(exp.to_identifier(p, quoted=True).sql(self.dialect) for p in parts)

    def list_tables(self) -> list[str]:
        rows = self.fetch(f"SHOW TABLES{self._in(None, None)}", read=self.dialect)
        return sorted({str(r[1]).lower() for r in rows if not r[2]})

    def relation_kind(self, name: str) -> str | None:
        catalog, schema, table = self._split_name(name)
        where = self._in(self._catalog_of(catalog), schema)
        like = sql_string(table.lower())
        try:
            if not self.fetch(f"SHOW TABLES{where} LIKE {like}", read=self.dialect):
                return None
        except WarehouseError:  # no such schema or catalog
            return None
        views = self.fetch(f"SHOW VIEWS{where} LIKE {like}", read=self.dialect)
        return "view" if views else "table"

    def _catalog_of(self, catalog: str | None) -> str | None:
        return catalog

    def columns(self, name: str) -> list[Column]:
        if self.relation_kind(name) is None:
            return []
        catalog, schema, table = self._split_name(name)
        parts = [p for p in (self._catalog_of(catalog), schema, table) if p]
        out = []
        for col, kind, *_ in self.fetch(f"DESCRIBE TABLE {self.quoted('.'.join(parts))}", read=self.dialect):
            if not col or str(col).startswith("#"):
                break
            out.append(Column(str(col).lower(), str(kind)))
        return out

    def swap_in(self, staging: str, name: str) -> None:
        """Drop `name`, rename `staging` to it: not atomic (a reader between the two sees no table)."""
        self.drop(name)
        short = self.table_expr(name).this.sql(dialect=self.dialect)
        self.execute(f"ALTER TABLE {self.quoted(staging)} RENAME TO {short}", read=self.dialect)


class LocalSparkAdapter(DatabricksAdapter):
    """A Spark session in this process (`pyspark`, `local[N]`): parquet tables in a warehouse
    folder, so changes in place are rebuilds (see the module docstring)."""

    dialect = "spark"
    rebuilds_to_change = True

    @classmethod
    def start(cls, master: str, warehouse_dir: str | None, schema: str | None) -> LocalSparkAdapter:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise UserError("a local Spark (connection type databricks with spark:) needs pyspark and Java: "
                            "pip install pyspark") from None
        builder = (SparkSession.builder.master(master).appName("profiles_pipeline")
                   .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
                   .config("spark.sql.shuffle.partitions", "4").config("spark.sql.ansi.enabled", "false"))
        if warehouse_dir:
            # tables outlive the process: a Hive metastore (embedded Derby) in the warehouse folder
            folder = str(warehouse_dir)
            builder = (builder.config("spark.sql.warehouse.dir", f"{folder}/tables")
                       .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                               f"jdbc:derby:;databaseName={folder}/metastore_db;create=true")
                       .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder}")
                       .enableHiveSupport())
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        if schema:
            session.sql(f"CREATE SCHEMA IF NOT EXISTS `{schema}`")
            session.sql(f"USE `{schema}`")

        def run(sql: str) -> tuple[list[str], list[tuple]]:
            frame = session.sql(sql)
            return list(frame.columns), [tuple(r) for r in frame.collect()]

        return cls(run, lambda: None, f"spark {master} {warehouse_dir or ''}", schema)

    def _catalog_of(self, catalog: str | None) -> str | None:
        """One catalog here: `catalog.schema.table` is `schema.table` (see `_spark_tree`)."""
        return None

    def _raw_execute(self, sql: str) -> None:
        for statement in sqlglot.parse(sql, read=self.dialect):
            if statement is not None:
                for text in self._rewrites(statement):
                    self._run(text)

    def _raw_fetch(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        if sql.lstrip()[:8].upper().startswith(("SHOW", "DESCRIBE")):  # catalog commands run as written
            return self._run(sql)
        trees = [t for t in sqlglot.parse(sql, read=self.dialect) if t is not None]
        if len(trees) != 1:
            return self._run(sql)
        return self._run(_spark_tree(trees[0]).sql(dialect=self.dialect))

    def _rewrites(self, tree: exp.Expression) -> list[str]:
        """The statements that do what `tree` does on parquet tables."""
        tree = _spark_tree(tree)
        if isinstance(tree, exp.Transaction | exp.Commit | exp.Rollback):
            return []
        # a scratch table (the engine's TEMP TABLE, which transpiles to a lazy TEMPORARY VIEW) is
        # a table here, built now: what it reads may be gone when it is read
        scratch = isinstance(tree, exp.Create) and tree.kind == "VIEW" and _is_temporary(tree)
        if isinstance(tree, exp.Create) and (tree.kind == "TABLE" or scratch) and isinstance(tree.expression, exp.Query):
            if tree.args.get("replace") or _is_temporary(tree):
                return self._rebuilt(tree.this, tree.expression)
        if isinstance(tree, exp.Create) and tree.kind == "TABLE" and (tree.args.get("replace") or _is_temporary(tree)):
            tree = tree.copy()
            tree.set("properties", None)
            out = []
            if tree.args.get("replace"):
                tree.set("replace", False)
                target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
                out.append(exp.Drop(tables=[target.copy()], kind="TABLE", exists=True).sql(dialect=self.dialect))
            return [*out, tree.sql(dialect=self.dialect)]
        if isinstance(tree, exp.Delete):
            return self._rebuilt(tree.this, _kept_rows(tree))
        if isinstance(tree, exp.Update):
            return self._rebuilt(tree.this, self._updated_rows(tree))
        return [tree.sql(dialect=self.dialect)]

    def _rebuilt(self, table: exp.Table, rows: exp.Query) -> list[str]:
        """Build `rows` under a staging name, then put it in `table`'s place."""
        name = table.copy()
        name.set("alias", None)
        staging = exp.to_identifier(f"{name.name}__rw_{uuid.uuid4().hex[:8]}", quoted=True)
        target = exp.Table(this=staging, db=name.args.get("db"))
        create = exp.Create(this=target, kind="TABLE", expression=rows)
        drop = exp.Drop(tables=[name.copy()], kind="TABLE", exists=True)
        return [create.sql(dialect=self.dialect), drop.sql(dialect=self.dialect),
                f"ALTER TABLE {target.sql(dialect=self.dialect)} RENAME TO {name.this.sql(dialect=self.dialect)}"]

    def _updated_rows(self, tree: exp.Update) -> exp.Query:
        """The table's rows with the SET applied where the WHERE holds (a FROM joins its rows by
        the WHERE; at most one of them may match a row, as UPDATE ... FROM requires)."""
        table = tree.this
        alias = table.alias_or_name
        changed = {e.this.name.lower(): e.expression for e in tree.expressions}
        where = tree.args.get("where")
        condition = where.this if where else exp.true()
        source = tree.args.get("from")
        columns = [c.name for c in self.columns(exp.Table(this=table.this, db=table.args.get("db")).sql(self.dialect))]
        if source is None:
            picks = [exp.If(this=condition.copy(), true=changed[c].copy(), false=exp.column(c, alias)).as_(c)
                     if c in changed else exp.column(c, alias) for c in columns]
            return exp.select(*picks).from_(table.copy())
        # UPDATE t SET c = e FROM s WHERE cond: LEFT JOIN s ON cond, marked by a flag column
        joined = source.this.copy()
        flagged = exp.select(exp.Star(), exp.true().as_("__matched")).from_(joined)
        sub = flagged.subquery("__src")
        on = condition.copy().transform(lambda n: _requalify(n, joined.alias_or_name, "__src"))
        picks = [exp.If(this=exp.column("__matched", "__src").is_(exp.true()), true=changed[c].copy().transform(
            lambda n: _requalify(n, joined.alias_or_name, "__src")), false=exp.column(c, alias)).as_(c)
                 if c in changed else exp.column(c, alias) for c in columns]
        return exp.select(*picks).from_(table.copy()).join(sub, on=on, join_type="left")


#: POSIX bracket classes (DuckDB's RE2 and Snowflake read them) as Java regex writes them.
POSIX_CLASSES = {"[:cntrl:]": r"\p{Cntrl}", "[:alpha:]": r"\p{Alpha}", "[:digit:]": r"\p{Digit}",
                 "[:alnum:]": r"\p{Alnum}", "[:upper:]": r"\p{Upper}", "[:lower:]": r"\p{Lower}",
                 "[:punct:]": r"\p{Punct}", "[:space:]": r"\s", "[:xdigit:]": r"\p{XDigit}"}


def _spark_tree(tree: exp.Expression) -> exp.Expression:
    """What a local Spark asks of a statement that other engines do not: it has one catalog, so
    a three-part name (`catalog.schema.table`, as Databricks writes it) means `schema.table`; a
    numbering window (ROW_NUMBER, RANK) is ordered (by a constant where any order does); a regex
    says its POSIX classes the Java way (`[[:cntrl:]]` is a set of letters to Java)."""
    for table in tree.find_all(exp.Table):
        if table.args.get("catalog") is not None and table.catalog.lower() != "spark_catalog":
            table.set("catalog", None)
    for window in tree.find_all(exp.Window):
        if isinstance(window.this, exp.RowNumber | exp.Rank | exp.DenseRank) and not window.args.get("order"):
            window.set("order", exp.Order(expressions=[exp.Ordered(this=exp.Literal.number(1))]))
    for diff in list(tree.find_all(exp.DateDiff)):
        if (counted := _boundaries(diff)) is not None:
            diff.replace(counted)
    for match in tree.find_all(exp.RegexpLike, exp.RegexpExtract, exp.RegexpReplace):
        pattern = match.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string and "[:" in pattern.this:
            text = pattern.this
            for posix, java in POSIX_CLASSES.items():
                text = text.replace(posix, java)
            match.set("expression", exp.Literal.string(text))
    return tree


def _boundaries(diff: exp.DateDiff) -> exp.Expression | None:
    """`date_diff(unit, a, b)` as DuckDB and Snowflake count it, the unit boundaries between a and
    b; Spark's three-argument DATEDIFF counts whole units elapsed instead (a day minus a second is 0)."""
    unit = (diff.text("unit") or "DAY").upper().rstrip("S")
    end, start = diff.this.copy(), diff.expression.copy()
    if unit == "DAY":
        return exp.Anonymous(this="DATEDIFF", expressions=[exp.cast(end, "DATE"), exp.cast(start, "DATE")])
    if unit in ("MONTH", "YEAR"):
        def months(x: exp.Expression) -> exp.Expression:
            years = exp.Year(this=exp.cast(x, "DATE"))
            return years if unit == "YEAR" else exp.Paren(this=exp.Add(
                this=exp.Mul(this=years, expression=exp.Literal.number(12)),
                expression=exp.Month(this=exp.cast(x.copy(), "DATE"))))
        return exp.Paren(this=exp.Sub(this=months(end), expression=months(start)))
    if unit in SECONDS_PER:
        # the parser reads DATEDIFF's arguments as dates (TO_DATE): the times are what counts here
        end, start = (x.this if isinstance(x, exp.TsOrDsToDate) else x for x in (end, start))

        def ticks(x: exp.Expression) -> exp.Expression:
            seconds = exp.Anonymous(this="UNIX_SECONDS", expressions=[exp.cast(x, "TIMESTAMP")])
            per = SECONDS_PER[unit]
            return seconds if per == 1 else exp.Floor(this=exp.Div(this=seconds, expression=exp.Literal.number(per)))
        return exp.cast(exp.Paren(this=exp.Sub(this=ticks(end), expression=ticks(start))), "BIGINT")
    return None


SECONDS_PER = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600}


def _requalify(node: exp.Expression, old: str, new: str) -> exp.Expression:
    if isinstance(node, exp.Column) and node.table == old:
        node = node.copy()
        node.set("table", exp.to_identifier(new))
    return node


def _is_temporary(tree: exp.Create) -> bool:
    props = tree.args.get("properties")
    return bool(props and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions))


def _kept_rows(tree: exp.Delete) -> exp.Query:
    """The rows a DELETE keeps: those its WHERE does not hold for (with USING: no row of the
    USING relation makes it hold)."""
    table = tree.this
    where = tree.args.get("where")
    condition = where.this if where else exp.true()
    using = tree.args.get("using")
    if using:
        found = exp.select(exp.Literal.number(1)).from_(using[0].copy()).where(condition.copy())
        for extra in using[1:]:
            found = found.join(extra.copy())
        return exp.select(exp.Star()).from_(table.copy()).where(exp.Exists(this=found).not_())
    return exp.select(exp.Star()).from_(table.copy()).where(exp.func("COALESCE", condition.copy(), exp.false()).not_())
