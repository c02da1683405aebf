"""Features benchmark: our planner/executor vs one hand-written DuckDB query, same process.

    python bench/features.py --events 20000000

Builds a synthetic `tracks` input (N events over N/200 people) and an id graph in one DuckDB
file, a project with 30 vars of mixed kinds (aggregates, where-filtered aggregates, count
distinct, first/last value windows, an input var window, derived vars), then times:
  ours: run_features (rows views + one pass + var table) end to end;
  reference: one CREATE TABLE AS with the same 30 values written by hand.
Checks both give the same values, prints both times, the ratio and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path

from profiles_pipeline.features import run_features
from profiles_pipeline.spec.validate import load_project
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

END = datetime(2024, 3, 1)
AGGS = {  # name: (select, where, default)
    "n_events": ("count(*)", None, 0),
    "n_views": ("count(*)", "event = 'view'", 0),
    "n_carts": ("count(*)", "event = 'cart'", 0),
    "n_orders": ("count(*)", "event = 'order'", 0),
    "n_sessions": ("count(distinct session_id)", None, 0),
    "n_devices": ("count(distinct device)", None, None),
    "n_campaigns": ("count(distinct campaign)", None, None),
    "revenue": ("sum(amount)", "event = 'order'", 0),
    "max_order": ("max(amount)", "event = 'order'", None),
    "avg_order": ("avg(amount)", "event = 'order'", None),
    "min_amount": ("min(amount)", None, None),
    "first_seen": ("min(ts)", None, None),
    "last_seen": ("max(ts)", None, None),
    "last_order_at": ("max(ts)", "event = 'order'", None),
    "mobile_events": ("sum(iff(device = 'mobile', 1, 0))", None, 0),
    "any_signup": ("boolor_agg(event = 'signup')", None, None),
    "active_days": ("count(distinct date(ts))", None, 0),
    "recent_events": ("count(*)", "datediff(day, ts, GETDATE()) <= 7", 0),
    "early_amount": ("sum(amount)", "{{tracks.Var(\"event_rank\")}} <= 3", 0),
}
WINDOWED = {  # name: (select, where, order_by)
    "first_device": ("first_value(device)", None, "ts"),
    "last_device": ("last_value(device)", None, "ts"),
    "first_campaign": ("first_value(campaign)", "campaign is not null", "ts"),
    "last_campaign": ("last_value(campaign)", "campaign is not null", "ts"),
}
DERIVED = {
    "days_active_span": 'datediff(day, {{user.Var("first_seen")}}, {{user.Var("last_seen")}})',
    "view_to_cart": '{{user.Var("n_carts")}} / nullif({{user.Var("n_views")}}, 0)',
    "conversion": '{{user.Var("n_orders")}} / nullif({{user.Var("n_sessions")}}, 0)',
    "is_buyer": '{{user.Var("n_orders")}} > 0',
    "revenue_per_day": '{{user.Var("revenue")}} / nullif({{user.Var("active_days")}}, 0)',
    "days_since_last": 'datediff(day, {{user.Var("last_seen")}}, GETDATE())',
    "mobile_share": '{{user.Var("mobile_events")}} / nullif({{user.Var("n_events")}}, 0)',
}
# 19 aggregates + 4 windows + 7 derived = 30 entity vars (plus the input var event_rank).


def write_project(root: Path) -> None:
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "pb_project.yaml").write_text(
        "name: bench\nschema_version: 85\nconnection: bench\nsql_dialect: snowflake\n"
        "entities:\n  - name: user\n    id_types: [user_id, anonymous_id, email]\n"
        "id_types:\n  - name: user_id\n  - name: anonymous_id\n  - name: email\n"
    )
    ids = "".join(f"        - {{select: {c}, type: {c}, entity: user, to_default_stitcher: true}}\n" for c in ("user_id", "anonymous_id", "email"))
    (root / "models" / "inputs.yaml").write_text(
        "inputs:\n  - name: tracks\n    app_defaults:\n      table: tracks\n      occurred_at_col: ts\n"
        f"      ids:\n{ids}"
    )
    lines = ["var_groups:", "  - name: user_vars", "    entity_key: user", "    vars:",
             "      - input_var:", "          name: event_rank", "          select: row_number()",
             "          from: inputs/tracks",
             "          window: {partition_by: [user_main_id], order_by: [ts]}"]
    for name, (sel, where, default) in AGGS.items():
        lines += ["      - entity_var:", f"          name: {name}", f"          select: {_q(sel)}",
                  "          from: inputs/tracks"]
        lines += [f"          where: {_q(where)}"] if where else []
        lines += [f"          default_value: {default}"] if default is not None else []
    for name, (sel, where, order) in WINDOWED.items():
        lines += ["      - entity_var:", f"          name: {name}", f"          select: {_q(sel)}",
                  "          from: inputs/tracks", f"          window: {{order_by: [{order}]}}"]
        lines += [f"          where: {_q(where)}"] if where else []
    for name, sel in DERIVED.items():
        lines += ["      - entity_var:", f"          name: {name}", f"          select: {_q(sel)}"]
    (root / "models" / "profiles.yaml").write_text("\n".join(lines) + "\n")


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def make_data(adapter: DuckDBAdapter, events: int) -> None:
    users = max(events // 200, 10)
    adapter.execute(f"""CREATE OR REPLACE TABLE graph AS
        SELECT 'm' || u AS user_main_id, 'a' || u || '_' || k AS other_id, 'anonymous_id' AS other_id_type,
               TIMESTAMP '2024-01-01' AS valid_at FROM range({users}) r(u), range(2) s(k)
        UNION ALL SELECT 'm' || u, 'u' || u, 'user_id', TIMESTAMP '2024-01-01' FROM range({users}) r(u) WHERE u % 10 < 7
        UNION ALL SELECT 'm' || u, 'e' || u || '@x.com', 'email', TIMESTAMP '2024-01-01' FROM range({users}) r(u) WHERE u % 2 = 0""")
    adapter.execute(f"""CREATE OR REPLACE TABLE tracks AS
        SELECT i AS message_id,
               'a' || u || '_' || (h % 2) AS anonymous_id,
               CASE WHEN u % 10 < 7 AND h % 5 < 2 THEN 'u' || u END AS user_id,
               CASE WHEN u % 2 = 0 AND h % 7 = 0 THEN 'e' || u || '@x.com' END AS email,
               TIMESTAMP '2024-01-01' + to_seconds(CAST(h % (75 * 86400) AS BIGINT)) AS ts,
               ['view', 'view', 'view', 'cart', 'order', 'signup'][1 + CAST(h % 6 AS INT)] AS event,
               CASE WHEN h % 11 = 0 THEN NULL ELSE ['mobile', 'desktop', 'tablet'][1 + CAST(h % 3 AS INT)] END AS device,
               CASE WHEN h % 4 = 0 THEN ['google', 'fb', 'mail'][1 + CAST(h % 3 AS INT)] END AS campaign,
               CAST(h % 997 AS BIGINT) + u * 1000 AS session_id,
               CASE WHEN h % 3 = 0 THEN NULL ELSE (h % 10000) / 100.0 END AS amount
        FROM (SELECT i, hash(i) % {users} AS u, hash(i * 31 + 7) AS h FROM range({events}) t(i))""")


def reference_sql() -> str:
    end = f"TIMESTAMP '{END:%Y-%m-%d %H:%M:%S}'"
    aggs = {
        "n_events": "count(*)", "n_views": "count(*) FILTER (WHERE event = 'view')",
        "n_carts": "count(*) FILTER (WHERE event = 'cart')", "n_orders": "count(*) FILTER (WHERE event = 'order')",
        "n_sessions": "count(DISTINCT session_id)", "n_devices": "count(DISTINCT device)",
        "n_campaigns": "count(DISTINCT campaign)", "revenue": "sum(amount) FILTER (WHERE event = 'order')",
        "max_order": "max(amount) FILTER (WHERE event = 'order')", "avg_order": "avg(amount) FILTER (WHERE event = 'order')",
        "min_amount": "min(amount)", "first_seen": "min(ts)", "last_seen": "max(ts)",
        "last_order_at": "max(ts) FILTER (WHERE event = 'order')", "mobile_events": "count(*) FILTER (WHERE device = 'mobile')",
        "any_signup": "bool_or(event = 'signup')", "active_days": "count(DISTINCT CAST(ts AS DATE))",
        "recent_events": f"count(*) FILTER (WHERE date_diff('day', CAST(ts AS DATE), CAST({end} AS DATE)) <= 7)",
        "early_amount": "sum(amount) FILTER (WHERE rk <= 3)",
        "first_device": "arg_min_null(device, ts)", "last_device": "arg_max_null(device, ts)",
        "first_campaign": "arg_min(campaign, ts)", "last_campaign": "arg_max(campaign, ts)",
    }
    zero = {"n_views", "n_carts", "n_orders", "revenue", "recent_events", "early_amount"}
    cols = ",\n  ".join(f"coalesce(a.{n}, 0) AS {n}" if (n in zero or AGGS.get(n, (0, 0, None))[2] == 0) else f"a.{n}"
                        for n in aggs)
    return f"""
