"""Benchmark: our full SQL stitch on DuckDB vs scipy's connected components, then a 1% day.

    python bench/stitch.py                         # quick: 200k people, 300k edges
    python bench/stitch.py --people 4000000 --edges 6000000
    python bench/stitch.py --unique-user-id         # the same with our cluster rule (user_id unique)
    python bench/stitch.py --quality 2000 30        # precision/recall/ceiling per setting, on sample data

Identity-like graph with string ids: half the people have a user id linked to an email; every
other edge links a fresh anonymous id to a random person's user id (so some people have several
devices, some none); 0.1% of anonymous ids are shared by two people. Events spread over
`--days` days. The reference runs on the very same edges in this process: pyarrow strings, one
dictionary encoding, scipy's connected components. Our stitch runs with its report, as production does. Extraction of the days is timed separately (it is the daily partition's job).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from profiles_pipeline.identity import EdgeSource, IdSelect, StitcherPlan, extract_edges, stitch  # noqa: E402
from profiles_pipeline.instants import end_of_day  # noqa: E402
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter  # noqa: E402

START = datetime(2024, 1, 1)


def make_events(
    adapter, table: str, people: int, edges: int, days: int, first: int = 0, day0: int = 0, emails: int | None = None
) -> None:
    """Rows (anon, uid, email, ts) giving about `edges` distinct edges among `people` people.

    `emails` user-id/email pairs are numbered from `first` (default: half the people)."""
    emails = people // 2 if emails is None else emails
    anon_edges = max(edges - emails, 0)
    ts = f"TIMESTAMP '{START:%Y-%m-%d}' + INTERVAL ({day0} * 86400 + (hash(j) % ({days} * 86400))) SECOND"
    adapter.execute(
        f"CREATE OR REPLACE TABLE {table} AS "
        f"SELECT 'anon-' || CAST(j AS VARCHAR) AS anon, 'user-' || CAST(hash(j * 7 + 1) % {people} AS VARCHAR) AS uid, "
        f"CAST(NULL AS VARCHAR) AS email, {ts} AS ts FROM range({first}, {first} + {anon_edges}) t(j) "
        f"UNION ALL SELECT 'anon-' || CAST(j AS VARCHAR), 'user-' || CAST(hash(j * 13 + 5) % {people} AS VARCHAR), NULL, {ts} "
        f"FROM range({first}, {first} + {anon_edges}) t(j) WHERE j % 1000 = 0 "
        f"UNION ALL SELECT NULL, 'user-' || CAST(j AS VARCHAR), 'user' || CAST(j AS VARCHAR) || '@example.com', {ts} "
        f"FROM range({first}, {first} + {emails}) t(j)"
    )


def plan(unique_user_id: bool = False) -> StitcherPlan:
    """The bench graph's stitcher; `unique_user_id` adds our cluster rule (a profile holds one user id)."""
    from profiles_pipeline.identity import IdTypeRules

    ids = (IdSelect("anon", "anonymous_id"), IdSelect("uid", "user_id"), IdSelect("email", "email"))
    rules = {"user_id": IdTypeRules("user_id", cluster_limit=1)} if unique_user_id else {}
    return StitcherPlan(name="bench_ids", entity="user", edge_sources=(EdgeSource("ev", "SELECT * FROM ev", "ts", ids),),
                        id_types=rules)


def scipy_components(adapter, p: StitcherPlan) -> tuple[float, int]:
    """The script a user would write: the distinct edges as Arrow strings (fetched untimed), one
    dictionary encoding of both ends, scipy's connected components."""
    import numpy as np
    import pyarrow as pa
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    edges = adapter.con.sql(f"SELECT id1_type || ':' || id1 AS a, id2_type || ':' || id2 AS b "
                            f"FROM {p.name}__day_edges").to_arrow_table()
    t0 = time.perf_counter()
    m = edges.num_rows
    both = pa.chunked_array(edges["a"].chunks + edges["b"].chunks).combine_chunks().dictionary_encode()
    codes, n = both.indices.to_numpy(), len(both.dictionary)
    graph = coo_matrix((np.ones(m, dtype=np.int8), (codes[:m], codes[m:])), shape=(n, n))
    k, _ = connected_components(graph, directed=False)
    return time.perf_counter() - t0, k


