"""HubSpot contacts, `POST /crm/v3/objects/contacts/batch/upsert`: at most 100 inputs per
request, each `{"idProperty": "email", "id": <key>, "properties": {...}}`, with a private app
token (Bearer) from an environment variable.

200 applies every input; 207 (multi-status) lists failed ones under `errors`, each naming its
ids in `context.ids` (or `id`), which are rejected with HubSpot's message; another 4xx rejects
the request's inputs; 429 waits (`http.py`). Removal is not offered (`mirror` fails validate).
"""

from __future__ import annotations

import json

from profiles_pipeline.activations.destinations.base import BatchOutcome, Op, json_default
from profiles_pipeline.activations.destinations.http import JsonPoster
from profiles_pipeline.activations.destinations.webhook import env_value

PER_REQUEST = 100
DEFAULT_BASE = "https://api.hubapi.com"


def _ids(error: dict) -> list[str]:
    context = error.get("context") if isinstance(error.get("context"), dict) else {}
    ids = context.get("ids") or context.get("id") or ([error["id"]] if error.get("id") else [])
    return [str(i) for i in (ids if isinstance(ids, list) else [ids])]


class HubSpotDestination:
    def __init__(self, plan, sleep=None):
        d = plan.destination
        self.id_property = d.id_field or "email"
        token = env_value(d.api_key_env, f"the HubSpot token of activation {plan.name}")
        url = (d.url or DEFAULT_BASE).rstrip("/") + "/crm/v3/objects/contacts/batch/upsert"
        kw = {"sleep": sleep} if sleep else {}
        self.poster = JsonPoster(plan.name, url, {"Authorization": f"Bearer {token}"}, timeout=d.timeout_seconds,
                                 max_attempts=d.max_attempts, rate_limit=plan.rate_limit, **kw)

    def send(self, batch: list[Op]) -> BatchOutcome:
        out = BatchOutcome(attempts=0)
        for i in range(0, len(batch), PER_REQUEST):
            chunk = [o for o in batch[i:i + PER_REQUEST] if o.op == "upsert"]
            if not chunk:
                continue
            inputs = [{"idProperty": self.id_property, "id": o.key,
                       "properties": {k: ("" if v is None else v) for k, v in o.fields.items()}} for o in chunk]
            answer = self.poster.post(json.dumps({"inputs": inputs}, default=json_default).encode())
            out.attempts += answer.attempts
            out.waited_seconds += answer.waited
            doc = answer.json()
            if answer.status >= 300 and answer.status != 207:
                message = str(doc.get("message") or answer.text())
                out.rejected.update({o.key: f"HubSpot HTTP {answer.status}: {message}" for o in chunk})
                continue
            keys = {o.key for o in chunk}
            for error in doc.get("errors") or []:
                if isinstance(error, dict):
                    for key in _ids(error):
                        if key in keys:
                            out.rejected[key] = f"HubSpot: {error.get('message') or error.get('category') or 'rejected'}"
        out.attempts = max(out.attempts, 1)
        return out

    def close(self) -> None:
        return None
