"""StepResult -> Dagster metadata: row count, column schema, preview, figures, report files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from profiles_pipeline.pipeline.graph import StepResult

_SCALARS = (int, float, str, bool)


def result_metadata(result: StepResult) -> dict[str, Any]:
    """Everything the UI shows on a materialization, built from what the step returned."""
    meta: dict[str, Any] = {}
    if result.row_count is not None:
        meta["dagster/row_count"] = dg.MetadataValue.int(int(result.row_count))
    if result.columns:
        meta["dagster/column_schema"] = column_schema(result.columns)
    if len(result.tables) > 1:
        meta["tables"] = dg.MetadataValue.md(markdown_table(result.tables, ("table", "rows")))
    if result.preview_markdown:
        meta["preview"] = dg.MetadataValue.md(result.preview_markdown)
    for key, value in result.metadata.items():
        converted = metadata_value(key, value)
        if converted is not None:
            meta[key] = converted
    for label, path in result.artifacts.items():
        meta[label] = dg.MetadataValue.path(str(path))
    return meta


def column_schema(columns: Mapping[str, str]) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(t)) for name, t in columns.items()])


def metadata_value(key: str, value: Any) -> Any:
    """One step figure as a metadata value: scalars as they are, markdown by key, tables as md."""
    if value is None:
        return None
    if isinstance(value, dg.MetadataValue):
        return value
    if isinstance(value, Path):
        return dg.MetadataValue.path(str(value))
    if isinstance(value, str) and (key.endswith("_md") or key.endswith("markdown")):
        return dg.MetadataValue.md(value)
    if isinstance(value, _SCALARS):
        return value
    if (
        isinstance(value, Mapping)
        and value
        and all(isinstance(v, _SCALARS) for v in value.values())
    ):
        return dg.MetadataValue.md(markdown_table(value, (key, "value")))
    return dg.MetadataValue.json(json.loads(json.dumps(value, default=str)))


def markdown_table(rows: Mapping[Any, Any], header: tuple[str, str]) -> str:
    """A two-column markdown table, e.g. a cluster-size histogram (size -> clusters)."""
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows.items()]
    return "\n".join(lines)