def _time_statements(adapter) -> list[tuple[float, str]]:
    """Record (seconds, sql) of every statement the adapter runs."""
    timings: list[tuple[float, str]] = []
    for hook in ("_raw_execute", "_raw_fetch"):
        inner = getattr(adapter, hook)

        def timed(sql, inner=inner):
            t0 = time.perf_counter()
            try:
                return inner(sql)
            finally:
                timings.append((time.perf_counter() - t0, sql))

        setattr(adapter, hook, timed)
    return timings


def _print_slowest(timings: list[tuple[float, str]] | None, n: int, what: str) -> None:
    if timings is None:
        return
    total = sum(s for s, _ in timings)
    print(f"-- {what}: {len(timings)} statements, {total:.2f}s; slowest:")
    for s, sql in sorted(timings, key=lambda x: -x[0])[:n]:
        print(f"   {s:7.2f}s  {' '.join(sql.split())[:200]}")
    timings.clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=200_000)
    ap.add_argument("--edges", type=int, default=300_000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--db", default=None, help="DuckDB file (default: a temp file)")
    ap.add_argument("--keep-insertion-order", action="store_true",
                    help="leave DuckDB's preserve_insertion_order on (default: off, as the stitcher needs no order)")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="print the N slowest statements of each stitch")
    ap.add_argument("--unique-user-id", action="store_true",
                    help="stitch with our cluster rule user_id unique (the shared anonymous ids then conflict)")
    ap.add_argument("--quality", nargs=2, type=int, metavar=("USERS", "DAYS"),
                    help="instead: precision/recall on a generated sample landing zone")
    args = ap.parse_args()
    if args.quality:
        quality(*args.quality, Path(tempfile.mkdtemp()) / "landing")
        return
    db = args.db or str(Path(tempfile.mkdtemp()) / "bench.duckdb")
    p = plan(args.unique_user_id)
    with DuckDBAdapter(db) as adapter:
        adapter.execute(f"SET threads = {args.threads}")
        if not args.keep_insertion_order:  # the stitcher never relies on unordered row order
            adapter.execute("SET preserve_insertion_order = false")
        timings = _time_statements(adapter) if args.profile else None
        make_events(adapter, "ev", args.people, args.edges, args.days)
        # as of the end of the last day (an instant on that day, as `profiles run` takes), so the
        # next day's events are a new day, not late rows of the head's day
        end = end_of_day((START + timedelta(days=args.days - 1)).date())
        t0 = time.perf_counter()
        for d in range(args.days):
            extract_edges(adapter, p, (START + timedelta(days=d)).date())
        # Extraction is its own (daily) step; its writes are flushed (and counted) with it, so the
        # stitch is not billed for them.
        adapter.execute("CHECKPOINT")
        extract_s = time.perf_counter() - t0
        if timings is not None:
            timings.clear()
        t0 = time.perf_counter()
        stitch(adapter, p, end_time=end, run_id="full", rebase=True)  # the report on, as in production
        full_s = time.perf_counter() - t0
        _print_slowest(timings, args.profile, "full")
        links = adapter.row_count(f"{p.name}__links")
        ours_clusters = adapter.fetch_one(f"SELECT COUNT(DISTINCT comp) FROM {p.name}__nodes")
        scipy_s, scipy_clusters = scipy_components(adapter, p)
        print(f"graph: {adapter.row_count(p.name):,} ids, {links:,} distinct edges, {ours_clusters:,} clusters "
              f"(scipy: {scipy_clusters:,}); extraction of {args.days} days: {extract_s:.2f}s")
        print(f"full stitch (DuckDB, report included): {full_s:.2f}s")
        print(f"reference (pyarrow dictionary_encode + scipy connected_components): {scipy_s:.2f}s")
        print(f"ratio full/reference: {full_s / scipy_s:.2f}x")
        # 1% day: new devices of existing people (0.1% shared), plus a few sign-ups with an email.
        day_edges = max(args.edges // 100, 10)
        make_events(adapter, "ev_new", args.people, day_edges, 1, first=10 * args.edges, day0=args.days, emails=day_edges // 10)
        adapter.execute("INSERT INTO ev SELECT * FROM ev_new")
        day = (START + timedelta(days=args.days)).date()
        t0 = time.perf_counter()
        extract_edges(adapter, p, day)
        adapter.execute("CHECKPOINT")
        extract_day_s = time.perf_counter() - t0
        if timings is not None:
            timings.clear()
        t0 = time.perf_counter()
        inc = stitch(adapter, p, end_time=end + timedelta(days=1), run_id="day")
        inc_s = time.perf_counter() - t0
        _print_slowest(timings, args.profile, "incremental")
        print(f"1% day: extraction {extract_day_s:.2f}s; incremental stitch ({inc.mode}) {inc_s:.2f}s, "
              f"{inc.passes} passes, {inc.merges} merges")
        print(f"ratio incremental/full: {inc_s / full_s:.1%} (target < 10%)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (process RSS, DuckDB + scipy): {peak:,.0f} MiB")




def quality(users: int, days: int, out: Path) -> None:
    """Precision, recall and the recall ceiling against the sample data's ground truth, for each
    setting a user might run with, and the full stitch time of each."""
    from datetime import date

    from profiles_pipeline.identity import IdFilter, IdTypeRules, cluster_quality
    from profiles_pipeline.identity.quality import recall_ceiling
    from profiles_pipeline.pipeline.stitch_quality import scored_truth_sql
    from profiles_pipeline.sample_data.api import generate

    if not out.exists():
        generate(out, users=users, days=days, seed=7, start_date=date(2026, 1, 1))
    sources = []
    for t in ("identifies", "tracks", "pages", "order_completed"):
        ids = [IdSelect("anonymous_id", "anonymous_id"), IdSelect("user_id", "user_id"),
               IdSelect("lower(trim(context_traits_email))", "email")]
        if t == "identifies":
            ids.append(IdSelect("lower(trim(email))", "email"))
        sources.append(EdgeSource(t, f"SELECT * FROM read_parquet('{out}/{t}/**/*.parquet')", "timestamp", tuple(ids)))
    junk = ("unknown", "NaN", "null", "test@company.com")
    filters = {t: tuple(IdFilter("exclude", value=v) for v in junk) for t in ("anonymous_id", "user_id", "email")}
    filters["email"] += (IdFilter("include", regex=r"[A-Za-z0-9+_.-]+@(.+)"),)
    limits = {"anonymous_id": {"user_id": 1, "email": 1}, "email": {"user_id": 1}, "user_id": {"email": 2}}

    def rules(*, pb_guards: bool, ours: bool, with_filters: bool = True) -> dict:
        return {t: IdTypeRules(t, filters=f if with_filters else (),
                               maximum_edges=limits.get(t, {}) if pb_guards else {},
                               hub_threshold=20 if ours and t == "anonymous_id" else None,
                               cluster_limit=1 if ours and t == "user_id" else None)
                for t, f in filters.items()}

    variants = {  # name: (default hub threshold, id type rules)
        "nothing": (10**9, rules(pb_guards=False, ours=False, with_filters=False)),
        "filters": (10**9, rules(pb_guards=False, ours=False)),
        "filters + pb guards": (100, rules(pb_guards=True, ours=False)),
        "filters + our rules": (100, rules(pb_guards=False, ours=True)),
        "filters + pb guards + our rules": (100, rules(pb_guards=True, ours=True)),
    }
    truth = scored_truth_sql(f"read_parquet('{out}/_ground_truth/ground_truth.parquet')")
    start = date(2026, 1, 1)
    end = datetime.combine(start + timedelta(days=days), datetime.min.time())
    print(f"sample: {users:,} people, {days} days (seed 7); our rules = user_id unique, anonymous_id hub_threshold 20")
    print(f"| {'setting':<31} | B-cubed P | B-cubed R | ceiling | R/ceiling | pairwise P | clusters | stitch s |")
    print(f"|{'-' * 33}|----------:|----------:|--------:|----------:|-----------:|---------:|---------:|")
    for name, (hub, id_rules) in variants.items():
        p = StitcherPlan(name="q", entity="user", edge_sources=tuple(sources), id_types=id_rules, hub_threshold_default=hub)
        with DuckDBAdapter(":memory:") as adapter:
            for d in range(days):
                extract_edges(adapter, p, start + timedelta(days=d))
            r = stitch(adapter, p, end_time=end, run_id="q")
            q = cluster_quality(adapter, p, truth)
            ceiling = recall_ceiling(adapter, p, truth)
        print(f"| {name:<31} | {q.bcubed_precision:9.3f} | {q.bcubed_recall:9.3f} | {ceiling:7.3f} | "
              f"{q.bcubed_recall / ceiling:9.1%} | {q.pairwise_precision:10.3f} | {r.report.clusters:8,} | {r.seconds:8.2f} |")


if __name__ == "__main__":
    main()
