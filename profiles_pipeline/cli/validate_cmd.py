"""`profiles validate` and `profiles schema`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from profiles_pipeline.cli.options import JsonFlag, ProjectDir
from profiles_pipeline.cli.output import console, err_console, handles_errors, print_json


@handles_errors
def validate(project_dir: ProjectDir = Path("."), as_json: JsonFlag = False) -> None:
    """Check the project: YAML, keys, references, cycles and SQL snippets. Reports every problem.

    Example: profiles validate -p config
    """
    from profiles_pipeline.spec import validate_project

    report = validate_project(project_dir)
    if as_json:
        print_json(
            {
                "valid": not report.problems,
                "project_dir": str(project_dir),
                "problems": [p.as_dict() for p in report.problems],
                "summary": report.summary,
            }
        )
        if report.problems:
            raise typer.Exit(2)
        return
    if report.problems:
        err_console.print(
            f"[bold red]error:[/] {len(report.problems)} problem(s) in {project_dir}"
        )
        for problem in report.problems:
            err_console.print(f"  [red]-[/] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    table = Table(title=f"Project {report.summary.get('name', project_dir)} is valid", show_header=False)
    for key, value in report.summary.items():
        if key != "name":
            table.add_row(key.replace("_", " "), _figure(value))
    console.print(table)


@handles_errors
def schema() -> None:
    """Print the JSON Schema of the project files, for editor autocompletion.

    Example: profiles schema > profiles.schema.json
    """
    from profiles_pipeline.spec import project_json_schema

    print_json(project_json_schema())


def _figure(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
    return str(value)
