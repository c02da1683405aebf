"""`profiles query`: resolve `{{this.DeRef("...")}}` in a SQL text and run it with a row cap.

DeRef targets: `inputs/x` → the input's relation (table, or files on DuckDB); `models/x` → the
model's table (id stitcher, cohort, feature table, materialized sql_template), or for an
ephemeral sql_template its query as a subquery. The SQL is the engine's dialect (DuckDB
locally). A statement the warehouse rejects is the user's to fix: a UserError (exit 2) with the
warehouse's message."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from profiles_pipeline.errors import UserError, WarehouseError


class UnknownRelationError(UserError):
    """The query names a table or view the warehouse (or the readers' copy) does not hold."""


#: A query that reads an input by DeRef reads the warehouse itself (the readers' copy has no inputs).
READS_AN_INPUT = re.compile(r"""DeRef\(\s*["']inputs/""")


@dataclass
class QueryResult:
    sql: str
    columns: list[str]
    rows: list[tuple]
    truncated: bool


def _relation(loaded, adapter, path: str) -> str:
    from profiles_pipeline.features.relations import input_relation_sql
    from profiles_pipeline.spec import Input, SqlTemplateModel

    project = loaded.project
    target = project.resolve(path)
    if target is None:
        known = [f"inputs/{i.name}" for i in project.inputs] + [m.path for m in project.models]
        raise UserError(f'this.DeRef("{path}") names nothing in this project; known: {", ".join(known)}')
    if isinstance(target, Input):
        return adapter.to_sql(input_relation_sql(adapter, project, target))
    if isinstance(target, SqlTemplateModel):
        mat = target.model_spec.materialization
        if not (mat and mat.output_type in ("view", "table")):
            return f"({_ephemeral_sql(loaded, adapter, target.name)}) AS {adapter.quoted(target.name)}"
    return adapter.quoted(target.name)


def _ephemeral_sql(loaded, adapter, name: str) -> str:
    from profiles_pipeline.features import default_end_time
    from profiles_pipeline.features.render import SnippetRenderer
    from profiles_pipeline.features.resolve_models import resolve_sql_models

    renderer = SnippetRenderer(loaded.project, default_end_time(), adapter.dialect)
    return adapter.to_sql(resolve_sql_models(loaded.project, adapter, renderer)[name].query)


def resolve_refs(loaded, adapter, text: str) -> str:
    """The SQL with every template expression rendered (DeRef resolved, end_time available)."""
    from profiles_pipeline.features import default_end_time
    from profiles_pipeline.templating import TemplateContext, render

    ctx = TemplateContext(end_time=default_end_time(), warehouse_type=adapter.dialect,
                          entities=[e.name for e in loaded.project.entities],
                          inputs=loaded.project.row_source_names(),
                          deref=lambda path: _relation(loaded, adapter, path.strip()))
    return render(text, ctx, where="the query")


def _capped(sql: str, dialect: str, max_rows: int) -> str:
    """A SELECT gets LIMIT max_rows + 1 (to tell whether it was cut); other statements run as given."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except SqlglotError:
        return sql  # let the warehouse word the syntax error
    if isinstance(tree, exp.Query):
        return exp.select("*").from_(tree.subquery("q")).limit(max_rows + 1).sql(dialect=dialect)
    return sql


def run_query(loaded, adapter, text: str, max_rows: int) -> QueryResult:
    if max_rows < 1:
        raise UserError(f"--max-rows must be at least 1 (got {max_rows})")
    sql = resolve_refs(loaded, adapter, text).strip().rstrip(";")
    if not sql:
        raise UserError("the query is empty")
    try:
        cols, rows = adapter.fetch_with_columns(_capped(sql, adapter.dialect, max_rows), read=adapter.dialect)
    except WarehouseError as e:
        error = UnknownRelationError if adapter.is_missing_relation(e) else UserError
        raise error(f"the warehouse rejected the query: {e}\n  query: {sql}") from None
    return QueryResult(sql, cols, rows[:max_rows], len(rows) > max_rows)