WITH r AS (
  SELECT t.*, coalesce(g0.user_main_id, g1.user_main_id, g2.user_main_id) AS m
  FROM tracks t
  LEFT JOIN graph g0 ON g0.other_id_type = 'user_id' AND g0.other_id = t.user_id
  LEFT JOIN graph g1 ON g1.other_id_type = 'anonymous_id' AND g1.other_id = t.anonymous_id
  LEFT JOIN graph g2 ON g2.other_id_type = 'email' AND g2.other_id = t.email
  WHERE t.ts <= {end}
), rr AS (SELECT *, row_number() OVER (PARTITION BY m ORDER BY ts) AS rk FROM r WHERE m IS NOT NULL),
a AS (SELECT m, {", ".join(f"{e} AS {n}" for n, e in aggs.items())} FROM rr GROUP BY m),
v AS (SELECT e.user_main_id, {cols} FROM (SELECT DISTINCT user_main_id FROM graph) e LEFT JOIN a ON a.m = e.user_main_id)
SELECT *, date_diff('day', CAST(first_seen AS DATE), CAST(last_seen AS DATE)) AS days_active_span,
  n_carts / nullif(n_views, 0) AS view_to_cart, n_orders / nullif(n_sessions, 0) AS conversion,
  n_orders > 0 AS is_buyer, revenue / nullif(active_days, 0) AS revenue_per_day,
  date_diff('day', CAST(last_seen AS DATE), CAST({end} AS DATE)) AS days_since_last,
  mobile_events / nullif(n_events, 0) AS mobile_share
