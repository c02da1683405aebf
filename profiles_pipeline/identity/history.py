"""The id graph's history over a run of checkpoints, computed in one pass.

Checkpoints are the ends of consecutive days, the last of which may be a mid-day end time T.
The result has, for every id seen by T, its main id as intervals `[valid_from, valid_to)` over
the checkpoints: exactly what a rebuild as of each checkpoint would give (see
`test_identity_history.py`), without replaying days.

How: every link is kept during one interval (`temporal.py`), so between the days where some
link stops being kept, clusters only merge. Those days split a cluster's time into segments
(only for clusters that contain such a link). Within a segment, divide and conquer over the
checkpoints: a problem covers checkpoints [lo, hi] over units that are the clusters as of
lo - 1; connected components of its links up to mid give the clusters as of mid, which are the
units of the right half; the left half keeps the units and the earlier links. Every level is
one batched components run over all problems, so the cost is O(log K) component runs for K
checkpoints. At a single checkpoint, the units a problem's links join are clusters as of the
day before: the merges of that day, the losers being the units whose earliest id is later.
A node's main id then follows the merges from itself, one hop per change.

Keys are ranks by (first_seen_at, type, value), so the smallest key of a cluster is its earliest
id and its main id (as in `assign.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlglot import exp

from profiles_pipeline.identity.cluster_rules import refuse_links, refused_by_values
from profiles_pipeline.identity.components import connected_components
from profiles_pipeline.identity.graph_input import build_graph_input
from profiles_pipeline.identity.plan import StitcherPlan
from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.identity.temporal import kept_intervals
from profiles_pipeline.instants import end_of_day
from profiles_pipeline.warehouse.sqltree import drop, rows, run

_TEMP = "CREATE OR REPLACE TEMP TABLE"


@dataclass(frozen=True)
class Checkpoints:
    """The ends of the days `first_day` .. day(last) - 1, then `last` (an instant on its day)."""

    first_day: date
    last: datetime

    def __post_init__(self) -> None:
        if self.last.date() < self.first_day:
            raise ValueError(f"checkpoint {self.last} is before the first day {self.first_day}")

    @property
    def count(self) -> int:
        return (self.last.date() - self.first_day).days + 1

    def instants(self) -> list[datetime]:
        days = [self.first_day + timedelta(days=i) for i in range(self.count - 1)]
        return [end_of_day(d) for d in days] + [self.last]


@dataclass(frozen=True)
class HistoryResult:
    table: str
    rows: int
    checkpoints: int
    segments: int
    levels: int
    merges: int


def build_history(adapter, plan: StitcherPlan, cps: Checkpoints, out: str, refused_out: str | None = None,
                  graph: tuple[str, str] | None = None) -> HistoryResult:
    """`out` (id_value, id_type, main_id, first_seen_at, valid_from, valid_to): every id's main id
    at each checkpoint of `cps`, from the stitcher's extracted edges up to the last checkpoint.
    `valid_to` is NULL where a row holds through the last checkpoint. `refused_out`: a TEMP table
    to leave the links the cluster rules refuse in, by their ids' values (what a rebuild of the
    head as of the last checkpoint refuses too, so it need not decide them again). `graph`: the
    (nodes, links) of `graph_input.build_graph_input` as of the last checkpoint, when the caller
    built them (a rebuild shares them with the head); else they are built here."""
    t = StitcherTables.of(plan)
    w = _Work(t)
    k = cps.count
    nodes, links = graph or (w("n"), w("l"))
    tab = {"rows": t.day_edges, "nodes": nodes, "links": links, "kept": w("k"), "cps": w("c")}
    _checkpoint_table(adapter, w("c"), cps)
    if graph is None:
        build_graph_input(adapter, plan, t, cps.last, cps.first_day, nodes, links)
    kept_intervals(adapter, plan, nodes, links, w("k0"), w)
    if refuse_links(adapter, plan, nodes, w("k0"), w("rf"), w):
        run(adapter, f"""{_TEMP} out AS SELECT * FROM k0 WHERE NOT EXISTS (
            SELECT 1 FROM rf WHERE rf.n1 = k0.n1 AND rf.n2 = k0.n2)""", {"out": w("k1"), "k0": w("k0"), "rf": w("rf")})
        run(adapter, f"{_TEMP} out AS SELECT * FROM k1", {"out": w("k0"), "k1": w("k1")})
    if refused_out is not None:
        refused_by_values(adapter, nodes, w("rf"), refused_out)
    run(adapter, f"""{_TEMP} kept AS SELECT n1, n2, sb, eb FROM (
        SELECT n1, n2, GREATEST(1, DATE_DIFF('day', :d1, CAST(kept_from AS DATE)) + 1) AS sb,
               CASE WHEN kept_until IS NULL THEN NULL ELSE GREATEST(1, DATE_DIFF('day', :d1, CAST(kept_until AS DATE)) + 1) END AS eb
        FROM k0) AS b WHERE eb IS NULL OR eb > sb""", {**tab, "k0": w("k0")}, d1=cps.first_day)
    segments = _segments(adapter, w, tab, k)
    levels, merges = _divide_and_conquer(adapter, w)
    _follow_merges(adapter, w, k)
    _output(adapter, plan, w, tab, out)
    n = adapter.row_count(out)
    w.drop_all(adapter)
    return HistoryResult(out, n, k, segments, levels, merges)


def _since(plan: StitcherPlan) -> date:
    """The first day whose stored edges count (pb's begin_time; every day without one)."""
    return plan.since.date() if plan.since else date.min


class _Work:
    """Names of this module's scratch tables (TEMP; dropped at the end)."""

    def __init__(self, t: StitcherTables):
        self.t = t
        self.used: set[str] = set()

    def __call__(self, what: str) -> str:
        name = self.t.work(f"h{what}")
        self.used.add(name)
        return name

    def drop_all(self, adapter) -> None:
        drop(adapter, *sorted(self.used))


def _checkpoint_table(adapter, name: str, cps: Checkpoints) -> None:
    from profiles_pipeline.warehouse.sqltree import literal

    values = exp.values(
        [exp.tuple_(exp.Literal.number(i + 1), literal(at)) for i, at in enumerate(cps.instants())],
        alias="v", columns=["i", "cp"],
    )
    query = exp.select("i", "cp").from_(values)
    adapter.execute(exp.Create(this=adapter.table_expr(name), kind="TABLE", expression=query,
                               replace=True, properties=exp.Properties(expressions=[exp.TemporaryProperty()])))


def _segments(adapter, w: _Work, tab: dict, k: int) -> int:
    """Problems (pid, seg, lo, hi, mid), their links `hw` (pid, ua, ub, bucket) and the starts of
    the node chains `hs` (seg, u, f, s1). Returns the number of segments."""
    names = {**tab, "hp": w("p"), "hw": w("w"), "hs": w("s"), "seg": w("g"), "lab": w("u"), "flip": w("f")}
    flips = rows(adapter, "SELECT COUNT(*) FROM kept WHERE eb IS NOT NULL", names)[0][0]
    if not flips:
        run(adapter, f"{_TEMP} hp AS SELECT CAST(1 AS BIGINT) AS pid, CAST(1 AS BIGINT) AS seg, 1 AS lo, :k AS hi, "
                     "CAST(FLOOR((1 + :k) / 2) AS BIGINT) AS mid", names, k=k)
        run(adapter, f"{_TEMP} hw AS SELECT CAST(1 AS BIGINT) AS pid, n1 AS ua, n2 AS ub, sb AS bucket FROM kept", names)
        run(adapter, f"{_TEMP} hs AS SELECT CAST(1 AS BIGINT) AS seg, node AS u, fb AS f, :k AS s1 FROM nodes", names, k=k)
        return 1
    run(adapter, f"{_TEMP} ue AS SELECT n1 AS a, n2 AS b FROM kept", {**names, "ue": w("ue")})
    connected_components(adapter, f"SELECT a, b FROM {w('ue')}", w("u"), w("ucc"), temp=True)
    run(adapter, f"""{_TEMP} flip AS SELECT DISTINCT l.label, k.eb FROM kept AS k JOIN lab AS l ON l.node = k.n1
        WHERE k.eb IS NOT NULL""", names)
    run(adapter, f"""{_TEMP} seg AS SELECT label, s0, s1, CAST(ROW_NUMBER() OVER (ORDER BY label, s0) + 1 AS BIGINT) AS seg FROM (
        SELECT label, s0, COALESCE(LEAD(s0) OVER (PARTITION BY label ORDER BY s0) - 1, :k) AS s1 FROM (
          SELECT DISTINCT label, 1 AS s0 FROM flip UNION SELECT label, eb AS s0 FROM flip) AS b) AS s""", names, k=k)
    run(adapter, f"""{_TEMP} hp AS SELECT seg AS pid, seg, lo, hi, CAST(FLOOR((lo + hi) / 2) AS BIGINT) AS mid FROM (
        SELECT CAST(1 AS BIGINT) AS seg, 1 AS lo, :k AS hi UNION ALL SELECT seg, s0, s1 FROM seg) AS p""", names, k=k)
    run(adapter, f"""{_TEMP} hw AS
        SELECT CAST(1 AS BIGINT) AS pid, k.n1 AS ua, k.n2 AS ub, k.sb AS bucket FROM kept AS k LEFT JOIN lab AS l ON l.node = k.n1
        WHERE l.label IS NULL OR l.label NOT IN (SELECT label FROM flip)
        UNION ALL
        SELECT s.seg, k.n1, k.n2, GREATEST(k.sb, s.s0) FROM kept AS k JOIN lab AS l ON l.node = k.n1 JOIN seg AS s ON s.label = l.label
        WHERE k.sb <= s.s1 AND (k.eb IS NULL OR k.eb > s.s0)""", names)
    run(adapter, f"""{_TEMP} hs AS
        SELECT CAST(1 AS BIGINT) AS seg, n.node AS u, n.fb AS f, :k AS s1 FROM nodes AS n LEFT JOIN lab AS l ON l.node = n.node
        WHERE l.label IS NULL OR l.label NOT IN (SELECT label FROM flip)
        UNION ALL
        SELECT s.seg, n.node, GREATEST(n.fb, s.s0), s.s1 FROM nodes AS n JOIN lab AS l ON l.node = n.node JOIN seg AS s ON s.label = l.label
        WHERE n.fb <= s.s1""", names, k=k)
    return 1 + int(rows(adapter, "SELECT COUNT(*) FROM seg", names)[0][0])


def _divide_and_conquer(adapter, w: _Work) -> tuple[int, int]:
    """Merges `hm` (seg, ati, loser, winner): at checkpoint `ati`, the cluster whose earliest id
    (as of ati - 1) is `loser` joins the one whose earliest id is `winner`. Returns (levels, merges)."""
    names = {"hp": w("p"), "hw": w("w"), "hx": w("x"), "hk": w("kk"), "he": w("e"), "hl": w("cl"),
             "hg": w("gg"), "hm": w("m"), "hp2": w("p2"), "hw2": w("w2")}
    run(adapter, f"{_TEMP} hm AS SELECT CAST(NULL AS BIGINT) AS seg, 0 AS ati, CAST(NULL AS BIGINT) AS loser, "
                 "CAST(NULL AS BIGINT) AS winner WHERE FALSE", names)
    levels = 0
    while adapter.row_count(w("w")) > 0:
        levels += 1
        run(adapter, f"{_TEMP} hx AS SELECT x.pid, x.ua, x.ub FROM hw AS x JOIN hp AS p ON x.pid = p.pid WHERE x.bucket <= p.mid", names)
        run(adapter, f"""{_TEMP} hk AS SELECT pid, u, CAST(ROW_NUMBER() OVER (ORDER BY pid, u) AS BIGINT) AS k FROM (
            SELECT pid, ua AS u FROM hx UNION SELECT pid, ub AS u FROM hx) AS e""", names)
        run(adapter, f"""{_TEMP} he AS SELECT ka.k AS a, kb.k AS b FROM hx AS x
            JOIN hk AS ka ON ka.pid = x.pid AND ka.u = x.ua JOIN hk AS kb ON kb.pid = x.pid AND kb.u = x.ub""", names)
        connected_components(adapter, f"SELECT a, b FROM {w('e')}", w("cl"), w("cc"), temp=True)
        # The smallest key of a component is its smallest unit within the problem: the earliest id.
        run(adapter, f"""{_TEMP} hg AS SELECT k.pid, k.u, r.u AS g FROM hk AS k JOIN hl AS l ON l.node = k.k
            JOIN hk AS r ON r.k = l.label""", names)
        run(adapter, """INSERT INTO hm SELECT p.seg, p.lo, g.u, g.g FROM hg AS g JOIN hp AS p ON g.pid = p.pid
            WHERE p.lo = p.hi AND g.u <> g.g""", names)
        run(adapter, f"""{_TEMP} hw2 AS
            SELECT x.pid * 2 AS pid, x.ua, x.ub, x.bucket FROM hw AS x JOIN hp AS p ON x.pid = p.pid
            WHERE p.lo < p.hi AND x.bucket <= p.mid
            UNION ALL
            SELECT pid, LEAST(a, b), GREATEST(a, b), MIN(bucket) FROM (
              SELECT x.pid * 2 + 1 AS pid, COALESCE(ga.g, x.ua) AS a, COALESCE(gb.g, x.ub) AS b, x.bucket
              FROM hw AS x JOIN hp AS p ON x.pid = p.pid
              LEFT JOIN hg AS ga ON ga.pid = x.pid AND ga.u = x.ua LEFT JOIN hg AS gb ON gb.pid = x.pid AND gb.u = x.ub
              WHERE p.lo < p.hi AND x.bucket > p.mid) AS r
            WHERE a <> b GROUP BY pid, LEAST(a, b), GREATEST(a, b)""", names)
        run(adapter, f"""{_TEMP} hp2 AS SELECT pid, seg, lo, hi, CAST(FLOOR((lo + hi) / 2) AS BIGINT) AS mid FROM (
            SELECT pid * 2 AS pid, seg, lo, mid AS hi FROM hp WHERE lo < hi
            UNION ALL SELECT pid * 2 + 1, seg, mid + 1, hi FROM hp WHERE lo < hi) AS c
            WHERE pid IN (SELECT pid FROM hw2)""", names)
        run(adapter, f"{_TEMP} hp AS SELECT * FROM hp2", names)
        run(adapter, f"{_TEMP} hw AS SELECT * FROM hw2", names)
    return levels, adapter.row_count(w("m"))


def _follow_merges(adapter, w: _Work, k: int) -> None:
    """`hr` (u, main, f, t): each node's main id from checkpoint f up to (not including) t;
    t NULL where it holds through the last checkpoint."""
    names = {"hs": w("s"), "hm": w("m"), "cur": w("cur"), "step": w("st"), "hr": w("r")}
    run(adapter, f"{_TEMP} hr AS SELECT CAST(NULL AS BIGINT) AS u, CAST(NULL AS BIGINT) AS main, 0 AS f, 0 AS t WHERE FALSE", names)
    run(adapter, f"{_TEMP} cur AS SELECT seg, u, u AS main, f, s1 FROM hs", names)
    while adapter.row_count(w("cur")) > 0:
        run(adapter, f"""{_TEMP} step AS SELECT c.seg, c.u, c.main, c.f, c.s1, m.ati, m.winner
            FROM cur AS c LEFT JOIN hm AS m ON m.seg = c.seg AND m.loser = c.main""", names)
        run(adapter, """INSERT INTO hr SELECT u, main, f,
            CASE WHEN ati IS NOT NULL THEN ati WHEN s1 < :k THEN s1 + 1 ELSE NULL END FROM step""", names, k=k)
        run(adapter, f"{_TEMP} cur AS SELECT seg, u, winner AS main, ati AS f, s1 FROM step WHERE ati IS NOT NULL", names)


def _output(adapter, plan: StitcherPlan, w: _Work, tab: dict, out: str) -> None:
    """Adjacent rows of a node with the same main id (across segments) joined; empty ones dropped."""
    names = {**tab, "hr": w("r"), "hi": w("i"), "hq": w("q"), "mains": w("mn"), "out": out}
    run(adapter, f"""{_TEMP} hi AS SELECT u, main, f, t,
        SUM(brk) OVER (PARTITION BY u ORDER BY f ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island FROM (
          SELECT u, main, f, t, CASE WHEN LAG(main) OVER (PARTITION BY u ORDER BY f) = main
                                      AND LAG(t) OVER (PARTITION BY u ORDER BY f) = f THEN 0 ELSE 1 END AS brk
          FROM hr WHERE t IS NULL OR f < t) AS r""", names)
    run(adapter, f"""{_TEMP} hq AS SELECT u, MIN(main) AS main, MIN(f) AS f,
        CASE WHEN COUNT(*) > COUNT(t) THEN NULL ELSE MAX(t) END AS t FROM hi GROUP BY u, island""", names)
    run(adapter, f"""{_TEMP} mains AS SELECT n.node, md5(:entity || chr(1) || n.id_type || chr(1) || n.id_value) AS main_id
        FROM nodes AS n WHERE n.node IN (SELECT DISTINCT main FROM hq)""", names, entity=plan.entity)
    run(adapter, """CREATE OR REPLACE TABLE out AS SELECT n.id_value, n.id_type, m.main_id, n.first_seen_at,
        cf.cp AS valid_from, ct.cp AS valid_to
        FROM hq AS q JOIN nodes AS n ON n.node = q.u JOIN mains AS m ON m.node = q.main
        JOIN cps AS cf ON cf.i = q.f LEFT JOIN cps AS ct ON ct.i = q.t""", names)
