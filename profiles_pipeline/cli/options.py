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
