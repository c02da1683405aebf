"""Benchmark: the Activation API on N profiles in a real redis-server, under a bounded load.

    python bench/activation_api.py                       # 1M profiles, 500 requests/s for 10 s
    python bench/activation_api.py --profiles 100000 --rate 200

Fills Redis as the redis destination lays it out (profile JSON, email → main id), starts
`profiles serve`'s app on uvicorn in this process, and sends GET /v1/entities/user/email/<v>
at a fixed rate from client threads with keep-alive connections; prints p50/p99 latency and errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))



def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", type=int, default=1_000_000)
    ap.add_argument("--rate", type=int, default=500, help="requests per second")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    import redis

    rport, aport = _port(), _port()
    proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(rport), "--save", "", "--appendonly", "no",
                             "--dir", tempfile.mkdtemp()], stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=rport)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        t0 = time.perf_counter()
        pipe = client.pipeline(transaction=False)
        for i in range(args.profiles):
            main_id = f"m{i}"
            pipe.set(f"profiles:user:profile:{main_id}", json.dumps({"ltv": i % 997, "country": "US", "valid_at": "2026-01-10"}))
            pipe.set(f"profiles:user:id:email:u{i}@x.com", main_id)
            if i % 10_000 == 9_999:
                pipe.execute()
        pipe.execute()
        print(f"filled {args.profiles:,} profiles in {time.perf_counter() - t0:.1f}s")
        # The API runs in its own process, as `profiles serve` does: the load generator's threads
        # must not share its interpreter lock.
        serve = (f"import redis, uvicorn; from profiles_pipeline.activations.api import EntityIds, build_app; "
                 f"uvicorn.run(build_app(redis.Redis(port={rport}), {{'user': EntityIds(('email',), 'user_main_id')}}, "
                 f"'tok'), host='127.0.0.1', port={aport}, log_level='warning')")
        api = subprocess.Popen([sys.executable, "-c", serve], cwd=str(Path(__file__).resolve().parents[1]))
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", aport), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        total = int(args.rate * args.seconds)
        start = time.perf_counter() + 0.2
        interval = 1.0 / args.rate

        def worker(k: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", aport, timeout=5)
            rng = random.Random(k)
            for j in range(k, total, args.clients):
                due = start + j * interval
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                t = time.perf_counter()
                try:
                    conn.request("GET", f"/v1/entities/user/email/u{rng.randrange(args.profiles)}@x.com",
                                 headers={"Authorization": "Bearer tok"})
                    r = conn.getresponse()
                    r.read()
                    ok = r.status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    conn = http.client.HTTPConnection("127.0.0.1", aport, timeout=5)
                # latency from when the request was due, so a server that falls behind shows it
                with lock:
                    latencies.append(time.perf_counter() - min(t, due) if wait > 0 else time.perf_counter() - due)
                    errors[0] += not ok

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        latencies.sort()
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
        print(f"{len(latencies):,} requests at {args.rate}/s over {args.seconds:.0f}s: p50 {p(0.5):.1f} ms, "
              f"p99 {p(0.99):.1f} ms, max {latencies[-1] * 1000:.1f} ms, errors {errors[0]}")
        api.terminate()
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
