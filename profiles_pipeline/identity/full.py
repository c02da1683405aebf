"""Full rebuild: every extracted day → nodes, links, guards, components, main ids.

Work happens in scratch tables; the stores are then swapped in (the public graph is a view
over the node store). The state row is written last by the caller, so a crash before it makes
the next run rebuild again. The history over earlier checkpoints is `history.py`'s job.
"""

from __future__ import annotations

from profiles_pipeline.identity.assign import assigned_nodes_sql, main_ids_sql, ranked_main_ids_sql
from profiles_pipeline.identity.cluster_rules import refuse_links, refused_by_keys
from profiles_pipeline.identity.components import ComponentsResult, connected_components
from profiles_pipeline.identity.guards import (
    degree_sql,
    dropped_sides_sql,
    half_links_sql,
    hub_threshold_sql,
)
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.sqlbits import lit
from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.identity.temporal import kept_intervals


def links_with_guards_sql(plan: StitcherPlan, links: str, names: str, degrees: str, run_id: str) -> str:
    """Links (n1, n2, source, first_seen_at) + drop1/drop2/kept.

    `names` has (node, id_value, id_type); `degrees` (node, degree, hub) for the linked nodes.
    """
    info = f"SELECT n.node, n.id_type, n.id_value, d.hub FROM {names} AS n JOIN {degrees} AS d ON n.node = d.node"
    sides = dropped_sides_sql(plan, half_links_sql(f"SELECT * FROM {links}"), info)
    hubs = f"(SELECT node FROM {degrees} WHERE hub)"
    if sides is None:
        drops, joins = "CAST(NULL AS VARCHAR) AS drop1, CAST(NULL AS VARCHAR) AS drop2", ""
        free = "TRUE"
    else:
        drops = "s1.reason AS drop1, s2.reason AS drop2"
        joins = (
            f" LEFT JOIN ({sides}) AS s1 ON s1.a = l.n1 AND s1.b = l.n2"
            f" LEFT JOIN ({sides}) AS s2 ON s2.a = l.n2 AND s2.b = l.n1"
        )
        free = "s1.reason IS NULL AND s2.reason IS NULL"
    return (
        f"SELECT l.n1, l.n2, l.source, l.first_seen_at, {drops}, "
        f"(l.n1 NOT IN {hubs} AND l.n2 NOT IN {hubs} AND {free}) AS kept, {lit(run_id)} AS decided_run_id "
        f"FROM {links} AS l{joins}"
    )


def apply_cluster_rules(adapter, plan: StitcherPlan, nodes: str, links: str, judged: str, name,
                        decided: str | None = None) -> int:
    """Un-keep the links of `judged` (the guarded links) that the cluster rules refuse, with the
    rule as their reason. Decided over every link the guards keep at some time (`cluster_rules`),
    unless `decided` holds the refusals already, by the ids' values (from the history's pass).
    `name(what)` names the scratch tables."""
    if decided is not None:
        refused = refused_by_keys(adapter, nodes, decided, name("refused"))
    else:
        kept_intervals(adapter, plan, nodes, links, name("ki"), lambda what: name(f"ki{what}"))
        refused = refuse_links(adapter, plan, nodes, name("ki"), name("refused"), lambda what: name(f"ki{what}"))
    if refused:
        adapter.execute(
            f"CREATE OR REPLACE TABLE {name('judged')} AS SELECT l.n1, l.n2, l.source, l.first_seen_at, "
            # a cluster rule refuses the link, not one of its ends: both ends carry the reason, so
            # it reads the same whichever way the link is oriented
            "COALESCE(l.drop1, r.reason) AS drop1, COALESCE(l.drop2, r.reason) AS drop2, "
            "l.kept AND r.n1 IS NULL AS kept, l.decided_run_id "
            f"FROM {judged} AS l LEFT JOIN {name('refused')} AS r ON l.n1 = r.n1 AND l.n2 = r.n2"
        )
        adapter.swap_in(name("judged"), judged)
    for what in ("ki", "refused"):
        adapter.execute(f"DROP TABLE IF EXISTS {name(what)}")
    return refused


def build_graph(adapter, plan: StitcherPlan, n0: str, l2: str, run_id: str, name,
                refused: str | None = None, ranked: bool = False) -> ComponentsResult:
    """From nodes `n0` (node, id_value, id_type, first_seen_at) and links `l2` (n1, n2, source,
    first_seen_at), closed under links, build `name('nodes')` and `name('links')` in the stores'
    layouts: degrees, hubs, maximum_edges, cluster rules, components and main ids. `ranked`:
    `n0`'s keys are ranked by (first_seen_at, type, value) (`graph_input`), so a cluster's
    smallest key, its label, is its earliest id."""
    # Degrees and hub flags of the linked nodes only: integers, so the ids' strings are not copied again.
    deg = name("deg")
    adapter.execute(
        f"CREATE OR REPLACE TEMP TABLE {deg} AS SELECT d.node, d.degree, d.degree > {hub_threshold_sql(plan, 'n.id_type')} AS hub "
        f"FROM ({degree_sql('SELECT n1, n2 FROM ' + l2)}) AS d JOIN {n0} AS n ON d.node = n.node"
    )
    adapter.execute(f"CREATE OR REPLACE TABLE {name('links')} AS {links_with_guards_sql(plan, l2, n0, deg, run_id)}")
    if plan.cluster_limits():
        apply_cluster_rules(adapter, plan, n0, l2, name("links"), name, refused)
    cc = connected_components(adapter, f"SELECT n1 AS a, n2 AS b FROM {name('links')} WHERE kept", name("labels"),
                              name("cc"), temp=True)
    nodes = (
        "SELECT n.node, n.id_value, n.id_type, n.first_seen_at, COALESCE(d.degree, 0) AS degree, "
        f"COALESCE(d.degree, 0) > {hub_threshold_sql(plan, 'n.id_type')} AS hub FROM {n0} AS n LEFT JOIN {deg} AS d ON n.node = d.node"
    )
    labels = f"SELECT * FROM {name('labels')}"
    mains = ranked_main_ids_sql(plan, n0, name("labels")) if ranked else main_ids_sql(plan, f"SELECT * FROM {n0}", labels)
    adapter.execute(f"CREATE OR REPLACE TEMP TABLE {name('mk')} AS {mains}")
    adapter.execute(f"CREATE OR REPLACE TABLE {name('nodes')} AS {assigned_nodes_sql(plan, nodes, labels, name('mk'), run_id)}")
    for what in ("deg", "labels", "mk"):
        adapter.execute(f"DROP TABLE IF EXISTS {name(what)}")
    return cc


def full_rebuild(adapter, plan: StitcherPlan, run_id: str, graph: tuple[str, str],
                 refused: str | None = None) -> ComponentsResult:
    """Rebuild the head stores from `graph`, the (nodes, links) of `graph_input.build_graph_input`
    as of the head's end time. Returns the components run. `refused`: the cluster rules'
    refusals as of that time by values, when already decided."""
    t = StitcherTables.of(plan)
    w = t.work
    nodes, links = graph
    cc = build_graph(adapter, plan, nodes, links, run_id, w, refused, ranked=True)
    with adapter.transaction():
        adapter.swap_in(w("links"), t.links)
        adapter.swap_in(w("nodes"), t.nodes)
    return cc
