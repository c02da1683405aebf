"""Which days are partitions: from `partitions_start` (else the earliest event's day) through
today, or through the latest event's day when the data runs ahead of the clock.

Dagster needs the span when it loads the project, possibly while a run holds the DuckDB file,
so runs remember each input's first and last day in `<project>/data/partitions.json`; a project
never run is read directly (its files, or its warehouse read-only).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from profiles_pipeline.instants import now

MEMORY = Path("data") / "partitions.json"


@dataclass(frozen=True)
class PartitionSpan:
    first: date
    #: The latest event's day (None: unknown); partitions run through it even if it is after today.
    last: date | None = None


def memory_path(project) -> Path:
    return project.root / MEMORY


def remembered(project) -> dict[str, dict[str, date]]:
    """{"first": {input: day}, "last": {input: day}} as the runs left it."""
    try:
        data = json.loads(memory_path(project).read_text(encoding="utf-8"))
        return {key: {n: date.fromisoformat(d) for n, d in data.get(f"{key}_day_by_input", {}).items()}
                for key in ("first", "last")}
    except (OSError, ValueError, AttributeError):
        return {"first": {}, "last": {}}


def remember(project, first_days: dict[str, date], last_days: dict[str, date] | None = None) -> None:
    """Widen the remembered span of these inputs to these first (and last) days (written atomically)."""
    data = remembered(project)
    for name, day in first_days.items():
        data["first"][name] = min(day, data["first"].get(name, day))
    for name, day in (last_days or {}).items():
        data["last"][name] = max(day, data["last"].get(name, day))
    path = memory_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({f"{key}_day_by_input": {k: v.isoformat() for k, v in sorted(data[key].items())}
                       for key in ("first", "last")}, indent=2)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".partitions-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    os.replace(tmp, path)


def remember_days(project, days) -> None:
    """Remember the span of these `InputDay`s, per input."""
    first: dict[str, date] = {}
    last: dict[str, date] = {}
    for d in days:
        if d.day is not None:
            first[d.input] = min(first.get(d.input, d.day), d.day)
            last[d.input] = max(last.get(d.input, d.day), d.day)
    remember(project, first, last)


def partition_span(project, adapter=None) -> PartitionSpan:
    """The span of the daily partitions (see the module's docstring)."""
    known = remembered(project)
    names = {i.name for i in project.inputs}
    if names and names <= set(known["first"]):
        first = min(known["first"][n] for n in names)
        last = max((known["last"][n] for n in names if n in known["last"]), default=None)
    else:
        first, last = _read(project, adapter)
        if first is None:
            first = min(known["first"].values()) if known["first"] else now().date()
    return PartitionSpan(project.config.partitions_start or first, last)


def _read(project, adapter) -> tuple[date | None, date | None]:
    from profiles_pipeline.errors import ProfilesError
    from profiles_pipeline.pipeline.input_days import first_day, read_input_days

    def span(days):
        found = [d.day for d in days if d.day is not None]
        return (first_day(days), max(found)) if found else (None, None)

    try:
        if adapter is not None:
            return span(read_input_days(adapter, project))
        with _ReadOnly(project) as opened:
            return span(read_input_days(opened, project)) if opened else (None, None)
    except ProfilesError:
        return None, None


class _ReadOnly:
    """The project's warehouse for reading, or None when it cannot be opened now."""

    def __init__(self, project):
        self.project = project
        self.adapter = None

    def __enter__(self):
        from profiles_pipeline.warehouse.connections import resolve_connection
        from profiles_pipeline.warehouse.registry import adapter_class

        resolved = resolve_connection(self.project.root, self.project.config.connection)
        try:
            self.adapter = adapter_class(resolved.config.type).open_read_only(resolved.config)
        except Exception:  # noqa: BLE001 - locked, unreachable: the caller falls back
            self.adapter = None
        return self.adapter

    def __exit__(self, *exc) -> None:
        if self.adapter is not None:
            self.adapter.close()
