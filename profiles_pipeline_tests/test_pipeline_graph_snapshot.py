"""A snapshot of the example project's Dagster asset graph, so a change to the graph (keys,
dependencies, checks, groups, kinds) shows up in review as a diff of a text file.

Regenerate after an intended change: UPDATE_SNAPSHOTS=1 pytest profiles_pipeline_tests/test_pipeline_graph_snapshot.py
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from profiles_pipeline.orchestration.definitions import build_definitions

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).parent / "snapshots" / "config_asset_graph.txt"


def render_asset_graph(defs: dg.Definitions) -> str:
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        deps = sorted(p.to_user_string() for p in node.parent_keys)
        specs = [graph.get_check_spec(k) for k in node.check_keys]
        checks = sorted(f"{c.name}{' (blocking)' if c.blocking else ''}" for c in specs)
        lines.append(f"{key.to_user_string()}  [{node.group_name}; {', '.join(sorted(node.kinds))}]")
        lines.extend(f"    <- {d}" for d in deps)
        lines.extend(f"    check {c}" for c in checks)
    jobs = sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__"))
    schedules = sorted(s.name for s in defs.schedules or [])
    sensors = sorted(s.name for s in defs.sensors or [])
    lines.append(f"jobs: {', '.join(jobs)}")
    lines.append(f"schedules: {', '.join(schedules)}")
    lines.append(f"sensors: {', '.join(sensors)}")
    return "\n".join(lines) + "\n"


def test_example_project_asset_graph_matches_snapshot() -> None:
    rendered = render_asset_graph(build_definitions(REPO / "config"))
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    assert rendered == SNAPSHOT.read_text(encoding="utf-8"), (
        "the asset graph changed; if intended, regenerate with UPDATE_SNAPSHOTS=1"
    )
