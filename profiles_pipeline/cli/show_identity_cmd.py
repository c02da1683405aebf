"""`profiles show idstitcher-report | entity-lookup | explain`: the built id graph, read-only.
Registered on the `show` app by show_cmd."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from profiles_pipeline.cli.options import JsonFlag, ProjectDir
from profiles_pipeline.cli.output import console, handles_errors, print_json
from profiles_pipeline.errors import UserError

Entity = Annotated[str | None, typer.Option("--entity", "-e", help="Entity whose id graph to read. "
                   "Default: the only one with an id graph.")]


def _last_run(adapter, plan) -> dict:
    """passes / converged / seconds of the stitcher's last run (its state table)."""
    from profiles_pipeline.identity import StitcherTables

    state = StitcherTables.of(plan).state
    if not adapter.table_exists(state):
        return {}
    rows = adapter.fetch(f"SELECT passes, converged, seconds FROM {state}")
    return {"passes": int(rows[0][0]), "converged": bool(rows[0][1]), "seconds": float(rows[0][2])} if rows else {}


def _built(adapter, plan) -> None:
    from profiles_pipeline.identity import StitcherTables

    if not adapter.table_exists(StitcherTables.of(plan).nodes):
        raise UserError(f"id graph {plan.name!r} has not been built yet; run `profiles run` first")


@handles_errors
def idstitcher_report(
    project_dir: ProjectDir = Path("."),
    entity: Entity = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the report as one HTML "
                    "page (one entity; with several, the entity name is added to the file name).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """What the id stitcher read, dropped and built: ids, edges, hubs, clusters, largest clusters.

    Example: profiles show idstitcher-report -p my_project --html report.html
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import reading_adapter, stitched_entities, stitcher_plan_for
    from profiles_pipeline.identity import build_report, render_report_html

    loaded = project_loading.load(project_dir)
    names = stitched_entities(loaded.project, entity)
    reports = {}
    with reading_adapter(loaded) as adapter:
        for name in names:
            plan = stitcher_plan_for(loaded, adapter, name)
            _built(adapter, plan)
            reports[name] = build_report(adapter, plan, **_last_run(adapter, plan))
    written = []
    for name, report in reports.items():
        if html:
            path = html if len(reports) == 1 else html.with_name(f"{html.stem}_{name}{html.suffix}")
            path.write_text(render_report_html(report), encoding="utf-8")
            written.append(str(path))
    if as_json:
        print_json({"reports": {n: r.as_dict() for n, r in reports.items()}, "html": written})
        return
    for report in reports.values():
        console.print(_report_table(report))
    for path in written:
        console.print(f"wrote {path}", highlight=False)


def _report_table(r) -> Table:
    table = Table(title=f"Id stitcher {r.stitcher}", show_header=False)
    for label, value in (
        ("ids (after filters / before)", f"{r.ids_after_filters:,} / {r.ids_before_filters:,}"),
        ("ids by type", ", ".join(f"{t}: {n:,}" for t, n in r.ids_by_type.items())),
        ("distinct edges (used)", f"{r.edges:,} ({r.edges_kept:,})"),
        ("edges dropped: hubs / maximum_edges", f"{r.edges_dropped_hub:,} / {r.edges_dropped_maximum_edges:,}"),
        ("hubs", ", ".join(f"{t}: {n}" for t, n in r.hubs.items()) or "none"),
        ("clusters (people)", f"{r.clusters:,}"),
        ("singletons by type", ", ".join(f"{t}: {n:,}" for t, n in r.singletons_by_type.items()) or "none"),
        ("cluster sizes", ", ".join(f"{label}: {n:,}" for label, n in r.size_histogram if n)),
        ("largest clusters", ", ".join(f"{c.main_id} ({c.size})" for c in r.largest[:3])),
        ("last run", f"{r.passes} passes, {'converged' if r.converged else 'NOT converged'}"),
    ):
        table.add_row(label, value)
    return table


@handles_errors
def entity_lookup(
    value: Annotated[str, typer.Argument(help="An id value: an email, anonymous id, user id, ...")],
    id_type: Annotated[str | None, typer.Option("--type", "-t", help="Its id type, when the value "
                       "exists as several types.")] = None,
    project_dir: ProjectDir = Path("."),
    entity: Entity = None,
    as_json: JsonFlag = False,
) -> None:
    """Who is this? The main id of an identifier, every id of that person, and their features.

    Example: profiles show entity-lookup someone@example.com -p my_project
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import one_entity, reading_adapter, stitcher_plan_for
    from profiles_pipeline.identity import lookup

    loaded = project_loading.load(project_dir)
    name = one_entity(loaded.project, entity)
    with reading_adapter(loaded) as adapter:
        plan = stitcher_plan_for(loaded, adapter, name)
        found = lookup(adapter, plan, value, id_type)
        features = _features(adapter, loaded.project.entity(name).feature_view_name, plan.main_id_column,
                             found.main_id)
    if as_json:
        print_json({"entity": name, **asdict(found), "features": features})
        return
    table = Table(title=f"{found.id_type} {found.id_value} → {plan.main_id_column} {found.main_id} "
                  f"({len(found.members)} ids)")
    for col in ("id type", "id value", "first seen"):
        table.add_column(col)
    for m in found.members:
        table.add_row(m.id_type, m.id_value, str(m.first_seen_at))
    console.print(table)
    if features:
        ft = Table(title="features", show_header=False)
        for k, v in features.items():
            ft.add_row(k, "" if v is None else str(v))
        console.print(ft)


def _features(adapter, view: str, main_id_column: str, main_id: str) -> dict | None:
    if not adapter.table_exists(view):
        return None
    from sqlglot import exp

    query = exp.select("*").from_(adapter.table_expr(view)).where(
        exp.column(main_id_column).eq(exp.Literal.string(main_id)))
    cols, rows = adapter.fetch_with_columns(query)
    return dict(zip(cols, rows[0], strict=True)) if rows else None


@handles_errors
def explain(
    id_a: Annotated[str, typer.Argument(help="First id value.")],
    id_b: Annotated[str, typer.Argument(help="Second id value.")],
    type_a: Annotated[str | None, typer.Option("--type-a", help="Id type of the first value.")] = None,
    type_b: Annotated[str | None, typer.Option("--type-b", help="Id type of the second value.")] = None,
    project_dir: ProjectDir = Path("."),
    entity: Entity = None,
    as_json: JsonFlag = False,
) -> None:
    """Why are these two ids the same person, or not? The shortest chain of edges that links
    them; for ids kept apart, the chain that would, with why each unused edge is unused (a cluster
    rule, maximum_edges or a hub) and when it was first seen.

    Example: profiles show explain someone@example.com anon-123 -p my_project
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import one_entity, reading_adapter, stitcher_plan_for
    from profiles_pipeline.identity import explain as explain_ids

    loaded = project_loading.load(project_dir)
    name = one_entity(loaded.project, entity)
    with reading_adapter(loaded) as adapter:
        plan = stitcher_plan_for(loaded, adapter, name)
        found = explain_ids(adapter, plan, id_a, id_b, type_a, type_b)
    if as_json:
        print_json({"entity": name, **asdict(found)})
        return
    console.print(str(found), highlight=False, markup=False)
