"""Statements as sqlglot trees, from templates in the canonical dialect (identity, snapshots).

A template names its tables by short logical names (`links`, `nodes`) and its values by
placeholders (`:end_time`). `statement` parses it once (cached), swaps each logical table for
the adapter's quoted table and each placeholder for a literal or an expression, and returns a
tree the adapter renders in the engine's dialect at its single exit point.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache

import sqlglot
from sqlglot import exp

from profiles_pipeline.warehouse.base import CANONICAL_DIALECT

Value = exp.Expression | str | int | float | bool | datetime | date | None


@lru_cache(maxsize=512)
def _parsed(template: str) -> exp.Expression:
    return sqlglot.parse_one(template, read=CANONICAL_DIALECT)


def literal(value: Value) -> exp.Expression:
    """A Python value as a SQL literal (timestamps and dates typed)."""
    if isinstance(value, exp.Expression):
        return value
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return exp.cast(exp.Literal.string(text), exp.DataType.build("TIMESTAMP"))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def statement(adapter, template: str, tables: Mapping[str, str], **values: Value) -> exp.Expression:
    """`template` with its logical tables named by `tables` and its `:placeholders` filled."""
    tree = _parsed(template).copy()
    targets = {k.lower(): adapter.table_expr(v) for k, v in tables.items()}

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name.lower() in targets:
            table = targets[node.name.lower()].copy()
            if node.args.get("alias"):
                table.set("alias", node.args["alias"].copy())
            return table
        if isinstance(node, exp.Column) and node.table.lower() in targets and not node.args.get("db"):
            node.set("table", targets[node.table.lower()].this.copy())
            return node
        if isinstance(node, exp.Placeholder) and node.name in values:
            return literal(values[node.name])
        return node

    return tree.transform(swap, copy=False)


def rendered(adapter, template: str, tables: Mapping[str, str], **values: Value) -> str:
    """`statement` rendered in the adapter's dialect; the same statement is rendered once (a loop
    that runs it again with the same tables and values reuses the text)."""
    key = (type(adapter).__name__, adapter.dialect, template, tuple(sorted(tables.items())),
           tuple(sorted((k, _hashable(v)) for k, v in values.items())))
    try:
        return _rendered_cache(key, lambda: adapter.to_sql(statement(adapter, template, tables, **values)))
    except TypeError:  # a value that cannot be a key (an expression): render it every time
        return adapter.to_sql(statement(adapter, template, tables, **values))


_RENDERED: dict = {}


def _rendered_cache(key, make):
    if key not in _RENDERED:
        if len(_RENDERED) > 4096:
            _RENDERED.clear()
        _RENDERED[key] = make()
    return _RENDERED[key]


def _hashable(value: Value):
    if isinstance(value, exp.Expression):
        return ("expr", value.sql())
    return value


def run(adapter, template: str, tables: Mapping[str, str], **values: Value) -> None:
    adapter.execute(rendered(adapter, template, tables, **values), read=adapter.dialect)


def rows(adapter, template: str, tables: Mapping[str, str], **values: Value) -> list[tuple]:
    return adapter.fetch(rendered(adapter, template, tables, **values), read=adapter.dialect)


def case_by(column: str, values: Mapping[str, int], default: int) -> exp.Expression:
    """`CASE column WHEN 'a' THEN 1 ... ELSE default END` (just the default when empty)."""
    if not values:
        return exp.Literal.number(default)
    case = exp.Case(this=sqlglot.parse_one(column, read=CANONICAL_DIALECT))
    for key, value in sorted(values.items()):
        case = case.when(exp.Literal.string(key), exp.Literal.number(value))
    return case.else_(exp.Literal.number(default))


def drop(adapter, *names: str) -> None:
    """Drop scratch tables if they exist."""
    for name in names:
        adapter.execute(exp.Drop(tables=[adapter.table_expr(name)], kind="TABLE", exists=True))
