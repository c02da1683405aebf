"""Plans computed once per run, not once per step: every step of a run shares them.

A run's steps execute one after another in one process (the in-process executor), so a small
map keyed by the run id is enough; the entries of the previous run are dropped when a new run
starts. A plan depends only on (project, end_time, the warehouse's catalog), none of which a
run's own steps change in a way planning reads."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_run: list[str | None] = [None]
_entries: dict[Hashable, object] = {}


def cached(run_id: str, key: Hashable, build: Callable[[], T]) -> T:
    if _run[0] != run_id:
        _run[0] = run_id
        _entries.clear()
    if key not in _entries:
        _entries[key] = build()
    return _entries[key]  # type: ignore[return-value]
