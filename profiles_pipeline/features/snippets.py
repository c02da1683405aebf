"""User SQL snippets → sqlglot expressions in the engine's dialect.

A snippet (a var's `select`, `where`, a cohort filter, a sql_template body) is written in the
project's `sql_dialect`. It is parsed once, transpiled to the engine's dialect, and from then on
handled as an expression tree, so generated SQL is assembled from trees and rendered at one
exit point (the adapter). `current_timestamp`/`getdate()`/`current_date` inside a snippet mean
the run's end_time: outputs depend only on (project, inputs, end_time).
"""

from __future__ import annotations

from datetime import datetime

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from profiles_pipeline.errors import Location, SqlSnippetError
from profiles_pipeline.spec.sql_snippets import continue_with_clause
from profiles_pipeline.warehouse.dialects import transpile_snippet

WINDOW_FUNCTIONS: tuple[type[exp.Expression], ...] = (
    exp.FirstValue,
    exp.LastValue,
    exp.NthValue,
    exp.Lag,
    exp.Lead,
    exp.RowNumber,
    exp.Rank,
    exp.DenseRank,
    exp.Ntile,
    exp.PercentRank,
    exp.CumeDist,
)


def parse_snippet(
    sql: str, read: str, write: str, where: Location, what: str, *, statement: bool = False
) -> exp.Expression:
    """Parse `sql` (dialect `read`) and return it as a tree for dialect `write`.

    Raises SqlSnippetError naming the file, line and key when it does not parse."""
    text = sql.strip().rstrip(";").strip()
    if statement:
        text = continue_with_clause(text)
    if not text:
        raise SqlSnippetError(f"{where}: {what} is empty")
    if read != write:
        text = transpile_snippet(text, read, write, owner=what, file=where.file, line=where.line)
    try:
        tree = sqlglot.parse_one(text, read=write)
    except SqlglotError as e:
        raise SqlSnippetError(
            f"{where}: cannot parse {what} as {read} SQL: {_first_line(e)}\n  {sql.strip()}"
        ) from e
    if not statement and isinstance(tree, exp.Query):
        return exp.Subquery(this=tree)
    return tree


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def timestamp_literal(value: datetime) -> exp.Expression:
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return exp.cast(exp.Literal.string(text), exp.DataType.build("TIMESTAMP"))


def date_literal(value: datetime) -> exp.Expression:
    return exp.cast(exp.Literal.string(value.strftime("%Y-%m-%d")), exp.DataType.build("DATE"))


def pin_now(tree: exp.Expression, end_time: datetime) -> exp.Expression:
    """Replace "now" functions with end_time so a past end_time reproduces its features."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.CurrentTimestamp | exp.CurrentDatetime):
            return timestamp_literal(end_time)
        if isinstance(node, exp.CurrentDate):
            return date_literal(end_time)
        if isinstance(node, exp.Anonymous) and node.name.lower() in ("now", "getdate", "sysdate"):
            return timestamp_literal(end_time)
        return node

    return tree.transform(swap, copy=True)


def is_aggregate(node: exp.Expression) -> bool:
    return isinstance(node, exp.AggFunc) and not isinstance(node, WINDOW_FUNCTIONS)


def has_aggregate(tree: exp.Expression) -> bool:
    return any(is_aggregate(n) and not inside_window(n) for n in tree.walk())


def has_window_function(tree: exp.Expression) -> bool:
    return any(isinstance(n, (*WINDOW_FUNCTIONS, exp.Window)) for n in tree.walk())


def inside_window(node: exp.Expression) -> bool:
    """Whether `node` sits inside an OVER (...) clause."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Window):
            return True
        parent = parent.parent
    return False


def column_names(tree: exp.Expression) -> set[str]:
    return {c.name.lower() for c in tree.find_all(exp.Column)}


def literal(value: object, read: str, write: str, where: Location, what: str) -> exp.Expression:
    """A YAML `default_value` as SQL: numbers and booleans as literals; a string is SQL when it
    is a quoted string, a number, NULL or a function call, otherwise a plain string value."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    text = str(value)
    try:
        tree = parse_snippet(text, read, write, where, what)
    except SqlSnippetError:
        return exp.Literal.string(text)
    if isinstance(tree, exp.Column):
        return exp.Literal.string(text)
    return tree
