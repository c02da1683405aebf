"""`profiles cleanup`: drop the snapshots retention no longer keeps (pb: `pb cleanup materials`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from profiles_pipeline.cli.options import JsonFlag, ProjectDir, SiteconfigPath, Target
from profiles_pipeline.cli.output import console, handles_errors, print_json


class What(StrEnum):
    materials = "materials"


@handles_errors
def cleanup(
    what: Annotated[What | None, typer.Argument(help="`materials` (pb's `pb cleanup materials`); the same "
                    "as nothing: snapshots and checkpoints are the materials retention drops.",
                    show_default=False)] = None,
    project_dir: ProjectDir = Path("."),
    siteconfig_path: SiteconfigPath = None,
    target: Target = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be dropped; drop nothing.")] = False,
    retention: Annotated[str | None, typer.Option("--retention", "--retention_period", help="Keep this long "
                         "instead of the project's retention_period (720h0m0s, 24h, 30d).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Drop the id graph's checkpoints and the feature snapshots older than the latest minus the
    retention period (pb's retention_period in pb_project.yaml, 180 days by default). The latest
    snapshot is never dropped; the extracted edges are kept (rebuilds read them).

    Example: profiles cleanup -p my_project --dry-run
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import open_project_adapter, writing
    from profiles_pipeline.errors import UserError
    from profiles_pipeline.instants import format_duration, parse_duration
    from profiles_pipeline.pipeline.retention import apply_cleanup, plan_cleanup

    loaded = project_loading.load(project_dir, quiet=as_json)
    try:
        keep = parse_duration(retention) if retention else loaded.project.config.retention
    except ValueError as e:
        raise UserError(f"--retention: {e}") from None
    with writing(loaded, "profiles cleanup"):
        adapter = open_project_adapter(loaded)
        try:
            items = plan_cleanup(adapter, loaded.project, keep) if dry_run else apply_cleanup(adapter, loaded.project, keep)
        finally:
            adapter.close()
    if as_json:
        print_json({"dry_run": dry_run, "retention_seconds": keep.total_seconds(), "relations": [
            {"relation": i.relation, "kind": i.kind, "kept": [str(k) for k in i.kept],
             "dropped": [str(d) for d in i.dropped], "history_rows": i.rows} for i in items]})
        return
    verb = "would drop" if dry_run else "dropped"
    table = Table(title=f"Retention {format_duration(keep)} ({'dry run: nothing dropped' if dry_run else 'applied'})")
    for col in ("relation", "what", "kept", verb):
        table.add_column(col)
    for i in items:
        table.add_row(i.relation, i.kind, _span(i.kept), _span(i.dropped) + (f" ({i.rows} rows)" if i.rows else ""))
    console.print(table if items else "Nothing to clean up: no snapshots yet.")


def _span(instants) -> str:
    from profiles_pipeline.instants import format_instant

    if not instants:
        return "0"
    return f"{len(instants)}: {format_instant(instants[0])} .. {format_instant(instants[-1])}"
