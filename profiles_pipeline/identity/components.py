"""Connected components in SQL by randomized contraction (Bögeholz et al., ICDE 2020).

Each pass gives every vertex a fresh pseudo-random rank `h(v) = (v*a + b) mod p` (a bijection
on [0, p)), maps every vertex to the smallest rank in its closed neighbourhood, and contracts
the edges through that map (dropping self-loops and duplicates). The edge set shrinks by a
constant factor per pass in expectation, so any graph, a 100,000-long chain included,
converges in O(log n) passes; each pass strictly merges vertices, so the loop always ends.
Labels are then resolved backwards through the per-pass maps in one join per pass.

Why this one: every pass is one GROUP BY and two hash joins over a shrinking table, which is
what DuckDB and Snowflake are fastest at; large-star/small-star needs more statements per
pass and O(log² n) passes on paths.

On an engine whose data is in this process (DuckDB: `WarehouseAdapter.data_in_process`) the
edges go to scipy's union-find-like `connected_components` over integer arrays instead: one
scan out and one table back, several times faster than a dozen SQL passes (`bench/e2e.py`).
The labels are the same (the smallest node of each component), which the tests check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from profiles_pipeline.errors import ProfilesError
from profiles_pipeline.warehouse.sqltree import drop, run

P = 2_147_483_647  # 2^31 - 1, prime: v*a stays below 2^62 for v, a < p.
#: Not an iteration cap: contraction must converge in far fewer passes; exceeding this is a bug.
SAFETY_PASSES = 500


@dataclass(frozen=True)
class ComponentsResult:
    table: str  # (node BIGINT, label BIGINT): label = smallest node of the component
    passes: int
    converged: bool
    nodes: int


def connected_components(
    adapter, edges_sql: str, out_table: str, work_prefix: str, seed: int = 0, prime: int = P, temp: bool = False,
    in_sql: bool | None = None,
) -> ComponentsResult:
    """Label every node that appears in `edges_sql` (columns a, b: BIGINT node keys < `prime`).

    Nodes without edges are not in the output; callers give them their own label. `prime` is
    a parameter only so tests can force rank collisions across passes. `temp` makes the work
    tables session-only TEMP tables: never written to the log, so small runs pay no commit syncs.
    `in_sql`: force the SQL passes (True) or the arrays (False); by default the arrays where
    the engine's data is in this process.
    """
    if in_sql is False or (in_sql is None and adapter.data_in_process):
        return _in_process(adapter, edges_sql, out_table, temp)
    rng = random.Random(seed)
    create = "CREATE OR REPLACE TEMP TABLE" if temp else "CREATE OR REPLACE TABLE"
    e0 = f"{work_prefix}_e0"
    run(adapter, f"""{create} e0 AS SELECT DISTINCT s, d FROM (
        SELECT a AS s, b AS d FROM ({edges_sql}) AS _x WHERE a <> b
        UNION ALL SELECT b AS s, a AS d FROM ({edges_sql}) AS _y WHERE a <> b) AS _u""", {"e0": e0})
    maps: list[str] = []
    edges, passes = e0, 0
    while adapter.row_count(edges) > 0:
        if passes >= SAFETY_PASSES:
            raise ProfilesError(f"connected components did not converge after {passes} passes (a bug)")
        a, b = rng.randrange(1, prime), rng.randrange(0, prime)
        m, nxt = f"{work_prefix}_m{passes}", f"{work_prefix}_e{passes + 1}"
        tab = {"edges": edges, "ranks": m, "nxt": nxt}
        run(adapter, f"""{create} ranks AS SELECT s AS v, LEAST((s * :a + :b) % :p, MIN((d * :a + :b) % :p)) AS r
            FROM edges GROUP BY s""", tab, a=a, b=b, p=prime)
        run(adapter, f"""{create} nxt AS SELECT DISTINCT m1.r AS s, m2.r AS d FROM edges AS e
            JOIN ranks AS m1 ON e.s = m1.v JOIN ranks AS m2 ON e.d = m2.v WHERE m1.r <> m2.r""", tab)
        drop(adapter, edges)
        maps.append(m)
        edges, passes = nxt, passes + 1
    drop(adapter, edges)
    _resolve(adapter, maps, out_table, work_prefix, prime, create)
    return ComponentsResult(out_table, passes, True, adapter.row_count(out_table))


def _resolve(adapter, maps: list[str], out_table: str, work_prefix: str, prime: int, create: str) -> None:
    """Compose the per-pass maps from the last back to the first, then name each label by its smallest node.

    A vertex that stops contracting at pass i keeps the rank of pass i; ranks of different
    passes live in different spaces, so a final label is (pass, rank) packed as pass*prime + rank.
    """
    if not maps:
        run(adapter, f"{create} out (node BIGINT, label BIGINT)", {"out": out_table})
        return
    last = len(maps) - 1
    acc = f"{work_prefix}_l{last}"
    run(adapter, f"{create} acc AS SELECT v, CAST(:off AS BIGINT) + r AS r FROM ranks",
        {"acc": acc, "ranks": maps[-1]}, off=last * prime)
    drop(adapter, maps[-1])
    for i in range(last - 1, -1, -1):
        nxt = f"{work_prefix}_l{i}"
        run(adapter, f"""{create} nxt AS SELECT mp.v, COALESCE(ac.r, CAST(:off AS BIGINT) + mp.r) AS r
            FROM ranks AS mp LEFT JOIN acc AS ac ON mp.r = ac.v""", {"nxt": nxt, "ranks": maps[i], "acc": acc}, off=i * prime)
        drop(adapter, acc)
        acc = nxt
    run(adapter, f"{create} out AS SELECT v AS node, MIN(v) OVER (PARTITION BY r) AS label FROM acc",
        {"out": out_table, "acc": acc})
    drop(adapter, acc, *maps)


def _in_process(adapter, edges_sql: str, out_table: str, temp: bool) -> ComponentsResult:
    """The same labels from scipy over the edges' integer arrays (one pass out, one table back)."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components

    cols = adapter.fetch_arrays(f"SELECT a, b FROM ({edges_sql}) AS _e WHERE a <> b")
    a, b = cols["a"].astype(np.int64, copy=False), cols["b"].astype(np.int64, copy=False)
    nodes, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    n, m = len(nodes), len(a)
    if n == 0:
        labels = nodes
    else:
        ones = np.ones(m, dtype=np.int8)
        _, component = scipy_components(coo_matrix((ones, (codes[:m], codes[m:])), shape=(n, n)), directed=False)
        # `nodes` is sorted, so a component's first position holds its smallest node
        _, first = np.unique(component, return_index=True)
        labels = nodes[first][component]
    adapter.create_from_arrays(out_table, {"node": nodes, "label": labels}, temp=temp)
    return ComponentsResult(out_table, 1 if n else 0, True, n)
