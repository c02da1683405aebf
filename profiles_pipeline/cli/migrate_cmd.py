"""`profiles migrate auto | manual` (pb's `pb migrate`): rewrite a project in pb's early layouts
in the current one, into a copy (-d) or in place (--inplace); or list the steps to do by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from profiles_pipeline.cli.options import JsonFlag, ProjectDir
from profiles_pipeline.cli.output import console, handles_errors, print_json

app = typer.Typer(help="Bring a project written in pb's early layouts to the current one (pb's `pb migrate`)."
                  "\n\nExample: profiles migrate auto -p old_project -d new_project", no_args_is_help=True)


def _print(steps, as_json: bool, done: str, extra: dict | None = None) -> None:
    if as_json:
        print_json({"steps": [{"file": s.file, "line": s.line, "what": s.what} for s in steps], **(extra or {})})
        return
    if not steps:
        console.print("Nothing to migrate: the project is in the current layout.")
        return
    for step in steps:
        console.print(f"  - {step}", highlight=False, markup=False)
    console.print(done, highlight=False)


@app.command("auto")
@handles_errors
def auto(
    project_dir: ProjectDir = Path("."),
    destination: Annotated[Path | None, typer.Option("--destination", "-d", help="Write the migrated project "
                           "here (a copy; the project is left as it is). Default: <project>/migrated.")] = None,
    inplace: Annotated[bool, typer.Option("--inplace", help="Rewrite the project's own files instead.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Write into a --destination that is not empty.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Migrate the project: inputs' early layouts move under app_defaults, schema_version is
    brought up to date; comments and key order are kept. The migrated project is validated.

    Example: profiles migrate auto -p old_project -d new_project
    """
    from profiles_pipeline.errors import UserError
    from profiles_pipeline.spec import validate_project
    from profiles_pipeline.spec.migrate import copy_project, migration_steps

    if inplace and destination:
        raise UserError("--inplace and --destination exclude each other: migrate in place, or into a copy")
    target = project_dir if inplace else (destination or project_dir / "migrated")
    if not inplace:
        migration_steps(project_dir)  # a project that cannot be read fails before anything is copied
        copy_project(project_dir, target, force=force)
    steps = migration_steps(target, write_to=target)
    report = validate_project(target)
    problems = [str(p) for p in report.problems]
    _print(steps, as_json, f"migrated {len(steps)} step(s) into {target}"
           + ("" if not problems else f"; validate finds {len(problems)} problem(s): profiles validate -p {target}"),
           {"migrated_to": str(target), "valid": not problems, "problems": problems})
    if problems:
        raise typer.Exit(2)


@app.command("manual")
@handles_errors
def manual(project_dir: ProjectDir = Path("."), as_json: JsonFlag = False) -> None:
    """List what migrating would change, file and line, to do by hand; nothing is written.

    Example: profiles migrate manual -p old_project
    """
    from profiles_pipeline.spec.migrate import migration_steps

    steps = migration_steps(project_dir)
    _print(steps, as_json, f"{len(steps)} step(s); `profiles migrate auto` does them for you")