FROM v"""


def mismatches(adapter: DuckDBAdapter) -> dict[str, int]:
    names = [*AGGS, *WINDOWED, *DERIVED]
    checks = ", ".join(
        f"count(*) FILTER (WHERE NOT (o.{n} IS NOT DISTINCT FROM r.{n}"
        + (f" OR abs(o.{n} - r.{n}) < 1e-6" if n in ("avg_order", "view_to_cart", "conversion", "revenue_per_day", "mobile_share", "revenue", "early_amount") else "")
        + f")) AS {n}" for n in names)
    cols, rows = adapter.fetch_with_columns(
        f"SELECT count(*) AS n_rows, {checks} FROM user_var_table o FULL JOIN reference r USING (user_main_id)")
    return {c: v for c, v in zip(cols, rows[0], strict=True) if v and c != "n_rows"} | {"n_rows": rows[0][0]}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20_000_000, help="events in the tracks input")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root / "project")
        adapter = DuckDBAdapter(root / "bench.duckdb")
        adapter.execute(f"SET threads = {args.threads}")
        t0 = time.perf_counter()
        make_data(adapter, args.events)
        print(f"data: {args.events:,} events, {adapter.fetch_one('SELECT count(DISTINCT user_main_id) FROM graph'):,} "
              f"people ({time.perf_counter() - t0:.1f}s); peak RSS {peak_mb():.0f} MB")
        project = load_project(root / "project")
        t0 = time.perf_counter()
        result = run_features(adapter, project, end_time=END, id_graph_table="graph")
        ours = time.perf_counter() - t0
        print(f"ours:      {ours:7.2f}s  ({', '.join(f'{s.name} {s.seconds:.2f}s' for s in result.steps if s.seconds > 0.05)}); "
              f"peak RSS {peak_mb():.0f} MB")
        t0 = time.perf_counter()
        adapter.execute(f"CREATE OR REPLACE TABLE reference AS {reference_sql()}")
        ref = time.perf_counter() - t0
        print(f"reference: {ref:7.2f}s  (one hand-written DuckDB query); peak RSS {peak_mb():.0f} MB")
        print(f"ratio ours/reference: {ours / ref:.2f}x (target <= 1.5x)")
        diff = mismatches(adapter)
        print(f"values: {diff.pop('n_rows'):,} entities; " + ("all 30 vars equal" if not diff else f"MISMATCH {diff}"))
        adapter.close()


if __name__ == "__main__":
    main()
