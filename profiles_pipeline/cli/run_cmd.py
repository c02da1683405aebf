"""`profiles run`: materialize the project through Dagster in this process."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from profiles_pipeline.cli.options import ProjectDir
from profiles_pipeline.cli.output import console, handles_errors
from profiles_pipeline.errors import UserError


def parse_day(text: str, option: str) -> date:
    """A day from `YYYY-MM-DD` or a timestamp (its day: runs cover whole daily partitions)."""
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise UserError(f"{option} {text!r} is not a date; write YYYY-MM-DD (e.g. 2026-01-14) or "
                    "'YYYY-MM-DD HH:MM:SS'")


def default_last_day(loaded) -> date:
    """The last day with events in the landing zone (DuckDB), else yesterday."""
    from profiles_pipeline.warehouse.inputs import landing_zone_days

    project = loaded.project
    days = [d for i in project.inputs
            for d in landing_zone_days(project.landing_zone_path, i.table_basename or i.name)]
    if days:
        return max(days)
    if loaded.graph.warehouse_kind == "duckdb":
        raise UserError(f"no events found in the landing zone {project.landing_zone_path}; write some "
                        f"with `profiles sample-data generate -p {project.root}` or point the inputs "
                        "at tables or files")
    return date.today() - timedelta(days=1)


@handles_errors
def run(
    project_dir: ProjectDir = Path("."),
    select: Annotated[list[str] | None, typer.Option("--select", "-s", help="Only these models "
                      "(e.g. features/user, cohorts/known_users, user_id_stitcher). Repeatable.")] = None,
    end_time: Annotated[str | None, typer.Option("--end-time", help="Compute as of the end of this "
                        "day (YYYY-MM-DD). Default: the last day with events.")] = None,
    begin: Annotated[str | None, typer.Option("--from", help="First day to bring the id graph "
                     "forward from. Default: the first partition.")] = None,
    rebase: Annotated[bool, typer.Option("--rebase", help="Rebuild the id graph from all stored "
                      "edges (after deletions or changed filters).")] = False,
) -> None:
    """Build the id graph, features, feature views and cohorts through Dagster, day by day.

    Example: profiles run -p config --end-time 2026-01-14
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.orchestration.local_run import days_to_run, run_local, schedule

    loaded = project_loading.load(project_dir)
    last = parse_day(end_time, "--end-time") if end_time else default_last_day(loaded)
    days = days_to_run(loaded.graph, parse_day(begin, "--from") if begin else None, last)
    n_steps = sum(len(steps) for _, steps in schedule(loaded.graph, days, select))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"running {loaded.project.name}", total=n_steps)

        def on_step(path: str, day: date) -> None:
            progress.update(task, advance=1, description=f"{day} {path}")

        result = run_local(loaded.project.root, loaded.graph, days, select=select, rebase=rebase,
                           on_step=on_step)
        progress.update(task, completed=n_steps)
    console.print(_steps_table(result, days[-1]))
    console.print(_headline(loaded, result, days))


def _steps_table(result, last: date) -> Table:
    table = Table(title=f"Models as of the end of {last}")
    for col, justify in (("model", "left"), ("rows", "right"), ("seconds", "right")):
        table.add_column(col, justify=justify)
    for step in result.steps:
        if step.day == last:
            table.add_row(step.path, "" if step.rows is None else f"{step.rows:,}", f"{step.seconds:.2f}")
    return table


def _headline(loaded, result, days: list[date]) -> str:
    lines = [f"[bold green]Done[/]: {len(days)} day(s), {days[0]} → {days[-1]}, "
             f"{len(result.run_ids)} Dagster run(s)."]
    for step in loaded.graph.steps:
        if step.kind == "id_graph" and (s := result.last(step.path)):
            m = s.metadata
            lines.append(f"  people found: [bold]{m.get('clusters', '?'):,}[/]   identifiers: "
                         f"{m.get('graph_rows', 0):,}   largest cluster: {m.get('largest_cluster', '?')} ids")
            if "ground_truth/pairwise_precision" in m:
                lines.append(f"  stitching vs the sample's ground truth: pairwise precision "
                             f"{m['ground_truth/pairwise_precision']:.3f}, recall "
                             f"{m['ground_truth/pairwise_recall']:.3f} (B-cubed "
                             f"{m['ground_truth/bcubed_precision']:.3f} / {m['ground_truth/bcubed_recall']:.3f})")
            for label, path in s.metadata.items():
                if label == "id stitcher report":
                    lines.append(f"  id stitcher report: {path}")
    for entity in loaded.project.entities:
        n = sum(1 for v in loaded.project.entity_vars_for(entity.name) if v.is_feature)
        if s := result.last(f"features/{entity.name}"):
            lines.append(f"  features computed: {n} per {entity.name} for {s.rows or 0:,} {entity.name}s "
                         f"({entity.name}_feature_view)")
    if result.checks_failed:
        lines.append(f"  [yellow]checks that failed[/]: {'; '.join(result.checks_failed)}")
    lines.append(f"  warehouse: {loaded.warehouse_location}")
    lines.append(f"  look at it: profiles show models -p {loaded.project.root}   |   "
                 f"Dagster UI: profiles ui -p {loaded.project.root} (then http://127.0.0.1:3000)")
    return "\n".join(lines)
