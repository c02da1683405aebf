"""Activations against a real HTTP server on 127.0.0.1 (started per test), on real DuckDB files:
diffs over changing cohorts, retries (429 with Retry-After, 5xx, timeouts), per-row rejections,
a destination that fails at random, a sync that dies mid-way, and file destinations."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from profiles_pipeline.activations.destinations.webhook import (
    WebhookDestination,
    retry_after_seconds,
)
from profiles_pipeline.activations.plan import ActivationPlan
from profiles_pipeline.activations.sync import diff_counts, sync
from profiles_pipeline.errors import ProfilesError
from profiles_pipeline.spec.model_types import ActivationDestination
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter
from profiles_pipeline.warehouse.testing import ENGINES, open_test_adapter

DAY = datetime(2026, 1, 10, 23, 59)


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that answers JSON."""

    def log_message(self, *args):
        pass

    def _answer(self, status, doc, headers=None):
        data = json.dumps(doc).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Receiver:
    """What the destination holds (key → fields), and how it misbehaves."""

    def __init__(self):
        self.rows: dict[str, dict] = {}
        self.received: list[str] = []
        self.requests = 0
        self.fail_rate = 0.0
        self.script: list[tuple[int, dict]] = []  # (status, headers) answered first, in order
        self.reject_keys: set[str] = set()
        self.secret: bytes | None = None
        self.rng = random.Random(7)
        self.delay = 0.0  # seconds each request takes, outside the lock
        self.lock = threading.Lock()


def _handler(rx: Receiver):
    class Handler(JsonHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if rx.delay:
                import time as _time
                _time.sleep(rx.delay)
            with rx.lock:
                rx.requests += 1
                if rx.secret is not None:
                    want = "sha256=" + hmac.new(rx.secret, body, hashlib.sha256).hexdigest()
                    if self.headers.get("X-Profiles-Signature") != want:
                        return self._answer(401, {"message": "bad signature"})
                if rx.script:
                    status, headers = rx.script.pop(0)
                    return self._answer(status, {"message": "scripted"}, headers)
                if rx.rng.random() < rx.fail_rate:
                    status = rx.rng.choice([500, 502, 429, 503])
                    return self._answer(status, {"message": "flaky"}, {"Retry-After": "0"} if status in (429, 503) else {})
                errors = []
                for row in json.loads(body)["rows"]:
                    if row["key"] in rx.reject_keys:
                        errors.append({"key": row["key"], "message": "invalid email"})
                        continue
                    rx.received.append(row["key"])
                    if row["op"] == "delete":
                        rx.rows.pop(row["key"], None)
                    else:
                        rx.rows[row["key"]] = row["fields"]
            self._answer(200, {"errors": errors})


    return Handler


@pytest.fixture
def server():
    rx = Receiver()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rx))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    rx.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    yield rx
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def adapter(tmp_path):
    with DuckDBAdapter(tmp_path / "w.duckdb") as a:
        a.execute("CREATE TABLE ids (user_main_id VARCHAR, other_id VARCHAR, other_id_type VARCHAR, first_seen_at TIMESTAMP)")
        yield a


@pytest.fixture(params=ENGINES)
def any_adapter(request, tmp_path, monkeypatch):
    """The same sync on DuckDB and on Snowflake's SQL path (fakesnow)."""
    with open_test_adapter(request.param, tmp_path, monkeypatch) as a:
        a.execute("CREATE TABLE ids (user_main_id VARCHAR, other_id VARCHAR, other_id_type VARCHAR, first_seen_at TIMESTAMP)")
        yield a


def _cohort(adapter, members: dict[str, float]) -> None:
    """The source: one row per member (main id m<k>, revenue), each with an email in the id graph."""
    adapter.execute("CREATE OR REPLACE TABLE buyers (user_main_id VARCHAR, revenue DOUBLE, valid_at TIMESTAMP)")
    adapter.execute("DELETE FROM ids")
    if members:
        adapter.execute("INSERT INTO buyers VALUES " + ", ".join(f"('{k}', {v}, NULL)" for k, v in members.items()))
        adapter.execute("INSERT INTO ids VALUES " + ", ".join(
            f"('{k}', '{k}@x.com', 'email', TIMESTAMP '2026-01-01'), ('{k}', '{k}-old@x.com', 'email', TIMESTAMP '2026-01-02')"
            for k in members))


