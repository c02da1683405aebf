"""The id graph's invariant "one main id per identifier", checked on what a run wrote.

The node store holds one row per (value, type), and each row one main id; a second row for an
identifier could only come from a run that wrote one. So a run checks the identifiers whose
rows it wrote (every one after a rebuild, a day's worth after an incremental day) against the
whole store: the same verdict as grouping the whole graph, without reading all of it daily.
"""

from __future__ import annotations

from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.warehouse.sqltree import rows


def several_main_ids(adapter, t: StitcherTables, run_id: str) -> tuple[int, int]:
    """(identifiers with more than one row or main id, identifiers checked): those whose rows
    in `t`'s node store run `run_id` wrote."""
    found = rows(adapter, """WITH mine AS (SELECT DISTINCT id_value, id_type FROM nodes WHERE decided_run_id = :run)
        SELECT (SELECT COUNT(*) FROM mine),
               (SELECT COUNT(*) FROM (SELECT n.id_value, n.id_type FROM nodes AS n
                  JOIN mine AS m ON n.id_value = m.id_value AND n.id_type = m.id_type
                  GROUP BY n.id_value, n.id_type HAVING COUNT(*) > 1 OR COUNT(DISTINCT n.main_id) > 1) AS d)""",
                 {"nodes": t.nodes}, run=run_id)
    checked, bad = found[0]
    return int(bad or 0), int(checked or 0)
