"""Cluster labels → stable main ids, and the merge log that follows from old → new main ids.

A cluster's main id is md5('<entity>' \\x01 '<id_type>' \\x01 '<id_value>') of its earliest id
(first seen, then type, then value): a pure function of the cluster's members, so incremental
and full runs agree and a merge keeps the older cluster's id.
"""

from __future__ import annotations

from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.sqlbits import lit


def main_ids_sql(plan: StitcherPlan, names_sql: str, labels_sql: str) -> str:
    """(comp, main_id) per cluster, from `names_sql` (node, id_value, id_type, first_seen_at).

    `labels_sql` (node, label) covers the linked nodes; the others are their own cluster. The
    earliest time per cluster is found on integers and timestamps alone; only the few ids
    seen at that time have their strings read.
    """
    comps = (
        f"SELECT n.node, COALESCE(l.label, n.node) AS comp, n.first_seen_at FROM ({names_sql}) AS n "
        f"LEFT JOIN ({labels_sql}) AS l ON n.node = l.node"
    )
    return (
        f"WITH c AS ({comps}), cm AS (SELECT comp, MIN(first_seen_at) AS fs FROM c GROUP BY comp), "
        "e AS (SELECT c.node, c.comp FROM c JOIN cm ON c.comp = cm.comp AND c.first_seen_at = cm.fs) "
        f"SELECT e.comp, md5({lit(plan.entity)} || chr(1) || MIN(n.id_type || chr(1) || n.id_value)) AS main_id "
        f"FROM e JOIN ({names_sql}) AS n ON e.node = n.node GROUP BY e.comp"
    )


def ranked_main_ids_sql(plan: StitcherPlan, nodes: str, labels: str) -> str:
    """`main_ids_sql` for nodes whose keys are ranked by (first_seen_at, type, value): a cluster's
    label (its smallest key) is then its earliest id, so its main id is that node's own, found
    by key instead of grouping the cluster's strings. `labels` (node, label) covers the linked
    nodes; a node that is not someone else's is the earliest of its cluster."""
    return (
        f"SELECT n.node AS comp, md5({lit(plan.entity)} || chr(1) || n.id_type || chr(1) || n.id_value) AS main_id "
        f"FROM {nodes} AS n WHERE n.node NOT IN (SELECT node FROM {labels} WHERE label <> node)"
    )


def assigned_nodes_sql(plan: StitcherPlan, nodes_sql: str, labels_sql: str, main_ids: str, run_id: str) -> str:
    """Nodes (node, id_value, id_type, first_seen_at, degree, hub) with comp and main_id added.

    `main_ids` is a table built from `main_ids_sql` over the same nodes and labels.
    """
    return (
        "SELECT n.node, n.id_value, n.id_type, n.first_seen_at, n.degree, n.hub, m.comp, m.main_id, "
        f"{lit(run_id)} AS decided_run_id FROM ({nodes_sql}) AS n LEFT JOIN ({labels_sql}) AS l "
        f"ON n.node = l.node JOIN {main_ids} AS m ON COALESCE(l.label, n.node) = m.comp"
    )


def graph_rows_sql(plan: StitcherPlan, nodes_sql: str) -> str:
    """The public id graph: one row per (other_id, other_id_type), with pb's columns. `valid_at`
    is the id's first-seen time (pb's depends on the order it merged clusters in; see DESIGN);
    `first_seen_at` is pb's column of the same name."""
    return (
        f"SELECT main_id AS {plan.main_id_column}, id_value AS other_id, id_type AS other_id_type, "
        f"first_seen_at AS valid_at, first_seen_at FROM ({nodes_sql}) AS _n"
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
