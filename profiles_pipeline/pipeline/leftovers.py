"""What an interrupted run leaves in the warehouse, found by name, dropped in one place.

Builds go through scratch names that a finished run drops or renames: staging tables
(`<name>__staging_<id>`, `<var table>__next`), the stitcher's work tables (`<stitcher>__w_*`),
views that describe a query (`profiles_describe_*`), the graph as of an instant (`*__as_of`); a publish
of readers' copy writes a staging file first. A run killed half-way leaves some; the first step of the next run drops them and says which.
"""

from __future__ import annotations

import re

from profiles_pipeline.warehouse.base import WarehouseAdapter

LEFTOVER = re.compile(r"(__staging_[0-9a-f]{8}$|__next$|__w_|^profiles_describe_[0-9a-f]{8}$|__as_of$)")


def leftovers(adapter: WarehouseAdapter) -> list[str]:
    return [name for name in adapter.list_tables() if LEFTOVER.search(name)]


def drop_leftovers(adapter: WarehouseAdapter) -> list[str]:
    """Drop the leftovers of interrupted runs (and the staging file of a publish cut short);
    returns their names."""
    found = leftovers(adapter)
    for name in found:
        adapter.drop(name)
    return found + adapter.drop_unfinished_copies()
