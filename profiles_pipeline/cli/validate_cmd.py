"""`profiles validate`: the spec checks, then (when they pass) the warehouse checks."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from profiles_pipeline.cli.options import JsonFlag, ProjectDir, SiteconfigPath, Target
from profiles_pipeline.cli.output import console, err_console, handles_errors, print_json


class Aspect(StrEnum):
    access = "access"


@handles_errors
def validate(
    aspect: Annotated[Aspect | None, typer.Argument(help="`access`: only check what the connection's role may "
                      "do (pb's `pb validate access`): read every input, create and drop a table and a view.",
                      show_default=False)] = None,
    project_dir: ProjectDir = Path("."),
    siteconfig_path: SiteconfigPath = None,
    target: Target = None,
    as_json: JsonFlag = False,
    no_warehouse: Annotated[bool, typer.Option("--no-warehouse", help="Only check the YAML; do "
                            "not open the warehouse.")] = False,
    output: Annotated[Path | None, typer.Option("--output", help="With `access`: write the grant statements "
                      "that would fix what failed into this file (pb's --output).")] = None,
) -> None:
    """Check the project: YAML, keys, references, cycles, SQL snippets; then the warehouse:
    the connection opens, every input's rows are found, the columns the YAML names exist.
    Reports every problem at once; exit 2 when there is any.

    Example: profiles validate -p my_project --json
    """
    if aspect is Aspect.access:
        _validate_access(project_dir, as_json, output)
        return
    from profiles_pipeline.cli.warehouse_checks import check_warehouse
    from profiles_pipeline.spec import validate_project
    from profiles_pipeline.warehouse.connections import resolve_connection

    report = validate_project(project_dir)
    problems = list(report.problems)
    warehouse = None
    if report.ok and not no_warehouse:
        connection = resolve_connection(report.project.root, report.project.config.connection)
        warehouse = check_warehouse(report.project, connection)
        problems += warehouse.problems
    if as_json:
        print_json({
            "valid": not problems,
            "project_dir": str(project_dir),
            "problems": [p.as_dict() for p in problems],
            "summary": report.summary,
            "warehouse": warehouse.as_dict() if warehouse else None,
        })
    elif problems:
        err_console.print(f"[bold red]error:[/] {len(problems)} problem(s) in {project_dir}")
        for problem in problems:
            err_console.print(f"  [red]-[/] {problem}", highlight=False, soft_wrap=True)
    else:
        console.print(_summary(report.summary, project_dir, warehouse))
    if problems:
        raise typer.Exit(2)


def _summary(summary: dict, project_dir: Path, warehouse) -> Table:
    from profiles_pipeline.cli.warehouse_checks import short_relation

    table = Table(title=f"Project {summary.get('name', project_dir)} is valid", show_header=False)
    for key, value in summary.items():
        if key == "ignored_ids":
            table.add_row("ids left out", f"{_figure(value)} (as pb does: their entity does not list their type)")
        elif key != "name":
            table.add_row(key.replace("_", " "), _figure(value))
    if warehouse is None:
        table.add_row("warehouse", "not checked (--no-warehouse)")
        return table
    table.add_row("warehouse", f"{warehouse.engine}: {warehouse.location}")
    if warehouse.latest_event:
        from profiles_pipeline.instants import format_instant

        as_of = (f"as of now (input {warehouse.untimed_input} has no event time)" if warehouse.untimed_input
                 else "as of the latest event")
        table.add_row("events", f"{warehouse.first_day} → {format_instant(warehouse.latest_event)}; "
                      f"`profiles run` computes {as_of}")
    for name, found in warehouse.inputs.items():
        table.add_row(f"input {name}", f"{len(found.columns)} columns in {short_relation(found.relation or '')}")
    return table


def _figure(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)


def _validate_access(project_dir: Path, as_json: bool, output: Path | None) -> None:
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.access_check import check_access

    loaded = project_loading.load(project_dir, quiet=as_json)
    checks = check_access(loaded)
    failed = [c for c in checks if not c.ok]
    grants = list(dict.fromkeys(c.grant for c in failed if c.grant))
    if output:
        output.write_text("".join(f"{g}\n" for g in grants) or "-- nothing to grant\n", encoding="utf-8")
    if as_json:
        print_json({"ok": not failed, "checks": [c.as_dict() for c in checks], "grants": grants,
                    "output": str(output) if output else None})
    else:
        table = Table(title=f"Access of the connection {loaded.connection.name or ''}".rstrip())
        for col in ("check", "on", "result"):
            table.add_column(col)
        for c in checks:
            table.add_row(c.what, c.target, "[green]ok[/]" if c.ok else f"[red]refused[/]: {c.detail}")
        console.print(table)
        for g in grants if not output else ():
            console.print(f"to fix: {g}", highlight=False, markup=False)
        if output:
            console.print(f"wrote {len(grants)} grant statement(s) to {output}", highlight=False)
    if failed:
        raise typer.Exit(2)
