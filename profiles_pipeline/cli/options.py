"""Options shared by several commands, declared once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        "-p",
        "--pb_project_path",
        help="Project folder holding pb_project.yaml.",
        envvar="PROFILES_PROJECT_DIR",
        show_default=True,
    ),
]

def _exported(variable: str):
    """An option whose value the whole process sees (the connection is resolved in several
    places, Dagster's code location among them), through the environment variable it is read from."""

    def export(value):
        if value is not None:
            os.environ[variable] = str(value)
        return value

    return export


SiteconfigPath = Annotated[
    Path | None,
    typer.Option(
        "--siteconfig_path", "--siteconfig-path", "-c",
        help="The siteconfig.yaml to read connections from (pb's -c); default: the project's, then ~/.pb's.",
        envvar="PROFILES_SITECONFIG", callback=_exported("PROFILES_SITECONFIG"),
    ),
]
Target = Annotated[
    str | None,
    typer.Option(
        "--target", "-t",
        help="The output of the connection to use (pb's -t); default: the connection's `target`.",
        envvar="PROFILES_TARGET", callback=_exported("PROFILES_TARGET"),
    ),
]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]

EndTime = Annotated[
    str | None,
    typer.Option(
        "--end-time", "--end_time",
        help="Compute as of this instant: a date (2026-01-31 = the end of that day), a timestamp "
        "(2026-01-31T12:00:00, with or without a zone) or a Unix epoch. Default: the latest event "
        "across the inputs.",
    ),
]
BeginTime = Annotated[
    str | None,
    typer.Option(
        "--begin-time", "--begin_time",
        help="Read only rows from this instant on (pb's --begin_time): a date (its start), a "
        "timestamp or a Unix epoch. Rebuilds everything from that day in one run.",
    ),
]
