"""Which adapter serves a connection `type`: the one place that lists the engines.

Code outside `warehouse/` never tests an engine's name; it asks the adapter class what the
engine can do (`WarehouseAdapter`'s capability flags) or calls its hooks. Adding an engine is
its adapter module plus one line here (`test_warehouse_registry.py` holds the rest to that).
"""

from __future__ import annotations

from importlib import import_module

from profiles_pipeline.errors import UserError
from profiles_pipeline.warehouse.base import WarehouseAdapter

#: siteconfig `type` -> "module:class" of its adapter (imported when first asked for).
ADAPTERS: dict[str, str] = {
    "duckdb": "profiles_pipeline.warehouse.duckdb_adapter:DuckDBAdapter",
    "snowflake": "profiles_pipeline.warehouse.snowflake_adapter:SnowflakeAdapter",
    "databricks": "profiles_pipeline.warehouse.databricks_adapter:DatabricksAdapter",
}


def engines() -> tuple[str, ...]:
    """The connection types (and SQL dialects) an adapter serves."""
    return tuple(ADAPTERS)


def adapter_class(kind: str) -> type[WarehouseAdapter]:
    """The adapter class for a connection `type` / dialect; a user error names the known ones."""
    try:
        module, name = ADAPTERS[kind].split(":")
    except KeyError:
        raise UserError(f"no adapter for {kind!r}; known: {', '.join(ADAPTERS)}") from None
    return getattr(import_module(module), name)


def open_adapter_for(config) -> WarehouseAdapter:
    """An adapter on the connection `config` (the caller closes it)."""
    return adapter_class(config.type).from_config(config)
