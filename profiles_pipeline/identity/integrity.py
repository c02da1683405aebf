"""The id graph's invariant "one main id per identifier", checked on what a run wrote.

The node store holds one row per (value, type), and each row one main id, so an identifier with
several main ids is an identifier with several rows; a second row could only come from a run
that wrote one. So a run checks the identifiers whose
rows it wrote (every one after a rebuild, a day's worth after an incremental day) against the
whole store: the same verdict as grouping the whole graph, without reading all of it daily.
"""

from __future__ import annotations

from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.warehouse.sqltree import rows


def several_main_ids(adapter, t: StitcherTables, run_id: str) -> tuple[int, int]:
    """(identifiers with more than one row, identifiers checked): those whose rows in `t`'s node
    store run `run_id` wrote. When that is most of the store (a rebuild), one grouping of the
    whole store is cheaper than matching the run's rows against it."""
    tab = {"nodes": t.nodes}
    mine, total = rows(adapter, "SELECT COUNT(CASE WHEN decided_run_id = :run THEN 1 END), COUNT(*) FROM nodes",
                       tab, run=run_id)[0]
    mine, total = int(mine or 0), int(total or 0)
    if not mine:
        return 0, 0
    if 4 * mine >= total:
        grouped = "SELECT id_value, id_type FROM nodes GROUP BY id_value, id_type HAVING COUNT(*) > 1"
    else:
        grouped = """SELECT n.id_value, n.id_type FROM nodes AS n
            JOIN (SELECT DISTINCT id_value, id_type FROM nodes WHERE decided_run_id = :run) AS m
              ON n.id_value = m.id_value AND n.id_type = m.id_type
            GROUP BY n.id_value, n.id_type HAVING COUNT(*) > 1"""
    bad = rows(adapter, f"SELECT COUNT(*) FROM ({grouped}) AS d", tab, run=run_id)[0][0]
    checked = total if 4 * mine >= total else mine
    return int(bad or 0), checked
