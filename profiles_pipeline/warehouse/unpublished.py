"""A run that wrote the warehouse but did not publish readers' copy: noted in a file beside it.

A run's steps commit one after another; readers see none of it until the run's end publishes
the copy (`WarehouseAdapter.publish_for_readers`). A run killed after its last data step (its
features done, views or checks not) leaves the warehouse ahead of the copy, and the next run's
plan sees nothing new. So the first step of a run writes `<file>.unpublished` naming the run, and
a run that publishes removes it: while it is there, the next `profiles run` runs the last day
again and publishes, instead of saying "nothing new". The note is a file, not a table, so it is
written before the warehouse is opened and read by the planner under the writer lock.
"""

from __future__ import annotations

import json
import time
from pathlib import Path


def marker_path(database: str | Path) -> Path:
    return Path(f"{database}.unpublished")


def note(database: str | Path, run_id: str) -> None:
    """`run_id` writes the warehouse; an earlier unpublished run keeps its `since`."""
    earlier = pending(database) or {}
    marker_path(database).write_text(json.dumps(
        {"run_id": run_id, "since": earlier.get("since", time.time()),
         "earlier_run_ids": [*earlier.get("earlier_run_ids", []), *([earlier["run_id"]] if earlier else [])]}),
        encoding="utf-8")


def pending(database: str | Path) -> dict | None:
    """The note of the last run that wrote without publishing ({"run_id", "since"}), or None."""
    try:
        return json.loads(marker_path(database).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"run_id": "unknown", "since": 0}


def clear(database: str | Path) -> None:
    marker_path(database).unlink(missing_ok=True)
