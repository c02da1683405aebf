"""The Redis destination and the Activation API against a real `redis-server` on a free loopback
port and a real uvicorn server: profiles by main id and by any id, cohorts, removals, and the
API's errors (401, 400, 404) and OpenAPI document."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import pytest

from profiles_pipeline.activations.api import EntityIds, build_app
from profiles_pipeline.activations.plan import ActivationPlan
from profiles_pipeline.activations.sync import sync
from profiles_pipeline.spec.model_types import ActivationDestination
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

DAY = datetime(2026, 1, 10, 23, 59)
TOKEN = "t0ken"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed (make test installs it through apt)"
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def _plan(name, relation, step, url, mode="mirror", columns=None):
    return ActivationPlan(
        name=name, source_relation=relation, source_step=step, entity="user", main_id_column="user_main_id",
        id_type=None, id_graph="ids", columns=columns or {}, mode=mode, batch_size=2, rate_limit=None,
        max_rejection_rate=0.05, destination=ActivationDestination(type="redis", url=url), project_root=os.getcwd())


@pytest.fixture
def adapter(tmp_path):
    with DuckDBAdapter(tmp_path / "w.duckdb") as a:
        a.execute("CREATE TABLE ids (user_main_id VARCHAR, other_id VARCHAR, other_id_type VARCHAR, first_seen_at TIMESTAMP)")
        a.execute("""INSERT INTO ids VALUES ('m1', 'a@x.com', 'email', TIMESTAMP '2026-01-01'),
            ('m1', 'u1', 'user_id', TIMESTAMP '2026-01-01'), ('m2', 'b@x.com', 'email', TIMESTAMP '2026-01-01')""")
        a.execute("""CREATE TABLE user_feature_view AS SELECT * FROM (VALUES ('m1', 10.5, 'US', TIMESTAMP '2026-01-10 23:59'),
            ('m2', 3.0, 'DE', TIMESTAMP '2026-01-10 23:59')) AS t(user_main_id, revenue, country, valid_at)""")
        a.execute("CREATE TABLE buyers AS SELECT * FROM (VALUES ('m1')) AS t(user_main_id)")
        yield a


@pytest.fixture
def api(redis_url):
    import redis
    import uvicorn

    port = _free_port()
    app = build_app(redis.Redis.from_url(redis_url), {"user": EntityIds(("email", "user_id"), "user_main_id")}, TOKEN)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _get(url: str, token: str | None = TOKEN) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_profiles_by_any_id_with_cohorts_and_errors(adapter, redis_url, api):
    profiles = _plan("store_profiles", "user_feature_view", ("features", "user"), redis_url)
    members = _plan("store_buyers", "buyers", ("cohorts", "buyers"), redis_url)
    assert sync(adapter, profiles, end_time=DAY, run_id="r1").added == 2
    assert sync(adapter, members, end_time=DAY, run_id="r1").added == 1
    status, body = _get(f"{api}/v1/entities/user/email/a@x.com")
    assert status == 200
    assert body == {"entity": "user", "main_id": "m1", "valid_at": "2026-01-10 23:59:00", "cohorts": ["buyers"],
                    "features": {"revenue": 10.5, "country": "US"}}
    assert _get(f"{api}/v1/entities/user/user_id/u1")[1]["main_id"] == "m1"
    assert _get(f"{api}/v1/entities/user/user_main_id/m2")[1]["cohorts"] == []
    assert _get(f"{api}/v1/entities/user/email/nobody@x.com")[0] == 404
    status, body = _get(f"{api}/v1/entities/user/phone/123")
    assert status == 400 and "id types: email, user_id, user_main_id" in body["detail"]
    assert _get(f"{api}/v1/entities/account/email/a@x.com")[0] == 404
    assert _get(f"{api}/v1/entities/user/email/a@x.com", token=None)[0] == 401
    assert _get(f"{api}/v1/entities/user/email/a@x.com", token="wrong")[0] == 401
    with urllib.request.urlopen(f"{api}/openapi.json", timeout=10) as r:
        assert "/v1/entities/{entity}/{id_type}/{value}" in json.loads(r.read())["paths"]

    # Next day: m1 loses email a@x.com for c@x.com and leaves the cohort; m2 leaves the view.
    adapter.execute("UPDATE ids SET other_id = 'c@x.com' WHERE other_id = 'a@x.com'")
    adapter.execute("DELETE FROM user_feature_view WHERE user_main_id = 'm2'")
    adapter.execute("DELETE FROM buyers")
    later = DAY + timedelta(days=1)
    assert sync(adapter, profiles, end_time=later, run_id="r2").removed == 1
    assert sync(adapter, members, end_time=later, run_id="r2").removed == 1
    assert _get(f"{api}/v1/entities/user/email/a@x.com")[0] == 404
    status, body = _get(f"{api}/v1/entities/user/email/c@x.com")
    assert status == 200 and body["main_id"] == "m1" and body["cohorts"] == []
    assert _get(f"{api}/v1/entities/user/user_main_id/m2")[0] == 404
