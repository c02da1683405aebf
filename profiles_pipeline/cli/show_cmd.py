"""`profiles show models | dependencies | plan` (the identity views are in show_identity_cmd)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.tree import Tree

from profiles_pipeline.cli import activate_cmd, predictions_cmd, show_identity_cmd
from profiles_pipeline.cli.options import EndTime, JsonFlag, ProjectDir
from profiles_pipeline.cli.output import console, handles_errors, print_json

app = typer.Typer(help="Look at the project: models, dependencies, plan, id graph, one person.\n\n"
                  "Example: profiles show models -p my_project", no_args_is_help=True)


@app.command("models")
@handles_errors
def models(
    names: Annotated[list[str] | None, typer.Argument(help="Only these models (e.g. features/user, "
                     "known_users). Default: all.")] = None,
    project_dir: ProjectDir = Path("."),
    as_json: JsonFlag = False,
) -> None:
    """Every model (Dagster asset) in dependency order: kind, relations it builds, rows now.

    Example: profiles show models -p my_project cohorts/known_users
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.model_listing import model_rows, select_rows
    from profiles_pipeline.cli.reading import planning_reader
    from profiles_pipeline.features import default_end_time

    loaded = project_loading.load(project_dir)
    with planning_reader(loaded) as (adapter, built):
        rows = select_rows(model_rows(loaded, adapter, built, default_end_time()), names)
    if as_json:
        print_json({"project": loaded.project.name, "built": built, "models": [r.as_dict() for r in rows]})
        return
    table = Table(title=f"Models of {loaded.project.name}" + ("" if built else " (not built yet: profiles run)"))
    for col, justify in (("model", "left"), ("kind", "left"), ("relations", "left"), ("rows", "right")):
        table.add_column(col, justify=justify)
    for r in rows:
        more = f" (+{len(r.relations) - 1} more)" if len(r.relations) > 1 else ""
        table.add_row(r.path, r.kind, (r.relations[0] if r.relations else "") + more,
                      "" if r.rows is None else f"{r.rows:,}")
    console.print(table)


Svg = Annotated[Path | None, typer.Option("--svg", help="Also draw the graph into this SVG file.")]
Png = Annotated[Path | None, typer.Option("--png", help="Also draw the graph into this PNG file.")]


@app.command("dependencies")
@handles_errors
def dependencies(project_dir: ProjectDir = Path("."), as_json: JsonFlag = False, svg: Svg = None,
                 png: Png = None) -> None:
    """What each model reads (pb's `show dependencies`): each model, then the models it reads;
    also as JSON or a picture (SVG/PNG).

    Example: profiles show dependencies -p my_project --svg graph.svg
    """
    _show_graph(project_dir, as_json, svg, png, downstream=False)


@app.command("dataflow")
@handles_errors
def dataflow(project_dir: ProjectDir = Path("."), as_json: JsonFlag = False, svg: Svg = None,
             png: Png = None) -> None:
    """Where each model's rows flow (pb's `show dataflow`): each model, then the models that read
    it, from the inputs to the feature views and cohorts; also as JSON or a picture (SVG/PNG).

    Example: profiles show dataflow -p my_project --png dataflow.png
    """
    _show_graph(project_dir, as_json, svg, png, downstream=True)


def _show_graph(project_dir: Path, as_json: bool, svg: Path | None, png: Path | None, *, downstream: bool) -> None:
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.graph_picture import layout, to_svg, write_png

    loaded = project_loading.load(project_dir, quiet=as_json)
    graph = loaded.graph
    title = f"{loaded.project.name}: {len(graph.steps)} models"
    if svg or png:
        lay = layout(graph)
        if svg:
            svg.write_text(to_svg(lay, title), encoding="utf-8")
        if png:
            write_png(lay, title, png)
    if as_json:
        print_json({"project": loaded.project.name,
                    "nodes": [{"path": s.path, "kind": s.kind, "group": s.group} for s in graph.steps],
                    "edges": [["/".join(u), s.path] for s in graph.steps for u in s.upstream],
                    "files": [str(p) for p in (svg, png) if p]})
        return
    linked: dict[str, list[str]] = {s.path: [] for s in graph.steps}
    for s in graph.steps:
        for u in s.upstream:
            if downstream:
                linked.setdefault("/".join(u), []).append(s.path)
            else:
                linked[s.path].append("/".join(u))
    arrow, what = ("→", "what reads it") if downstream else ("←", "what it reads")
    tree = Tree(f"[bold]{title}[/] (each model, then {what})")
    for s in graph.steps:
        node = tree.add(f"{s.path} [dim]({s.kind})[/]")
        for other in linked[s.path]:
            node.add(f"{arrow} {other}")
    console.print(tree)
    for p in (svg, png):
        if p:
            console.print(f"wrote {p}", highlight=False)


@app.command("plan")
@handles_errors
def plan(
    project_dir: ProjectDir = Path("."),
    end_time: EndTime = None,
    as_json: JsonFlag = False,
) -> None:
    """The features plan: each SQL step in order, and which vars share one scan of an input.

    Example: profiles show plan -p my_project --end-time 2026-01-07
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import end_time_of, planning_reader
    from profiles_pipeline.features import plan_features
    from profiles_pipeline.pipeline.feature_steps import plan_step_key

    loaded = project_loading.load(project_dir)
    with planning_reader(loaded) as (adapter, _):
        as_of = end_time_of(loaded, end_time, adapter)
        fplan = plan_features(loaded.project, adapter, end_time=as_of)
    if as_json:
        print_json({"end_time": as_of.isoformat(), "dialect": fplan.dialect, "steps": [
            {"name": s.name, "kind": s.kind, "materialize": s.materialize, "model": "/".join(plan_step_key(s)),
             "depends_on": s.depends_on, "description": s.description, "details": s.details}
            for s in fplan.steps]})
        return
    console.print(fplan.describe(), highlight=False, markup=False)


app.command("idstitcher-report")(show_identity_cmd.idstitcher_report)
app.command("entity-lookup")(show_identity_cmd.entity_lookup)
app.command("explain")(show_identity_cmd.explain)
app.command("activations")(activate_cmd.show_activations)
app.command("predictions")(predictions_cmd.show_predictions)
