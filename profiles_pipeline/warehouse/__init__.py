"""Warehouse adapters: one interface (base.WarehouseAdapter), one small subclass per engine."""

from profiles_pipeline.warehouse.base import CANONICAL_DIALECT, Column, WarehouseAdapter

__all__ = ["CANONICAL_DIALECT", "Column", "WarehouseAdapter"]
