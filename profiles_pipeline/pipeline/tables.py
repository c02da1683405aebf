"""Small read-only views of a built table for metadata: its columns and a markdown preview."""

from __future__ import annotations

from sqlglot import exp

from profiles_pipeline.warehouse.base import WarehouseAdapter

PREVIEW_ROWS = 5


def column_types(adapter: WarehouseAdapter, table: str) -> dict[str, str]:
    return {c.name: c.type for c in adapter.columns(table)}


def preview_markdown(adapter: WarehouseAdapter, relation: str | exp.Expression, rows: int = PREVIEW_ROWS) -> str:
    """The first rows of `relation` (a table's name, or a subquery) as a markdown table (values
    shortened to stay readable)."""
    source = adapter.table_expr(relation) if isinstance(relation, str) else relation
    cols, data = adapter.fetch_with_columns(exp.select("*").from_(source).limit(rows))
    if not cols:
        return ""
    head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    body = "".join(
        "| " + " | ".join(_cell(v) for v in row) + " |\n" for row in data
    )
    return head + body


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 40 else text[:37] + "..."
