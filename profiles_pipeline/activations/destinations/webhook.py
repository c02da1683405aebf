"""Webhook: batched JSON POST.

Body: `{"activation": name, "rows": [{"op": "upsert"|"delete", "key": ..., "fields": {...}}]}`.
The auth header's value comes from an environment variable, and with `hmac_secret_env` the body's
HMAC-SHA256 goes in `X-Profiles-Signature: sha256=<hex>`. 2xx accepts the batch, except the rows
a JSON body lists under `errors` (`[{"key": ..., "message": ...}]`); another 4xx rejects the
whole batch with the server's message; retries are `http.py`'s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from profiles_pipeline.activations.destinations.base import BatchOutcome, Op, json_default
from profiles_pipeline.activations.destinations.http import JsonPoster, retry_after_seconds
from profiles_pipeline.errors import UserError

__all__ = ["WebhookDestination", "env_value", "retry_after_seconds"]


def env_value(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UserError(f"environment variable {name} ({what}) is not set")
    return value


class WebhookDestination:
    def __init__(self, plan, sleep=None, rng=None):
        d = plan.destination
        self.name = plan.name
        url = d.url or env_value(d.url_env, f"the URL of activation {plan.name}")
        headers = {}
        if d.auth_env:
            headers[d.auth_header] = env_value(d.auth_env, f"the {d.auth_header} header of activation {plan.name}")
        self.headers = headers
        self.secret = env_value(d.hmac_secret_env, f"the HMAC key of activation {plan.name}").encode() if d.hmac_secret_env else None
        kw = {"sleep": sleep} if sleep else {}
        self.poster = JsonPoster(plan.name, url, headers, timeout=d.timeout_seconds, max_attempts=d.max_attempts,
                                 rate_limit=plan.rate_limit, rng=rng, **kw)

    def send(self, batch: list[Op]) -> BatchOutcome:
        rows = [{"op": o.op, "key": o.key, "fields": o.fields} for o in batch]
        body = json.dumps({"activation": self.name, "rows": rows}, default=json_default, sort_keys=True).encode()
        signed = {"X-Profiles-Signature": "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()} \
            if self.secret is not None else {}
        answer = self.poster.post(body, signed)
        if answer.status >= 300:
            return BatchOutcome({o.key: f"HTTP {answer.status}: {answer.text()}" for o in batch}, answer.attempts, answer.waited)
        keys = {o.key for o in batch}
        rejected = {str(e["key"]): str(e.get("message") or "rejected") for e in answer.json().get("errors") or []
                    if isinstance(e, dict) and str(e.get("key")) in keys}
        return BatchOutcome(rejected, answer.attempts, answer.waited)

    def close(self) -> None:
        return None