def _plan(tmp_path: Path, url: str = "", mode: str = "upsert", batch: int = 2, identifier: str | None = "email", **dest):
    destination = ActivationDestination(**({"type": "webhook", "url": url, "max_attempts": 30} | dest))
    return ActivationPlan(
        name="buyers_hook", source_relation="buyers", source_step=("cohorts", "buyers"), entity="user",
        main_id_column="user_main_id", id_type=identifier, id_graph="ids" if identifier else None,
        columns={"revenue": "ltv"}, mode=mode, batch_size=batch, rate_limit=None, max_rejection_rate=0.05,
        destination=destination, project_root=tmp_path)


def _fast(plan, **kw):
    return WebhookDestination(plan, sleep=lambda s: None, **kw)


@pytest.mark.parametrize("mode", ["upsert", "mirror", "insert"])
def test_diffs_over_days_of_a_changing_cohort(any_adapter, server, tmp_path, mode):
    adapter = any_adapter
    plan = _plan(tmp_path, server.url, mode)
    _cohort(adapter, {"m1": 10, "m2": 20, "m3": 30})
    first = sync(adapter, plan, end_time=DAY, run_id="d1", destination=_fast(plan))
    assert (first.added, first.changed, first.removed, first.batches) == (3, 0, 0, 2)
    assert server.rows == {"m1@x.com": {"ltv": 10.0}, "m2@x.com": {"ltv": 20.0}, "m3@x.com": {"ltv": 30.0}}
    # Day 2: m2 changes, m3 leaves, m4 joins.
    _cohort(adapter, {"m1": 10, "m2": 25, "m4": 40})
    second = sync(adapter, plan, end_time=DAY + timedelta(days=1), run_id="d2", destination=_fast(plan))
    expected = {"upsert": ({"m1": 10.0, "m2": 25.0, "m3": 30.0, "m4": 40.0}, (1, 1, 0)),
                "mirror": ({"m1": 10.0, "m2": 25.0, "m4": 40.0}, (1, 1, 1)),
                "insert": ({"m1": 10.0, "m2": 20.0, "m3": 30.0, "m4": 40.0}, (1, 0, 0))}[mode]
    assert server.rows == {f"{k}@x.com": {"ltv": v} for k, v in expected[0].items()}
    assert (second.added, second.changed, second.removed) == expected[1]
    # Nothing new: nothing sent.
    before = server.requests
    third = sync(adapter, plan, end_time=DAY + timedelta(days=2), run_id="d3", destination=_fast(plan))
    assert (third.sent, third.batches, server.requests) == (0, 0, before)


def test_an_older_partition_sends_nothing(adapter, server, tmp_path):
    plan = _plan(tmp_path, server.url)
    _cohort(adapter, {"m1": 10})
    sync(adapter, plan, end_time=DAY, run_id="d1", destination=_fast(plan))
    _cohort(adapter, {"m1": 99})
    old = sync(adapter, plan, end_time=DAY - timedelta(days=3), run_id="old", destination=_fast(plan))
    assert old.skipped and old.sent == 0 and server.rows == {"m1@x.com": {"ltv": 10.0}}


def test_retry_after_is_honoured_and_5xx_retried(adapter, server, tmp_path):
    plan = _plan(tmp_path, server.url, batch=10)
    server.script = [(429, {"Retry-After": "3"}), (503, {"Retry-After": "1"}), (500, {})]
    waits: list[float] = []
    _cohort(adapter, {"m1": 1, "m2": 2})
    out = sync(adapter, plan, end_time=DAY, run_id="r", destination=WebhookDestination(plan, sleep=waits.append))
    assert waits[:2] == [3.0, 1.0] and len(waits) == 3 and 0 <= waits[2] <= 20
    assert out.retries == 3 and out.added == 2 and len(server.rows) == 2
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0 and retry_after_seconds("7") == 7.0


def test_a_4xx_rejects_the_batch_and_a_destination_that_never_answers_fails_the_sync(adapter, server, tmp_path):
    plan = _plan(tmp_path, server.url, batch=10, max_attempts=2)
    _cohort(adapter, {"m1": 1})
    server.script = [(400, {})]
    out = sync(adapter, plan, end_time=DAY, run_id="r", destination=_fast(plan))
    assert out.rejected == 1 and adapter.fetch("SELECT key, op FROM buyers_hook__rejected") == [("m1@x.com", "upsert")]
    server.script = [(500, {}), (500, {})]
    with pytest.raises(ProfilesError, match="did not accept a batch after 2 tries"):
        sync(adapter, plan, end_time=DAY, run_id="r2", destination=_fast(plan))
    dead = _plan(tmp_path, "http://127.0.0.1:9/nothing-listens", max_attempts=2, timeout_seconds=1)
    with pytest.raises(ProfilesError, match="ConnectionRefusedError|URLError|Connection refused"):
        sync(adapter, dead, end_time=DAY, run_id="r3", destination=_fast(dead))


