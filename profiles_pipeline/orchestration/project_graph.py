"""Where Dagster finds the project: its folder, its graph of steps, its connection, its landing zone.

`PROFILES_PROJECT_DIR` names the project folder (`config/` next to the repository by
default). `PROFILES_GRAPH_MODULE=package.module:function` swaps in another graph builder
(`function(project_dir) -> ProjectGraph`), which the end-to-end test uses for a small graph.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from profiles_pipeline.errors import UserError
from profiles_pipeline.pipeline.graph import ProjectGraph

PROJECT_DIR_ENV = "PROFILES_PROJECT_DIR"
GRAPH_MODULE_ENV = "PROFILES_GRAPH_MODULE"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ProjectSettings:
    """What the Dagster layer needs from the project besides its steps."""

    project_dir: Path
    connection: str | None
    landing_zone: Path


def project_dir_from_env() -> Path:
    return Path(os.environ.get(PROJECT_DIR_ENV) or REPO_ROOT / "config").resolve()


def load(project_dir: Path, project=None, *, connection: str | None = None) -> tuple[ProjectSettings, ProjectGraph]:
    """Validate the project (a `SpecError` lists every problem; `project`: already validated)
    and build its graph of steps; `connection` replaces the connection pb_project.yaml names
    (every step then resolves that one)."""
    from dataclasses import replace

    from profiles_pipeline.spec import load_project

    project = project or load_project(project_dir)
    if connection:
        project = replace(project, config=project.config.model_copy(update={"connection": connection}))
    settings = ProjectSettings(project_dir, project.config.connection, project.landing_zone_path)
    hook = os.environ.get(GRAPH_MODULE_ENV)
    if hook:
        return settings, _graph_from_hook(hook, project_dir)
    from profiles_pipeline.pipeline import build_graph

    return settings, build_graph(project)


def _graph_from_hook(hook: str, project_dir: Path) -> ProjectGraph:
    module_name, _, func_name = hook.partition(":")
    if not func_name:
        raise UserError(f"{GRAPH_MODULE_ENV}={hook!r} must look like 'package.module:function'")
    graph = getattr(importlib.import_module(module_name), func_name)(project_dir)
    if not isinstance(graph, ProjectGraph):
        raise UserError(f"{hook} returned {type(graph).__name__}, not a ProjectGraph")
    return graph
