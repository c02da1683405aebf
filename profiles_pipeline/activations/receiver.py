"""A local webhook endpoint: see what a webhook activation sends before pointing it at a real one.

    python -m profiles_pipeline.activations.receiver --out received.jsonl -- profiles run -p config

starts an HTTP server on a free loopback port, runs the command with `PROFILES_WEBHOOK_URL` set
to it (and `PROFILES_WEBHOOK_SECRET`, a fresh key whose HMAC signature every request must carry),
keeps what the destination would hold (upserts replace a key's row, deletes remove it) and
writes it to `--out`, one JSON object per key, starting from what `--out` held. Without a command it serves until interrupted.
Exit code: the command's. `make demo` runs the example project this way.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class WebhookStore:
    """What a destination that applies every accepted op holds: key → fields."""

    def __init__(self, secret: bytes | None) -> None:
        self.secret = secret
        self.rows: dict[str, dict] = {}
        self.requests = 0
        self.refused = 0
        self.lock = threading.Lock()

    def accept(self, body: bytes, signature: str | None) -> tuple[int, dict]:
        """(status, answer) for one POST body."""
        with self.lock:
            self.requests += 1
            if self.secret is not None:
                want = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(signature or "", want):
                    self.refused += 1
                    return 401, {"message": "X-Profiles-Signature does not match the body"}
            try:
                rows = json.loads(body)["rows"]
            except (ValueError, KeyError, TypeError):
                self.refused += 1
                return 400, {"message": "the body is not {\"activation\": ..., \"rows\": [...]}"}
            for row in rows:
                if row.get("op") == "delete":
                    self.rows.pop(str(row["key"]), None)
                else:
                    self.rows[str(row["key"])] = row.get("fields") or {}
            return 200, {"errors": []}

    def load(self, out: Path) -> None:
        """Start from what an earlier run left: a real destination keeps its rows between syncs."""
        if out.exists():
            for line in out.read_text().splitlines():
                row = json.loads(line)
                self.rows[str(row.pop("key"))] = row

    def write(self, out: Path) -> None:
        with self.lock:
            lines = [json.dumps({"key": k, **v}, sort_keys=True) for k, v in sorted(self.rows.items())]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(line + "\n" for line in lines))


def serve(store: WebhookStore, port: int = 0) -> ThreadingHTTPServer:
    """Start the server in a daemon thread; its port is `server.server_address[1]`."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 (the http.server hook's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = store.accept(body, self.headers.get("X-Profiles-Signature"))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m profiles_pipeline.activations.receiver",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="where to write what the endpoint holds (JSON Lines)")
    parser.add_argument("--port", type=int, default=0, help="the loopback port (default: a free one)")
    parser.add_argument("command", nargs="*", help="a command to run with PROFILES_WEBHOOK_URL set (after --)")
    args = parser.parse_args(argv)
    secret = secrets.token_hex(16)
    store = WebhookStore(secret.encode())
    store.load(args.out)
    server = serve(store, args.port)
    url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
    rc = 0
    try:
        if args.command:
            env = {**os.environ, "PROFILES_WEBHOOK_URL": url, "PROFILES_WEBHOOK_SECRET": secret}
            rc = subprocess.call(args.command, env=env)
        else:
            print(f"listening on {url}; PROFILES_WEBHOOK_SECRET={secret}; Ctrl-C to stop", flush=True)
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        store.write(args.out)
    print(f"webhook receiver: {store.requests} request(s), {store.refused} refused; it holds {len(store.rows):,} "
          f"row(s), written to {args.out}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
