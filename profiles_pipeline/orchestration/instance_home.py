"""The Dagster instance folder (DAGSTER_HOME) a project's runs are recorded in.

`profiles run` and `profiles ui` share `<project>/data/dagster_home` by default, so runs
started from the terminal show up in the UI. The instance settings are the shipped
`dagster.yaml` (queued runs, one run at a time per warehouse pool)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DAGSTER_YAML = Path(__file__).parent / "dagster.yaml"


def dagster_home_for(project_root: Path, home: Path | None = None) -> Path:
    """`home`, else $DAGSTER_HOME, else `<project>/data/dagster_home`; created, with dagster.yaml."""
    chosen = home or (Path(os.environ["DAGSTER_HOME"]) if os.environ.get("DAGSTER_HOME") else None)
    resolved = (chosen or project_root / "data" / "dagster_home").resolve()
    resolved.mkdir(parents=True, exist_ok=True)
    if not (resolved / "dagster.yaml").exists():
        shutil.copy(DAGSTER_YAML, resolved / "dagster.yaml")
    return resolved
