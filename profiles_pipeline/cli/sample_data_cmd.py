"""`profiles sample-data generate | append`: the RudderStack-schema event generator."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from profiles_pipeline.cli.options import ProjectDir
from profiles_pipeline.cli.output import console, handles_errors
from profiles_pipeline.errors import UserError

app = typer.Typer(help="Generate RudderStack-schema sample events into a landing zone.", no_args_is_help=True)

OutDir = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Landing-zone folder. Default: the project's landing_zone."),
]


def _landing_zone(project_dir: Path, out: Path | None) -> Path:
    if out is not None:
        return out
    from profiles_pipeline.spec import landing_zone_of

    return landing_zone_of(project_dir)


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise UserError(f"--day {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-01-15") from None


def _summary_table(summary, out: Path) -> Table:
    table = Table(title=f"Sample data in {out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    table.caption = f"{summary.days} day(s), {summary.seconds:.1f}s"
    return table


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    )


def _callback(progress: Progress):
    tasks: dict[str, int] = {}

    def update(label: str, done: int, total: int) -> None:
        if label not in tasks:
            tasks[label] = progress.add_task(label, total=total)
        progress.update(tasks[label], completed=done, total=total)

    return update


@app.command("generate")
@handles_errors
def generate(
    project_dir: ProjectDir = Path("."),
    users: Annotated[int, typer.Option(help="How many people.")] = 2000,
    days: Annotated[int, typer.Option(help="How many days of events.")] = 14,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 42,
    start_date: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2026-01-01",
    out: OutDir = None,
) -> None:
    """Write a fresh landing zone of identifies, tracks, pages and order_completed events.

    Example: profiles sample-data generate -p config --users 10000 --days 30
    """
    from profiles_pipeline import sample_data

    landing = _landing_zone(project_dir, out)
    start = _parse_day(start_date)
    with _progress() as progress:
        summary = sample_data.generate(
            landing, users=users, days=days, seed=seed, start_date=start, progress=_callback(progress)
        )
    console.print(_summary_table(summary, landing))


@app.command("append")
@handles_errors
def append(
    project_dir: ProjectDir = Path("."),
    day: Annotated[str | None, typer.Option(help="Day to write, YYYY-MM-DD. Default: the day after the last.")] = None,
    out: OutDir = None,
) -> None:
    """Write one more day of events for the same people (what the new-events sensor notices).

    Example: profiles sample-data append -p config --day 2026-01-15
    """
    from profiles_pipeline import sample_data

    landing = _landing_zone(project_dir, out)
    with _progress() as progress:
        summary = sample_data.append_day(landing, day=_parse_day(day), progress=_callback(progress))
    console.print(_summary_table(summary, landing))
