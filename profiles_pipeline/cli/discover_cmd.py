"""`profiles discover entities|features|materials|models|sources` (pb's `pb discover`): what
the project declares and what its runs built, as a table, JSON, or a CSV file (pb's -f)."""

from __future__ import annotations

import csv
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from profiles_pipeline.cli.options import JsonFlag, ProjectDir, SiteconfigPath, Target
from profiles_pipeline.cli.output import console, handles_errors, print_json

CsvFile = Annotated[Path | None, typer.Option("--csv_file", "--csv-file", "-f",
                    help="Also write the rows into this CSV file (pb's -f).")]

app = typer.Typer(help="List the project's entities, features, materials, models or sources (pb's "
                  "`pb discover`).\n\nExample: profiles discover features -p my_project", no_args_is_help=True)


def _discover(kind: str, project_dir: Path, csv_file: Path | None, as_json: bool) -> None:
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.discovery import LISTERS
    from profiles_pipeline.cli.reading import planning_reader

    loaded = project_loading.load(project_dir, quiet=as_json)
    with planning_reader(loaded) as (adapter, built):
        rows = LISTERS[kind](loaded, adapter, built)
    if csv_file:
        with csv_file.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["none"])
            writer.writeheader()
            writer.writerows(rows)
    if as_json:
        print_json({"project": loaded.project.name, kind: rows, "csv_file": str(csv_file) if csv_file else None})
        return
    table = Table(title=f"{kind.capitalize()} of {loaded.project.name}" + ("" if built or kind in
                  ("models", "features") else " (not built yet: profiles run)"))
    for col in rows[0] if rows else ["none"]:
        table.add_column(col.replace("_", " "), justify="right" if col in ("rows", "profiles") else "left")
    for row in rows:
        table.add_row(*("" if v is None else f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)
                        for v in row.values()))
    console.print(table)
    if csv_file:
        console.print(f"wrote {len(rows)} rows to {csv_file}", highlight=False)


class Kind(StrEnum):
    entities = "entities"
    features = "features"
    materials = "materials"
    models = "models"
    sources = "sources"


def _command(kind: Kind, summary: str):
    @handles_errors
    def command(project_dir: ProjectDir = Path("."), siteconfig_path: SiteconfigPath = None, target: Target = None,
                csv_file: CsvFile = None, as_json: JsonFlag = False) -> None:
        _discover(kind.value, project_dir, csv_file, as_json)

    command.__doc__ = f"{summary}\n\nExample: profiles discover {kind.value} -p my_project -f {kind.value}.csv"
    command.__name__ = f"discover_{kind.value}"
    return command


for _kind, _summary in (
    (Kind.entities, "Each entity: its id types, main id, id stitcher, feature view and how many profiles it holds."),
    (Kind.features, "Each entity var and input var: entity, var group, whether it is a feature view column."),
    (Kind.materials, "Each table and view the models build: whether it exists now, its kind and rows."),
    (Kind.models, "Each model in dependency order: kind, what it reads, what it is."),
    (Kind.sources, "Each input: what it reads, its event time, its id types and rows."),
):
    app.command(_kind.value)(_command(_kind, _summary))
