"""Console output shared by every command: rich for people, JSON for scripts, and one place
that turns exceptions into exit codes (0 ok, 1 run failure, 2 user error)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from profiles_pipeline.errors import ProfilesError, SpecError, UserError

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def print_json(data: Any) -> None:
    """JSON on stdout, nothing else, so scripts can pipe it."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def report_error(exc: ProfilesError) -> None:
    if isinstance(exc, SpecError):
        err_console.print(f"[bold red]error:[/] {len(exc.problems)} problem(s) in the project")
        for problem in exc.problems:
            err_console.print(f"  [red]-[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
        return
    label = "error" if isinstance(exc, UserError) else "failed"
    # the message quotes user data (types like timestamp[us], values): never markup
    err_console.print(f"[bold red]{label}:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    sql = getattr(exc, "sql", None)
    if sql:
        err_console.print("[dim]statement:[/]", highlight=False)
        err_console.print(sql if len(sql) < 4000 else sql[:4000] + " ...", highlight=False, markup=False)


def handles_errors(func: F) -> F:
    """Run a command; a ProfilesError becomes its message and exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProfilesError as exc:
            report_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]
