"""`profiles init DIR`: scaffold a pb-style project with its own sample events."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from profiles_pipeline.cli.output import console, handles_errors


@handles_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create (must be new or empty).")],
    users: Annotated[int, typer.Option(help="People in the sample data.")] = 500,
    days: Annotated[int, typer.Option(help="Days of sample events.")] = 7,
    seed: Annotated[int, typer.Option(help="Random seed of the sample data.")] = 42,
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty folder; files of "
                     "the same name are overwritten, the sample data is regenerated.")] = False,
) -> None:
    """Create a working project: pb_project.yaml, models/, siteconfig.yaml and sample events.

    Example: profiles init my_project && profiles run -p my_project
    """
    from profiles_pipeline.scaffold import scaffold_project

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        tasks: dict[str, int] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done, total=total)

        result = scaffold_project(directory, users=users, days=days, seed=seed, force=force,
                                  progress=update)
    console.print(f"[bold green]Created[/] project [bold]{result.name}[/] in {result.root}")
    for path in result.files:
        console.print(f"  {path}", highlight=False)
    rows = ", ".join(f"{n:,} {t}" for t, n in result.rows.items())
    console.print(f"  data/landing/: {result.days} day(s) of sample events ({rows})", highlight=False)
    console.print("Next:", highlight=False)
    for step in ("validate", "run", "show models"):
        console.print(f"  profiles {step} -p {directory}", highlight=False)
