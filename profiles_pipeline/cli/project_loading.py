"""Loading a project for a command: the spec, its graph and its warehouse connection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from profiles_pipeline.cli.output import err_console


@dataclass
class LoadedProject:
    project: object
    connection: object
    #: The span of the daily partitions when the caller knows it (it read the inputs already).
    span: object = None
    _graph: object = None

    @property
    def graph(self):
        """The project's graph of steps, built when first asked for."""
        if self._graph is None:
            from profiles_pipeline.pipeline import build_graph

            self._graph = build_graph(self.project, warehouse_kind=self.connection.config.type, span=self.span)
        return self._graph

    @property
    def warehouse_location(self) -> str:
        return self.connection.config.location()


def load(project_dir: Path, *, quiet: bool = False) -> LoadedProject:
    from profiles_pipeline.spec import load_project
    from profiles_pipeline.warehouse.connections import resolve_connection

    project = load_project(project_dir)
    connection = resolve_connection(project.root, project.config.connection)
    if connection.notice and not quiet:
        err_console.print(f"[dim]{connection.notice}[/]", highlight=False)
    return LoadedProject(project, connection)


def open_warehouse(loaded: LoadedProject):
    from profiles_pipeline.warehouse.connections import open_adapter

    return open_adapter(loaded.connection)