def test_rejected_rows_are_kept_and_retried_next_sync(any_adapter, server, tmp_path):
    adapter = any_adapter
    plan = _plan(tmp_path, server.url, batch=10)
    _cohort(adapter, {"m1": 1, "m2": 2})
    server.reject_keys = {"m2@x.com"}
    out = sync(adapter, plan, end_time=DAY, run_id="r1", destination=_fast(plan))
    assert (out.added, out.rejected, out.rejection_rate) == (1, 1, 0.5)
    assert adapter.fetch("SELECT key, message FROM buyers_hook__rejected") == [("m2@x.com", "invalid email")]
    server.reject_keys = set()
    again = sync(adapter, plan, end_time=DAY + timedelta(days=1), run_id="r2", destination=_fast(plan))
    assert (again.added, again.rejected) == (1, 0) and set(server.rows) == {"m1@x.com", "m2@x.com"}
    assert adapter.fetch("SELECT COUNT(*) FROM buyers_hook__rejected") == [(0,)]


def test_a_flaky_destination_ends_with_exactly_the_source(adapter, server, tmp_path):
    """30% of requests fail at random (500, 502, 429, 503); after the syncs the server holds the source."""
    server.fail_rate = 0.3
    plan = _plan(tmp_path, server.url, mode="mirror", batch=7)
    rng = random.Random(3)
    for day in range(4):
        members = {f"m{i}": float(rng.randint(1, 5)) for i in range(60) if rng.random() < 0.7}
        _cohort(adapter, members)
        sync(adapter, plan, end_time=DAY + timedelta(days=day), run_id=f"d{day}", destination=_fast(plan))
        assert server.rows == {f"{k}@x.com": {"ltv": v} for k, v in members.items()}, day


def test_a_sync_that_dies_mid_way_resumes_without_loss_or_resending(adapter, server, tmp_path):
    plan = _plan(tmp_path, server.url, batch=5)
    _cohort(adapter, {f"m{i:02d}": float(i) for i in range(40)})

    class Dies(WebhookDestination):
        sent = 0

        def send(self, batch):
            if Dies.sent == 3:
                raise KeyboardInterrupt("killed")
            Dies.sent += 1
            return super().send(batch)

    with pytest.raises(KeyboardInterrupt):
        sync(adapter, plan, end_time=DAY, run_id="r1", destination=Dies(plan, sleep=lambda s: None))
    assert adapter.fetch("SELECT COUNT(*) FROM buyers_hook__synced") == [(15,)]
    sync(adapter, plan, end_time=DAY, run_id="r2", destination=_fast(plan))
    assert len(server.rows) == 40 and len(server.received) == 40 == len(set(server.received))


def test_the_body_is_signed_and_the_auth_header_set_from_the_environment(adapter, server, tmp_path, monkeypatch):
    server.secret = b"s3cret"
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    monkeypatch.setenv("HOOK_TOKEN", "Bearer abc")
    plan = _plan(tmp_path, server.url, hmac_secret_env="HOOK_SECRET", auth_env="HOOK_TOKEN")
    _cohort(adapter, {"m1": 1})
    assert sync(adapter, plan, end_time=DAY, run_id="r", destination=_fast(plan)).added == 1
    assert _fast(plan).headers["Authorization"] == "Bearer abc"


def test_an_unset_environment_fails_the_sync_or_skips_it_as_asked(adapter, server, tmp_path, monkeypatch):
    monkeypatch.delenv("HOOK_URL", raising=False)
    _cohort(adapter, {"m1": 1})
    failing = _plan(tmp_path, url=None, url_env="HOOK_URL")
    with pytest.raises(ProfilesError, match="HOOK_URL"):
        sync(adapter, failing, end_time=DAY, run_id="r")
    skipping = _plan(tmp_path, url=None, url_env="HOOK_URL", when_unset="skip")
    result = sync(adapter, skipping, end_time=DAY, run_id="r")
    assert result.skipped == "not configured: HOOK_URL not set (when_unset: skip)" and result.sent == 0
    assert adapter.fetch("SELECT COUNT(*) FROM buyers_hook__synced") == [(0,)], "nothing recorded as accepted"
    monkeypatch.setenv("HOOK_URL", server.url)
    assert sync(adapter, skipping, end_time=DAY, run_id="r").added == 1 and set(server.rows) == {"m1@x.com"}


