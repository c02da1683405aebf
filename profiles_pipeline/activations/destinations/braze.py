"""Braze `POST /users/track`: user attributes keyed by `external_id` (or `email`), at most 75
attribute objects per request, Bearer API key from an environment variable.

A removal (`mirror`) sends the synced fields as null, which unsets them on the user. A 2xx whose
body lists `errors` (`{"type", "input_array": "attributes", "index"}`) rejects the rows at those
indexes (Braze calls these non-fatal: the others were applied); a fatal 4xx rejects the request's
rows with Braze's message; 429 waits for `X-RateLimit-Reset` (`http.py`).
"""

from __future__ import annotations

import json

from profiles_pipeline.activations.destinations.base import BatchOutcome, Op, json_default
from profiles_pipeline.activations.destinations.http import JsonPoster
from profiles_pipeline.activations.destinations.webhook import env_value

PER_REQUEST = 75


class BrazeDestination:
    def __init__(self, plan, sleep=None):
        d = plan.destination
        self.id_field = d.id_field or ("email" if plan.id_type == "email" else "external_id")
        self.fields = list(plan.columns.values())
        token = env_value(d.api_key_env, f"the Braze API key of activation {plan.name}")
        kw = {"sleep": sleep} if sleep else {}
        self.poster = JsonPoster(plan.name, d.url.rstrip("/") + "/users/track", {"Authorization": f"Bearer {token}"},
                                 timeout=d.timeout_seconds, max_attempts=d.max_attempts, rate_limit=plan.rate_limit, **kw)

    def _attributes(self, op: Op) -> dict:
        values = op.fields if op.op == "upsert" else dict.fromkeys(self.fields)
        return {self.id_field: op.key, **values}

    def send(self, batch: list[Op]) -> BatchOutcome:
        out = BatchOutcome(attempts=0)
        for i in range(0, len(batch), PER_REQUEST):
            chunk = batch[i:i + PER_REQUEST]
            body = json.dumps({"attributes": [self._attributes(o) for o in chunk]}, default=json_default).encode()
            answer = self.poster.post(body)
            out.attempts += answer.attempts
            out.waited_seconds += answer.waited
            doc = answer.json()
            if answer.status >= 300:
                message = str(doc.get("message") or answer.text())
                out.rejected.update({o.key: f"Braze HTTP {answer.status}: {message}" for o in chunk})
                continue
            for error in doc.get("errors") or []:
                index = error.get("index") if isinstance(error, dict) else None
                if isinstance(index, int) and 0 <= index < len(chunk) and error.get("input_array", "attributes") == "attributes":
                    out.rejected[chunk[index].key] = f"Braze: {error.get('type') or 'rejected'}"
        out.attempts = max(out.attempts, 1)
        return out

    def close(self) -> None:
        return None
