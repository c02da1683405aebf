"""What readers see: every relation a run publishes, none of its scratch or rebuild inputs.

The copy readers open (see `WarehouseAdapter.publish_for_readers`) holds the published outputs
(id graph, feature views, cohorts, feature tables), the history and snapshots, the audit and
merge logs and the stores the look-ups read; it leaves out the inputs (read them where they
are), the extracted edges (only a rebuild reads them), the rows views over the inputs and
scratch names.
"""

from __future__ import annotations

import re

from profiles_pipeline.pipeline.leftovers import LEFTOVER
from profiles_pipeline.warehouse.base import WarehouseAdapter

#: Edges, rows views and var passes (with a level or time grain suffix: `__vars_1`, `__rows_month`,
#: `__vars_below_1`), which only the next run reads.
_NOT_FOR_READERS = re.compile(r"__(day_edges|rows(_\w+)?|vars(_\w+)?)$")


def reader_relations(adapter: WarehouseAdapter, input_tables: set[str]) -> list[str]:
    inputs = {t.lower() for t in input_tables}
    return [
        name for name in adapter.list_tables()
        if name not in inputs and not LEFTOVER.search(name) and not _NOT_FOR_READERS.search(name)
    ]