def test_the_local_receiver_runs_a_command_against_a_signed_endpoint_and_keeps_its_rows(tmp_path):
    """`python -m profiles_pipeline.activations.receiver --out F -- cmd`: the command sees the URL and
    key; an unsigned request is refused; what the endpoint holds is written and read back next time."""
    import subprocess
    import sys

    post = """if True:
        import hashlib, hmac, json, os, urllib.request, urllib.error
        def send(rows, sign=True):
            body = json.dumps({"activation": "a", "rows": rows}).encode()
            sig = "sha256=" + hmac.new(os.environ["PROFILES_WEBHOOK_SECRET"].encode(), body, hashlib.sha256).hexdigest()
            req = urllib.request.Request(os.environ["PROFILES_WEBHOOK_URL"], body,
                                         {"X-Profiles-Signature": sig} if sign else {})
            try:
                return urllib.request.urlopen(req).status
            except urllib.error.HTTPError as e:
                return e.code
        assert send([{"op": "upsert", "key": "a@x.com", "fields": {"ltv": 1}}, {"op": "upsert", "key": "b@x.com", "fields": {"ltv": 2}}]) == 200
        assert send([{"op": "upsert", "key": "c@x.com", "fields": {}}], sign=False) == 401
        assert send([{"op": "delete", "key": "a@x.com", "fields": {}}]) == 200
    """
    out = tmp_path / "held.jsonl"
    out.write_text(json.dumps({"key": "old@x.com", "ltv": 9}) + "\n")
    done = subprocess.run([sys.executable, "-m", "profiles_pipeline.activations.receiver", "--out", str(out), "--",
                           sys.executable, "-c", post], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "3 request(s), 1 refused; it holds 2 row(s)" in done.stderr
    assert [json.loads(x) for x in out.read_text().splitlines()] == [{"key": "b@x.com", "ltv": 2},
                                                                     {"key": "old@x.com", "ltv": 9}]
    failed = subprocess.run([sys.executable, "-m", "profiles_pipeline.activations.receiver", "--out", str(out), "--",
                             sys.executable, "-c", "raise SystemExit(3)"], capture_output=True, timeout=60)
    assert failed.returncode == 3, "the command's exit code"


def test_dry_run_counts_and_samples_without_sending(adapter, server, tmp_path):
    plan = _plan(tmp_path, server.url, identifier=None)
    _cohort(adapter, {"m1": 1, "m2": 2})
    dry = diff_counts(adapter, plan)
    assert (dry.added, dry.changed) == (2, 0) and dry.sample[0] == {"op": "added", "key": "m1", "ltv": 1.0}
    assert server.requests == 0


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_files_get_one_part_per_batch(adapter, tmp_path, fmt):
    import pandas as pd

    plan = _plan(tmp_path, mode="all", batch=2, type="file", path="out", format=fmt)
    _cohort(adapter, {"m1": 1, "m2": 2, "m3": 3})
    out = sync(adapter, plan, end_time=DAY, run_id="run1")
    parts = sorted((tmp_path / "out" / "buyers_hook" / "run1").glob(f"*.{fmt}"))
    assert out.batches == 2 and [p.name for p in parts] == [f"part-00001.{fmt}", f"part-00002.{fmt}"]
    read = {"jsonl": lambda p: pd.read_json(p, lines=True), "csv": pd.read_csv, "parquet": pd.read_parquet}[fmt]
    frame = pd.concat([read(p) for p in parts])
    assert sorted(frame["_key"]) == ["m1@x.com", "m2@x.com", "m3@x.com"]
    assert sync(adapter, plan, end_time=DAY + timedelta(days=1), run_id="run2").sent == 3  # `all`: a full snapshot


@pytest.mark.parametrize(("old", "new", "says"), [
    ("      identifier: email\n", "      identifier: emial\n", "identifier 'emial' is not an id type of entity user"),
    ("      source: models/known_users\n", "      source: models/known_user\n", "source 'models/known_user' is not a cohort"),
    ("        path: data/activations\n", "", "a file destination needs path:"),
])
def test_validate_names_what_is_wrong_in_an_activation(tmp_path, old, new, says):
    import shutil

    from profiles_pipeline.spec.validate import validate_project

    root = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parents[1] / "config", root, ignore=shutil.ignore_patterns("data"))
    models = root / "models" / "profiles.yaml"
    assert old in models.read_text()
    models.write_text(models.read_text().replace(old, new))
    problems = [str(p) for p in validate_project(root).problems]
    assert any(says in p and "profiles.yaml:" in p for p in problems), problems


