"""inputs: sources of events and identifiers (warehouse tables/views, or files for DuckDB)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from profiles_pipeline.spec.base import OpenSpecModel, SpecModel, require_exactly_one


class InputId(SpecModel):
    """One identifier column (or SQL expression) of an input, mapped to an id type."""

    select: str
    type: str
    entity: str
    #: None: not said. pb then feeds the default stitcher from every id of the entity when no id
    #: of the entity says either way (what pb 0.26 does with such a project).
    to_default_stitcher: bool | None = None


def _one_or_many(value: Any) -> Any:
    """pb's documentation writes a single id as a mapping (`ids: {select: id, type: ..}`)."""
    return [value] if isinstance(value, dict) else value


#: An input's or model's ids: a list, or one id written as a mapping.
InputIds = Annotated[list[InputId], BeforeValidator(_one_or_many)]


class Contract(OpenSpecModel):
    """pb's input contract; kept and typed loosely, the engine does not enforce it yet."""

    is_optional: bool | None = None
    is_event_stream: bool | None = None
    with_entity_ids: list[str] | None = None
    with_columns: list[dict[str, Any]] | None = None


SOURCE_KEYS = ("table", "view", "path", "csv", "s3")


class AppDefaults(SpecModel):
    """Where an input's rows are and which columns are ids."""

    table: str | None = None
    view: str | None = None
    path: str | None = Field(default=None, description="extension: csv/parquet file or folder, relative to the project")
    csv: str | None = None
    s3: str | None = None
    occurred_at_col: str | None = None
    row_identifier: list[str] | None = None
    ids: InputIds = Field(default_factory=list)
    where: str | None = None
    allow_missing_columns: bool = Field(
        default=False, description="extension: a Parquet file lacking a column the project reads is read "
        "with NULL there instead of being a bad file")

    @model_validator(mode="after")
    def _one_source(self) -> AppDefaults:
        require_exactly_one(self, SOURCE_KEYS, "app_defaults")
        return self


#: Keys that pb's early schemas (schema_version < 44) wrote at the top of an input, where later
#: ones write them under `app_defaults:` (what `pb migrate` moves).
EARLY_LAYOUT_KEYS = (*SOURCE_KEYS, "ids", "row_identifier")


#: A column name as occurred_at_col writes one: plain, or double-quoted.
_PLAIN_COLUMN = re.compile(r'^(?:[A-Za-z_][A-Za-z0-9_$]*|"[^"]+")$')
#: The column an input's relation computes an occurred_at_col expression into.
OCCURRED_AT_COLUMN = "__occurred_at"


class Input(SpecModel):
    """One entry of `inputs:`."""

    name: str
    contract: Contract | None = None
    app_defaults: AppDefaults
    occurred_at_col: str | None = None
    where: str | None = None
    validity_time: str | None = None
    source_metadata: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _early_layout(cls, data: Any) -> Any:
        """An input in the early layouts (`table:` and `ids:` beside `name:`, or `ids:` beside
        `app_defaults:`) reads as the current one, as `pb migrate` would rewrite it: a project of
        schema_version 18 or 40 runs unchanged."""
        if not isinstance(data, dict):
            return data
        moved = {k: data[k] for k in EARLY_LAYOUT_KEYS if k in data}
        defaults = data.get("app_defaults")
        if not moved or (defaults is not None and not isinstance(defaults, dict)):
            return data
        if isinstance(defaults, dict) and set(moved) & set(defaults):
            return data  # said twice: the unknown key is reported as it stands
        # schema 40 wrote the source under app_defaults and the ids beside it: merge them
        return {**{k: v for k, v in data.items() if k not in moved}, "app_defaults": {**(defaults or {}), **moved}}

    @property
    def source_kind(self) -> str:
        """'table', 'view', 'path', 'csv' or 's3'."""
        return next(k for k in SOURCE_KEYS if getattr(self.app_defaults, k) is not None)

    @property
    def source(self) -> str:
        """The table/view name or file path, as written."""
        return getattr(self.app_defaults, self.source_kind)

    @property
    def table_basename(self) -> str | None:
        """Last part of a table/view name (`db.schema.tracks` -> `tracks`): the landing zone folder."""
        if self.source_kind not in ("table", "view"):
            return None
        return self.source.split(".")[-1].strip('"').lower()

    @property
    def occurred_at(self) -> str | None:
        """The event time column, from app_defaults or the input level. For an expression
        (`to_timestamp(created)`), the column the input's relation computes it into."""
        return OCCURRED_AT_COLUMN if self.occurred_at_expression else self.occurred_at_written

    @property
    def occurred_at_written(self) -> str | None:
        """`occurred_at_col` as the YAML writes it (a column, or an SQL expression)."""
        return self.app_defaults.occurred_at_col or self.occurred_at_col

    @property
    def occurred_at_expression(self) -> str | None:
        """`occurred_at_col` when it is an SQL expression rather than a column name (pb takes
        either); the input's relation then computes it as OCCURRED_AT_COLUMN."""
        written = self.occurred_at_written
        return written if written and not _PLAIN_COLUMN.match(written.strip()) else None

    @property
    def where_sql(self) -> str | None:
        """Input-level and app_defaults-level `where`, combined with AND."""
        parts = [w for w in (self.where, self.app_defaults.where) if w]
        if not parts:
            return None
        return " AND ".join(f"({p.strip()})" for p in parts) if len(parts) > 1 else parts[0].strip()

    def ids_for(self, entity: str) -> list[InputId]:
        return [i for i in self.app_defaults.ids if i.entity == entity]
