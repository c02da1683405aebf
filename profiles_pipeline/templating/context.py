"""What a caller must supply to render a pb template: names in scope and how to resolve them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Macro:
    """A project macro from `macros.yaml`: `value` is a template whose inputs are bound by name."""

    name: str
    inputs: list[str]
    value: str


def _missing(kind: str) -> Callable[..., str]:
    def fail(*args: str) -> str:
        raise LookupError(f"no {kind} resolver was given to the template context for {args}")

    return fail


@dataclass
class TemplateContext:
    """The names a template can use and the callbacks that turn them into SQL text.

    `warehouse_type` is what pb's `warehouse.DatabaseType()` returns: lower case, e.g.
    "snowflake", "duckdb", "bigquery", "redshift", "databricks".
    """

    end_time: datetime | None = None
    warehouse_type: str = "duckdb"
    entities: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    macros: dict[str, Macro] = field(default_factory=dict)
    var_resolver: Callable[[str, str], str] = field(default_factory=lambda: _missing("entity var"))
    input_var_resolver: Callable[[str, str], str] = field(
        default_factory=lambda: _missing("input var")
    )
    input_resolver: Callable[[str], str] = field(default_factory=lambda: _missing("input"))
    deref: Callable[[str], str] = field(default_factory=lambda: _missing("DeRef"))
    # `this.ReadFile("models/q.sql")`: text of a project file (path relative to the project).
    read_file: Callable[[str], str] = field(default_factory=lambda: _missing("ReadFile"))