class VendorApi:
    """Braze `/users/track` and HubSpot contacts batch upsert as their documentation describes
    them: Bearer auth, request size limits, per-record errors, rate limiting."""

    def __init__(self):
        self.braze: dict[str, dict] = {}
        self.hubspot: dict[str, dict] = {}
        self.sizes: list[int] = []
        self.throttle_once = True
        self.lock = threading.Lock()


def _vendor_handler(api: VendorApi):
    class Handler(JsonHandler):

        def do_POST(self):  # noqa: N802
            doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.headers.get("Authorization") != "Bearer key-123":
                return self._answer(401, {"message": "Invalid API key"})
            with api.lock:
                if api.throttle_once:
                    api.throttle_once = False
                    import time as _t
                    return self._answer(429, {"message": "rate limited"}, {"X-RateLimit-Reset": str(int(_t.time()))})
                if self.path == "/users/track":
                    attrs = doc["attributes"]
                    api.sizes.append(len(attrs))
                    if len(attrs) > 75:
                        return self._answer(400, {"message": "too many attributes"})
                    errors = []
                    for i, a in enumerate(attrs):
                        key = a.get("external_id") or a.get("email")
                        if "@" not in str(key):
                            errors.append({"type": "'email' is not valid", "input_array": "attributes", "index": i})
                            continue
                        api.braze[key] = {k: v for k, v in a.items() if k not in ("external_id", "email")}
                    return self._answer(201, {"message": "success", "attributes_processed": len(attrs) - len(errors),
                                              **({"errors": errors} if errors else {})})
                if self.path == "/crm/v3/objects/contacts/batch/upsert":
                    inputs = doc["inputs"]
                    api.sizes.append(len(inputs))
                    if len(inputs) > 100:
                        return self._answer(400, {"status": "error", "message": "batch too large"})
                    bad = [x["id"] for x in inputs if "@" not in x["id"] or x["idProperty"] != "email"]
                    for x in inputs:
                        if x["id"] not in bad:
                            api.hubspot[x["id"]] = x["properties"]
                    if bad:
                        return self._answer(207, {"status": "COMPLETE", "results": [], "numErrors": 1, "errors": [
                            {"status": "error", "category": "VALIDATION_ERROR", "message": "Email address is invalid",
                             "context": {"ids": bad}}]})
                    return self._answer(200, {"status": "COMPLETE", "results": []})
            self._answer(404, {"message": "no such endpoint"})

    return Handler


@pytest.fixture
def vendor():
    api = VendorApi()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _vendor_handler(api))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    api.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield api
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("kind", ["braze", "hubspot"])
def test_braze_and_hubspot_get_their_documented_payloads(adapter, vendor, tmp_path, monkeypatch, kind):
    from profiles_pipeline.activations.destinations.braze import BrazeDestination
    from profiles_pipeline.activations.destinations.hubspot import HubSpotDestination

    monkeypatch.setenv("VENDOR_KEY", "key-123")
    plan = _plan(tmp_path, type=kind, url=vendor.url, api_key_env="VENDOR_KEY", batch=250)
    members = {f"m{i:03d}": float(i) for i in range(180)}
    _cohort(adapter, members)
    adapter.execute("UPDATE ids SET other_id = 'not-an-email' WHERE user_main_id = 'm007' AND other_id = 'm007@x.com'")
    dest = (BrazeDestination if kind == "braze" else HubSpotDestination)(plan, sleep=lambda s: None)
    out = sync(adapter, plan, end_time=DAY, run_id="r", destination=dest)
    held = vendor.braze if kind == "braze" else vendor.hubspot
    assert out.rejected == 1 and out.added == 179 and out.retries >= 1
    assert max(vendor.sizes) == (75 if kind == "braze" else 100)
    assert held["m001@x.com"] == {"ltv": 1.0} and "not-an-email" not in held and len(held) == 179
    message = adapter.fetch("SELECT message FROM buyers_hook__rejected")[0][0]
    assert message == ("Braze: 'email' is not valid" if kind == "braze" else "HubSpot: Email address is invalid")


