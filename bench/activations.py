"""Benchmark: an activation's diff and sync on DuckDB, and webhook throughput against a local server.

    python bench/activations.py                  # 1M profiles, 1% changed
    python bench/activations.py --profiles 100000

First sync (every row new) and a day with 1% changed, through a destination that accepts at once
(what the engine costs, not the network); then the changed rows through a real HTTP server on
127.0.0.1 (rows/s); the reference for the diff is one hand-written DuckDB query that finds the
same changed rows in the same process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from profiles_pipeline.activations.destinations.base import BatchOutcome  # noqa: E402
from profiles_pipeline.activations.destinations.webhook import WebhookDestination  # noqa: E402
from profiles_pipeline.activations.plan import ActivationPlan  # noqa: E402
from profiles_pipeline.activations.sync import sync  # noqa: E402
from profiles_pipeline.spec.model_types import ActivationDestination  # noqa: E402
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter  # noqa: E402

DAY = datetime(2026, 1, 10, 23, 59)


class Accepts:
    """A destination that accepts every batch at once."""

    def send(self, batch):
        return BatchOutcome()

    def close(self):
        return None


def _plan(url: str = "http://127.0.0.1:9/", batch: int = 1000) -> ActivationPlan:
    return ActivationPlan(
        name="bench_act", source_relation="src", source_step=("cohorts", "src"), entity="user",
        main_id_column="user_main_id", id_type=None, id_graph=None, columns={"revenue": "ltv", "country": "country",
                                                                               "orders": "orders"},
        mode="mirror", batch_size=batch, rate_limit=None, max_rejection_rate=0.05,
        destination=ActivationDestination(type="webhook", url=url, max_attempts=3), project_root=Path("."))


def _server():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/hook"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", type=int, default=1_000_000)
    ap.add_argument("--changed", type=float, default=0.01)
    args = ap.parse_args()
    n = args.profiles
    with DuckDBAdapter(Path(tempfile.mkdtemp()) / "bench.duckdb") as adapter:
        adapter.execute(f"""CREATE TABLE src AS SELECT 'm' || CAST(i AS VARCHAR) AS user_main_id, CAST(i % 997 AS DOUBLE) AS revenue,
            CASE i % 3 WHEN 0 THEN 'US' WHEN 1 THEN 'DE' ELSE 'FR' END AS country, i % 17 AS orders FROM range({n}) t(i)""")
        plan = _plan()
        t0 = time.perf_counter()
        first = sync(adapter, plan, end_time=DAY, run_id="first", destination=Accepts())
        first_s = time.perf_counter() - t0
        every = max(1, round(1 / args.changed))
        adapter.execute(f"UPDATE src SET revenue = revenue + 1 WHERE CAST(substr(user_main_id, 2) AS BIGINT) % {every} = 0")
        t0 = time.perf_counter()
        ref = adapter.fetch_one("""SELECT COUNT(*) FROM src JOIN bench_act__synced AS s ON s.key = src.user_main_id
            WHERE s.row_hash <> md5(concat_ws(chr(2), COALESCE(CAST(revenue AS VARCHAR), chr(1)),
            COALESCE(CAST(country AS VARCHAR), chr(1)), COALESCE(CAST(orders AS VARCHAR), chr(1))))""")
        ref_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        day = sync(adapter, plan, end_time=DAY + timedelta(days=1), run_id="day", destination=Accepts())
        day_s = time.perf_counter() - t0
        print(f"first sync of {n:,} profiles: {first_s:.2f}s ({first.added:,} added, {first.batches:,} batches)")
        print(f"a day with {args.changed:.0%} changed: {day_s:.2f}s for {day.changed:,} changed rows "
              f"(the hand-written diff query alone: {ref_s:.2f}s, {ref:,} rows; ratio {day_s / ref_s:.1f}x)")
        httpd, url = _server()
        adapter.execute(f"UPDATE src SET revenue = revenue + 1 WHERE CAST(substr(user_main_id, 2) AS BIGINT) % {every} = 0")
        hook = _plan(url, batch=500)
        t0 = time.perf_counter()
        sent = sync(adapter, hook, end_time=DAY + timedelta(days=2), run_id="hook", destination=WebhookDestination(hook))
        hook_s = time.perf_counter() - t0
        httpd.shutdown()
        print(f"webhook on 127.0.0.1: {sent.changed:,} rows in {sent.batches} batches of 500 in {hook_s:.2f}s: "
              f"{sent.changed / hook_s:,.0f} rows/s")


if __name__ == "__main__":
    main()
