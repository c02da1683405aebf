"""Cluster labels → stable main ids, and the merge log that follows from old → new main ids.

A cluster's main id is md5('<entity>' \\x01 '<id_type>' \\x01 '<id_value>') of its earliest id
(first seen, then type, then value): a pure function of the cluster's members, so incremental
and full runs agree and a merge keeps the older cluster's id.
"""

from __future__ import annotations

from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.sqlbits import lit


def assigned_nodes_sql(plan: StitcherPlan, nodes_sql: str, labels_sql: str, run_id: str) -> str:
    """Nodes (node, id_value, id_type, first_seen_at, degree, hub) with comp and main_id added.

    `labels_sql` (node, label) covers the linked nodes; the others are their own cluster.
    """
    key = "x.id_type || chr(1) || x.id_value"
    return (
        f"WITH x AS (SELECT n.node, n.id_value, n.id_type, n.first_seen_at, n.degree, n.hub, "
        f"COALESCE(l.label, n.node) AS comp FROM ({nodes_sql}) AS n LEFT JOIN ({labels_sql}) AS l "
        "ON n.node = l.node), "
        "cm AS (SELECT comp, MIN(first_seen_at) AS fs FROM x GROUP BY comp), "
        f"mk AS (SELECT x.comp, md5({lit(plan.entity)} || chr(1) || MIN({key})) AS main_id FROM x JOIN cm "
        "ON x.comp = cm.comp AND x.first_seen_at = cm.fs GROUP BY x.comp) "
        "SELECT x.node, x.id_value, x.id_type, x.first_seen_at, x.degree, x.hub, x.comp, "
        f"mk.main_id, {lit(run_id)} AS decided_run_id FROM x JOIN mk ON x.comp = mk.comp"
    )


def graph_rows_sql(plan: StitcherPlan, nodes_sql: str) -> str:
    """The public id graph: one row per (other_id, other_id_type)."""
    return (
        f"SELECT main_id AS {plan.main_id_column}, id_value AS other_id, id_type AS other_id_type, "
        f"first_seen_at AS valid_at FROM ({nodes_sql}) AS _n"
    )


def merges_sql(old_sql: str, new_sql: str, end_time_sql: str, run_id: str, keys: tuple[str, ...] = ("id_value", "id_type")) -> str:
    """Distinct (old main id → new main id) pairs of ids whose main id changed.

    Both inputs have `keys` (the id's value and type, or its node key when both sides number
    nodes alike) and main_id. Covers merges and, after a guard newly splits a cluster or a
    late event changes its earliest id, the re-labelled part too.
    """
    on = " AND ".join(f"o.{k} = n.{k}" for k in keys)
    return (
        "SELECT DISTINCT o.main_id AS old_main_id, n.main_id AS new_main_id, "
        f"{end_time_sql} AS merged_at, {lit(run_id)} AS run_id "
        f"FROM ({old_sql}) AS o JOIN ({new_sql}) AS n ON {on} WHERE o.main_id <> n.main_id"
    )