_SYNC_SCRIPT = """
import sys
from datetime import datetime
from pathlib import Path
from profiles_pipeline.activations.plan import ActivationPlan
from profiles_pipeline.activations.sync import sync
from profiles_pipeline.spec.model_types import ActivationDestination
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter
db, url = sys.argv[1], sys.argv[2]
plan = ActivationPlan(name="buyers_hook", source_relation="buyers", source_step=("cohorts", "buyers"), entity="user",
    main_id_column="user_main_id", id_type="email", id_graph="ids", columns={"revenue": "ltv"}, mode="upsert",
    batch_size=5, rate_limit=None, max_rejection_rate=0.05,
    destination=ActivationDestination(type="webhook", url=url), project_root=Path("."))
with DuckDBAdapter(db) as adapter:
    sync(adapter, plan, end_time=datetime(2026, 1, 10, 23, 59), run_id="killed")
"""


def test_kill_9_mid_sync_then_rerun_loses_nothing(tmp_path, server):
    """A real process is SIGKILLed while it syncs (the server answers slowly); the rerun sends
    the rest: the server ends with exactly the source, and at most the batch in flight twice."""
    import os
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "k.duckdb"
    with DuckDBAdapter(db) as a:
        a.execute("CREATE TABLE ids (user_main_id VARCHAR, other_id VARCHAR, other_id_type VARCHAR, first_seen_at TIMESTAMP)")
        _cohort(a, {f"m{i:02d}": float(i) for i in range(40)})
    server.delay = 0.3
    proc = subprocess.Popen([sys.executable, "-c", _SYNC_SCRIPT, str(db), server.url])
    deadline = time.time() + 60
    while server.requests < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL and 3 <= len(server.received) < 40
    server.delay = 0.0
    with DuckDBAdapter(db) as a:
        plan = _plan(tmp_path, server.url, batch=5)
        sync(a, plan, end_time=DAY, run_id="rerun", destination=_fast(plan))
        assert a.fetch("SELECT COUNT(*) FROM buyers_hook__synced") == [(40,)]
    assert server.rows == {f"m{i:02d}@x.com": {"ltv": float(i)} for i in range(40)}
    assert len(server.received) - 40 <= 5


def test_a_warehouse_table_is_kept_equal_to_the_source(any_adapter, tmp_path):
    adapter = any_adapter
    plan = _plan(tmp_path, mode="mirror", type="table", table="crm_buyers")
    _cohort(adapter, {"m1": 1, "m2": 2})
    sync(adapter, plan, end_time=DAY, run_id="r1")
    _cohort(adapter, {"m2": 5, "m3": 3})
    sync(adapter, plan, end_time=DAY + timedelta(days=1), run_id="r2")
    held = sorted((k, float(v)) for k, v in adapter.fetch('SELECT "key", "ltv" FROM crm_buyers'))
    assert held == [("m2@x.com", 5.0), ("m3@x.com", 3.0)]


def test_a_table_in_another_named_connection(adapter, tmp_path):
    other = tmp_path / "crm.duckdb"
    (tmp_path / "siteconfig.yaml").write_text(
        f"connections:\n  crm:\n    target: dev\n    outputs:\n      dev:\n        type: duckdb\n        path: {other}\n")
    plan = _plan(tmp_path, type="table", table="buyers_out", connection="crm")
    _cohort(adapter, {"m1": 1})
    assert sync(adapter, plan, end_time=DAY, run_id="r1").added == 1
    assert not adapter.table_exists("buyers_out")
    with DuckDBAdapter(other) as crm:
        assert crm.fetch('SELECT "key", "ltv" FROM buyers_out') == [("m1@x.com", "1.0")]


def test_files_go_to_an_fsspec_url(adapter, tmp_path):
    import fsspec

    plan = _plan(tmp_path, mode="all", batch=2, type="file", path="memory://exports/crm", format="jsonl")
    _cohort(adapter, {"m1": 1, "m2": 2, "m3": 3})
    assert sync(adapter, plan, end_time=DAY, run_id="run1").batches == 2
    fs = fsspec.filesystem("memory")
    parts = sorted(fs.glob("/exports/crm/buyers_hook/run1/*"))
    assert [p.rsplit("/", 1)[1] for p in parts] == ["part-00001.jsonl", "part-00002.jsonl"]
    keys = sorted(json.loads(line)["_key"] for p in parts for line in fs.cat(p).decode().splitlines())
    assert keys == ["m1@x.com", "m2@x.com", "m3@x.com"]
