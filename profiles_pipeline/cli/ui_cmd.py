"""`profiles ui`: the Dagster UI (webserver + daemon) on the project, via `dagster dev`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from profiles_pipeline.cli.options import ProjectDir
from profiles_pipeline.cli.output import console, handles_errors
from profiles_pipeline.errors import UserError
from profiles_pipeline.orchestration.instance_home import dagster_home_for  # noqa: E402

CODE_LOCATION = "profiles_pipeline.orchestration.code_location"


def dagster_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "dagster", "dev", "-m", CODE_LOCATION, "-h", host, "-p", str(port)]


@handles_errors
def ui(
    project_dir: ProjectDir = Path("."),
    port: Annotated[int, typer.Option("--port", help="Port of the web UI.")] = 3000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    dagster_home: Annotated[Path | None, typer.Option("--dagster-home", envvar="DAGSTER_HOME",
                            help="Dagster instance folder. Default: <project>/data/dagster_home.")] = None,
) -> None:
    """Start the Dagster UI (webserver and daemon: schedule, sensor, run queue) on the project.
    Stops with Ctrl-C.

    Example: profiles ui -p my_project --port 3000
    """
    from profiles_pipeline.spec import load_project

    project = load_project(project_dir)  # a broken project fails here, with its problems listed
    if not 0 < port < 65536:
        raise UserError(f"--port {port} is not a port number (1-65535)")
    home = dagster_home_for(project.root, dagster_home)
    env = {**os.environ, "PROFILES_PROJECT_DIR": str(project.root), "DAGSTER_HOME": str(home)}
    console.print(f"Dagster UI for [bold]{project.name}[/] on [bold]http://{host}:{port}[/] "
                  f"(DAGSTER_HOME={home}); Ctrl-C stops it.", highlight=False)
    proc = subprocess.Popen(dagster_command(host, port), env=env, cwd=project.root)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        code = proc.wait()
    if code not in (0, -signal.SIGINT, -signal.SIGTERM, 130):
        raise typer.Exit(1)
