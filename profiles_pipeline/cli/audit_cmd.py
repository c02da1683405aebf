"""`profiles audit id_stitcher` (pb's `pb audit id_stitcher`): the built id graph examined —
before/after stitching, cluster sizes, coverage per id type, the ids with most links and a
drawing of the largest cluster — as tables and one HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from profiles_pipeline.cli.options import JsonFlag, ProjectDir, SiteconfigPath, Target
from profiles_pipeline.cli.output import console, handles_errors, print_json
from profiles_pipeline.cli.show_identity_cmd import Entity, _built, _last_run

app = typer.Typer(help="Analyse the built models (pb's `pb audit`).\n\n"
                  "Example: profiles audit id_stitcher -p my_project", no_args_is_help=True)


@handles_errors
def id_stitcher(
    project_dir: ProjectDir = Path("."),
    siteconfig_path: SiteconfigPath = None,
    target: Target = None,
    entity: Entity = None,
    html: Annotated[Path | None, typer.Option("--html", help="Where to write the HTML page. Default: "
                    "<project>/output/id_stitcher_audit_<stitcher>.html.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="How many clusters and ids to list.")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Audit the id stitcher: ids before and after stitching, cluster sizes, singletons and
    coverage per id type, the largest clusters, the ids with the most links, and a drawing of the
    largest cluster with its bridge ids (pb's `pb audit id_stitcher`, as a page you can share).

    Example: profiles audit id_stitcher -p my_project --html audit.html
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import reading_adapter, stitched_entities, stitcher_plan_for
    from profiles_pipeline.identity.audit import audit_stitcher
    from profiles_pipeline.identity.audit_html import render_audit_html

    loaded = project_loading.load(project_dir, quiet=as_json)
    audits = {}
    with reading_adapter(loaded) as adapter:
        for name in stitched_entities(loaded.project, entity):
            plan = stitcher_plan_for(loaded, adapter, name)
            _built(adapter, plan)
            audits[plan.name] = audit_stitcher(adapter, plan, top=top, **_last_run(adapter, plan))
    written = []
    for stitcher, audit in audits.items():
        path = (html if len(audits) == 1 else html.with_name(f"{html.stem}_{stitcher}{html.suffix}")) if html else (
            loaded.project.root / "output" / f"id_stitcher_audit_{stitcher}.html")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_audit_html(audit), encoding="utf-8")
        written.append(str(path))
    if as_json:
        print_json({"audits": {n: a.as_dict() for n, a in audits.items()}, "html": written})
        return
    for audit in audits.values():
        console.print(_summary(audit))
        console.print(_busiest(audit))
    for path in written:
        console.print(f"wrote {path}", highlight=False)


def _summary(audit) -> Table:
    r = audit.report
    table = Table(title=f"Id stitcher {r.stitcher}: {audit.ids:,} ids → {audit.profiles:,} profiles "
                  f"({audit.ids_per_profile} ids each)")
    for col in ("id type", "ids", "profiles holding one", "singletons", "hubs"):
        table.add_column(col, justify="left" if col == "id type" else "right")
    for t in sorted(r.ids_by_type):
        share = f" ({audit.coverage.get(t, 0) / audit.profiles:.0%})" if audit.profiles else ""
        table.add_row(t, f"{r.ids_by_type[t]:,}", f"{audit.coverage.get(t, 0):,}{share}",
                      f"{r.singletons_by_type.get(t, 0):,}", f"{r.hubs.get(t, 0):,}")
    return table


def _busiest(audit) -> Table:
    table = Table(title="Ids with the most links")
    for col in ("id", "id type", "links", "cluster size"):
        table.add_column(col, justify="right" if col in ("links", "cluster size") else "left")
    for b in audit.busiest:
        table.add_row(b.id_value, b.id_type, f"{b.degree:,}", f"{b.cluster_size:,}")
    return table


app.command("id_stitcher")(id_stitcher)
app.command("id-stitcher", hidden=True)(id_stitcher)
