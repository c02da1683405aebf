"""Where Dagster finds the project: its folder, its graph of steps, its warehouse file.

`PROFILES_PROJECT_DIR` names the project folder (`config/` next to the repository by
default). `PROFILES_GRAPH_MODULE=package.module:function` swaps in another graph builder
(`function(project_dir) -> ProjectGraph`), which the end-to-end test uses for a small graph.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from profiles_pipeline.errors import UserError
from profiles_pipeline.pipeline.graph import ProjectGraph

PROJECT_DIR_ENV = "PROFILES_PROJECT_DIR"
GRAPH_MODULE_ENV = "PROFILES_GRAPH_MODULE"
DUCKDB_PATH_ENV = "PROFILES_DUCKDB_PATH"
REPO_ROOT = Path(__file__).resolve().parents[2]


def project_dir_from_env() -> Path:
    return Path(os.environ.get(PROJECT_DIR_ENV) or REPO_ROOT / "config").resolve()


def duckdb_path(project_dir: Path) -> Path:
    """The DuckDB file the project's steps write; `PROFILES_DUCKDB_PATH` overrides."""
    return Path(os.environ.get(DUCKDB_PATH_ENV) or project_dir / "data" / "profiles.duckdb")


def landing_zone(project_dir: Path) -> Path:
    from profiles_pipeline.spec import landing_zone_of

    return Path(landing_zone_of(project_dir))


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
    builder = getattr(importlib.import_module(module_name), func_name)
    graph = builder(project_dir)
    if not isinstance(graph, ProjectGraph):
        raise UserError(f"{hook} returned {type(graph).__name__}, not a ProjectGraph")
    return graph
