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

from ruamel.yaml import YAML

from profiles_pipeline.errors import UserError
from profiles_pipeline.pipeline.graph import ProjectGraph

PROJECT_DIR_ENV = "PROFILES_PROJECT_DIR"
GRAPH_MODULE_ENV = "PROFILES_GRAPH_MODULE"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LANDING_ZONE = "data/landing"


@dataclass(frozen=True)
class ProjectSettings:
    """The two pb_project.yaml keys the Dagster layer needs before any step runs."""

    project_dir: Path
    connection: str | None
    landing_zone: Path


def project_dir_from_env() -> Path:
    return Path(os.environ.get(PROJECT_DIR_ENV) or REPO_ROOT / "config").resolve()


def read_settings(project_dir: Path) -> ProjectSettings:
    """`connection:` and our `landing_zone:` extension (relative to the project folder)."""
    path = project_dir / "pb_project.yaml"
    if not path.is_file():
        raise UserError(
            f"{project_dir} has no pb_project.yaml; set {PROJECT_DIR_ENV} to a profiles project folder"
        )
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    landing = Path(str(data.get("landing_zone") or DEFAULT_LANDING_ZONE)).expanduser()
    return ProjectSettings(
        project_dir=project_dir,
        connection=data.get("connection"),
        landing_zone=landing if landing.is_absolute() else project_dir / landing,
    )


def load_graph(project_dir: Path) -> ProjectGraph:
    hook = os.environ.get(GRAPH_MODULE_ENV)
    if hook:
        return _graph_from_hook(hook, project_dir)
    from profiles_pipeline.pipeline import build_graph

    return build_graph(project_dir)


def _graph_from_hook(hook: str, project_dir: Path) -> ProjectGraph:
    module_name, _, func_name = hook.partition(":")
    if not func_name:
        raise UserError(f"{GRAPH_MODULE_ENV}={hook!r} must look like 'package.module:function'")
    graph = getattr(importlib.import_module(module_name), func_name)(project_dir)
    if not isinstance(graph, ProjectGraph):
        raise UserError(f"{hook} returned {type(graph).__name__}, not a ProjectGraph")
    return graph
