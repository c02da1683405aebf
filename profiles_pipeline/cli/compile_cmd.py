"""`profiles compile`: write every model's SQL, in dependency order, and print the plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from profiles_pipeline.cli.options import EndTime, ProjectDir, SiteconfigPath, Target
from profiles_pipeline.cli.output import console, handles_errors


@handles_errors
def compile_project(
    project_dir: ProjectDir = Path("."),
    siteconfig_path: SiteconfigPath = None,
    target: Target = None,
    end_time: EndTime = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the SQL files. "
                   "Default: <project>/output/compiled.")] = None,
    dialect: Annotated[str | None, typer.Option("--dialect", help="duckdb, snowflake or databricks. Default: "
                       "the connection's engine. Snowflake without a Snowflake connection is "
                       "planned against fakesnow holding empty copies of the input tables; "
                       "Databricks against a local Spark (pyspark) holding them.")] = None,
) -> None:
    """Write the SQL of every model in dependency order (one file per step, plus index.json)
    without running it, and print the plan: which vars share one scan of which input.

    Example: profiles compile -p my_project --dialect snowflake -o compiled_sql
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.compiler import compile_project as compile_sql
    from profiles_pipeline.cli.planning import planning_adapter
    from profiles_pipeline.cli.reading import end_time_of
    from profiles_pipeline.instants import format_instant

    loaded = project_loading.load(project_dir)
    out_dir = out or loaded.project.root / "output" / "compiled"
    with planning_adapter(loaded, dialect) as (adapter, how):
        as_of = end_time_of(loaded, end_time, None if dialect and dialect != loaded.connection.config.type else adapter)
        result = compile_sql(loaded, adapter, as_of, out_dir)
    console.print(f"as of {format_instant(as_of)}" + ("" if end_time else " (the latest event across the inputs)"),
                  highlight=False)
    console.print(result.plan_text, highlight=False, markup=False)
    table = Table(title=f"{len(result.steps)} SQL files ({result.dialect}, planned on {how}) in {result.out_dir}")
    for col in ("file", "model", "kind"):
        table.add_column(col)
    for s in result.steps:
        table.add_row(s.file, s.model, s.kind)
    console.print(table)
