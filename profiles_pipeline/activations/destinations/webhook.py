"""Webhook: batched JSON POST.

Body: `{"activation": name, "rows": [{"op": "upsert"|"delete", "key": ..., "fields": {...}}]}`.
The auth header's value comes from an environment variable, and with `hmac_secret_env` the body's
HMAC-SHA256 goes in `X-Profiles-Signature: sha256=<hex>`. 2xx accepts the batch, except the rows
a JSON body lists under `errors` (`[{"key": ..., "message": ...}]`), which are rejected. 429 and
503 are retried after `Retry-After` (seconds or an HTTP date), other 5xx, timeouts and refused
connections with exponential backoff and full jitter; another 4xx rejects the whole batch with
the server's message. Standard library only: one POST per batch needs no client library.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import os
import random
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

from profiles_pipeline.activations.destinations.base import BatchOutcome, Op
from profiles_pipeline.errors import ProfilesError, UserError

#: Backoff: base * 2^attempt, capped; the wait is drawn uniformly below it (full jitter).
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 20.0


def _env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UserError(f"environment variable {name} ({what}) is not set")
    return value


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: an integer, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class WebhookDestination:
    def __init__(self, plan, sleep=time.sleep, rng: random.Random | None = None):
        d = plan.destination
        self.name = plan.name
        self.url = d.url or _env(d.url_env, f"the URL of activation {plan.name}")
        self.headers = {"Content-Type": "application/json", "User-Agent": "profiles-pipeline"}
        if d.auth_env:
            self.headers[d.auth_header] = _env(d.auth_env, f"the {d.auth_header} header of activation {plan.name}")
        self.secret = _env(d.hmac_secret_env, f"the HMAC key of activation {plan.name}").encode() if d.hmac_secret_env else None
        self.timeout = d.timeout_seconds
        self.max_attempts = d.max_attempts
        self.min_interval = 1.0 / plan.rate_limit if plan.rate_limit else 0.0
        self.last_request = 0.0
        self.sleep = sleep
        self.rng = rng or random.Random()

    def _body(self, batch: list[Op]) -> bytes:
        rows = [{"op": o.op, "key": o.key, "fields": o.fields} for o in batch]
        return json.dumps({"activation": self.name, "rows": rows}, default=str, sort_keys=True).encode()

    def _pace(self) -> None:
        wait = self.last_request + self.min_interval - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self.last_request = time.monotonic()

    def send(self, batch: list[Op]) -> BatchOutcome:
        body = self._body(batch)
        headers = dict(self.headers)
        if self.secret is not None:
            headers["X-Profiles-Signature"] = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        waited, last_error = 0.0, ""
        for attempt in range(1, self.max_attempts + 1):
            self._pace()
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            retry_in: float | None = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return BatchOutcome(_row_errors(response.read(), batch), attempt, waited)
            except urllib.error.HTTPError as e:
                text = e.read().decode("utf-8", "replace")[:500]
                last_error = f"HTTP {e.code}: {text}"
                if e.code in (429, 503):
                    retry_in = retry_after_seconds(e.headers.get("Retry-After"))
                elif e.code < 500:
                    return BatchOutcome({o.key: last_error for o in batch}, attempt, waited)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
                last_error = f"{type(e).__name__}: {getattr(e, 'reason', e)}"
            if attempt == self.max_attempts:
                break
            if retry_in is None:
                retry_in = self.rng.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** attempt))
            self.sleep(retry_in)
            waited += retry_in
        raise ProfilesError(f"activation {self.name}: {self.url} did not accept a batch after {self.max_attempts} "
                            f"tries (last: {last_error}); the rows accepted before it stay synced, the rest are "
                            "sent on the next sync")

    def close(self) -> None:
        return None


def _row_errors(raw: bytes, batch: list[Op]) -> dict[str, str]:
    """Per-row rejections listed in a 2xx body (`{"errors": [{"key", "message"}]}`)."""
    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        return {}
    keys = {o.key for o in batch}
    errors = doc.get("errors") if isinstance(doc, dict) else None
    out = {}
    for item in errors or []:
        if isinstance(item, dict) and str(item.get("key")) in keys:
            out[str(item["key"])] = str(item.get("message") or "rejected")
    return out
