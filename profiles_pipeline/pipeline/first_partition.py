"""The first daily partition: `partitions_start`, else the day of the earliest event.

Dagster needs it when it loads the project, possibly while a run holds the DuckDB file, so
runs remember each input's first day in `<project>/data/partitions.json`; a project never run
is read directly (its files, or its warehouse read-only).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path

from profiles_pipeline.instants import now

MEMORY = Path("data") / "partitions.json"


def memory_path(project) -> Path:
    return project.root / MEMORY


def remembered(project) -> dict[str, date]:
    path = memory_path(project)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {name: date.fromisoformat(day) for name, day in data.get("first_day_by_input", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def remember(project, first_days: dict[str, date]) -> None:
    """Merge these inputs' first days into the memory (written atomically)."""
    data = {**remembered(project), **first_days}
    path = memory_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"first_day_by_input": {k: v.isoformat() for k, v in sorted(data.items())}}, indent=2)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".partitions-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def first_partition(project, adapter=None) -> date:
    """`partitions_start`; else the earliest first day of the inputs (remembered, else read with
    `adapter` or a read-only connection); today when there are no events at all."""
    if project.config.partitions_start:
        return project.config.partitions_start
    known = remembered(project)
    names = {i.name for i in project.inputs}
    if names and names <= set(known):
        return min(known[n] for n in names)
    found = _read(project, adapter)
    if found:
        return found
    return min(known.values()) if known else now().date()


def _read(project, adapter) -> date | None:
    from profiles_pipeline.errors import ProfilesError
    from profiles_pipeline.pipeline.input_days import first_day, read_input_days

    try:
        if adapter is not None:
            return first_day(read_input_days(adapter, project))
        with _read_only(project) as opened:
            return first_day(read_input_days(opened, project)) if opened else None
    except ProfilesError:
        return None


class _read_only:
    """The project's warehouse for reading, or None when it cannot be opened now."""

    def __init__(self, project):
        self.project = project
        self.adapter = None

    def __enter__(self):
        from profiles_pipeline.warehouse.connection_config import DuckDBConnectionConfig
        from profiles_pipeline.warehouse.connections import open_adapter, resolve_connection

        resolved = resolve_connection(self.project.root, self.project.config.connection)
        try:
            if isinstance(resolved.config, DuckDBConnectionConfig):
                import duckdb

                from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

                path = Path(resolved.config.path)
                con = duckdb.connect(str(path), read_only=True) if path.exists() else duckdb.connect()
                self.adapter = DuckDBAdapter(path if path.exists() else ":memory:", connection=con)
            else:
                self.adapter = open_adapter(resolved)
        except Exception:  # noqa: BLE001 - locked, unreachable: the caller falls back
            self.adapter = None
        return self.adapter

    def __exit__(self, *exc) -> None:
        if self.adapter is not None:
            self.adapter.close()
