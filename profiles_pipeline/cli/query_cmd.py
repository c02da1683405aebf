"""`profiles query "SQL"`: read the warehouse, with pb's `{{this.DeRef("...")}}` resolved."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from profiles_pipeline.cli.options import JsonFlag, ProjectDir, SiteconfigPath, Target
from profiles_pipeline.cli.output import console, err_console, handles_errors, print_json


@handles_errors
def query(
    sql: Annotated[str, typer.Argument(help="SQL in the engine's dialect (DuckDB locally).")],
    project_dir: ProjectDir = Path("."),
    siteconfig_path: SiteconfigPath = None,
    target: Target = None,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (header + rows) for scripts.")] = False,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Print at most this many rows; says "
                        "when the result was cut.")] = 100,
) -> None:
    """Run a query on the project's warehouse (read-only). `{{this.DeRef("models/x")}}` becomes
    the model's table, `{{this.DeRef("inputs/x")}}` the input's rows. On DuckDB a query reads
    what the last complete run published, never waiting for a run that writes (a query of the
    inputs reads the warehouse file itself, and waits up to 30 s for such a run). Exit 2 when
    the warehouse rejects the SQL (syntax, unknown table or column: the message is the
    warehouse's), 1 when the warehouse cannot be reached.

    Example: profiles query -p my_project 'select * from {{this.DeRef("models/user_id_stitcher")}} limit 5'
    """
    from profiles_pipeline.cli import project_loading

    if as_json and as_csv:
        from profiles_pipeline.errors import UserError

        raise UserError("choose one of --json and --csv")
    loaded = project_loading.load(project_dir, quiet=as_json or as_csv)
    result = _query(loaded, sql, max_rows)
    if as_json:
        print_json({"columns": result.columns, "rows": [list(r) for r in result.rows],
                    "truncated": result.truncated, "max_rows": max_rows})
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        if result.truncated:
            err_console.print(f"[yellow]truncated[/] to {max_rows} rows (--max-rows)")
        return
    table = Table(caption=f"{len(result.rows)} row(s)" + (f", cut at --max-rows {max_rows}" if result.truncated else ""))
    for col in result.columns:
        table.add_column(col)
    for row in result.rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def _query(loaded, sql: str, max_rows: int):
    """On the published outputs; on the warehouse itself for what they leave out (the inputs,
    their rows views, the extracted edges)."""
    from profiles_pipeline.cli.query_sql import READS_AN_INPUT, UnknownRelationError, run_query
    from profiles_pipeline.cli.reading import planning_reader, reading_adapter
    from profiles_pipeline.warehouse.registry import adapter_class

    # where readers read a copy, what the copy leaves out is read in the warehouse itself
    copy = adapter_class(loaded.connection.config.type).readers_read_a_copy
    if not READS_AN_INPUT.search(sql) or not copy:
        try:
            with reading_adapter(loaded) as adapter:
                return run_query(loaded, adapter, sql, max_rows)
        except UnknownRelationError:
            if not copy:
                raise
    with planning_reader(loaded) as (adapter, _):
        return run_query(loaded, adapter, sql, max_rows)
