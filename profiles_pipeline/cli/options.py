"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        "-p",
        help="Project folder holding pb_project.yaml.",
        envvar="PROFILES_PROJECT_DIR",
        show_default=True,
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
