"""The warehouse resource the assets and sensors use: the warehouse layer's, one per project.

`profiles_pipeline.warehouse.resources.WarehouseResource` resolves the pb connection
(siteconfig, else the embedded `<project>/data/profiles.duckdb`) when a step asks for an
adapter and closes it afterwards, so the DuckDB file is held only while a step runs.
"""

from __future__ import annotations

from profiles_pipeline.orchestration.project_graph import ProjectSettings
from profiles_pipeline.warehouse.resources import WarehouseResource

__all__ = ["WarehouseResource", "warehouse_for"]


def warehouse_for(settings: ProjectSettings) -> WarehouseResource:
    return WarehouseResource(project_dir=str(settings.project_dir), connection=settings.connection)
