"""The warehouse as a Dagster resource: assets ask it for an adapter and never build SQL.

The adapter is opened per step and closed right after, so the DuckDB file is held only while a
step runs (DuckDB admits one writer process; the pool in dagster.yaml keeps runs apart).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from profiles_pipeline.warehouse.base import WarehouseAdapter


class WarehouseResource(dg.ConfigurableResource):
    """Connection settings of the project's warehouse.

    `kind="duckdb"` opens `duckdb_path`. Other engines plug in through
    `profiles_pipeline.warehouse.resources` once it exists.
    """

    kind: str = "duckdb"
    duckdb_path: str = ":memory:"

    @contextmanager
    def open(self) -> Iterator[WarehouseAdapter]:
        """An adapter for the duration of one step."""
        adapter = self._connect()
        try:
            yield adapter
        finally:
            adapter.close()

    def _connect(self) -> WarehouseAdapter:
        if self.kind == "duckdb":
            from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

            return DuckDBAdapter(self.duckdb_path)
        raise dg.DagsterInvariantViolationError(
            f"warehouse kind {self.kind!r} has no Dagster resource yet; use 'duckdb'"
        )
