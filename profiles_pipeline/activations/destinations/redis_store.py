"""Redis, laid out for the Activation API (`activations/api.py`), under `<prefix>:<entity>:`:

- `profile:<main id>`: the profile's fields as JSON (a feature view or feature table source);
- `id:<id type>:<value>`: the main id that id belongs to, and `ids:<main id>`: a set of the
  profile's `<id type>:<value>` (so a later sync can drop ids the profile lost);
- `cohorts:<main id>`: a set of cohort names (a cohort source; its removals leave the set).

Each batch is one MULTI/EXEC transaction: the API never sees half a batch.
"""

from __future__ import annotations

import json

from profiles_pipeline.activations.destinations.base import BatchOutcome, Op, json_default
from profiles_pipeline.activations.destinations.webhook import env_value
from profiles_pipeline.errors import ProfilesError

IDS_SEPARATOR = "\x1f"


def keyspace(prefix: str, entity: str) -> str:
    return f"{prefix}:{entity}:"


class RedisDestination:
    def __init__(self, plan, client=None):
        import redis

        d = plan.destination
        url = d.url or env_value(d.url_env, f"the Redis URL of activation {plan.name}")
        self.client = client or redis.Redis.from_url(url, socket_timeout=d.timeout_seconds)
        self.base = keyspace(d.key_prefix, plan.entity)
        self.cohort = plan.source_relation if plan.is_membership else None
        self.name = plan.name

    def send(self, batch: list[Op]) -> BatchOutcome:
        import redis

        try:
            self._apply(batch)
        except redis.RedisError as e:
            raise ProfilesError(f"activation {self.name}: Redis did not take a batch ({type(e).__name__}: {e}); "
                                "the rows accepted before it stay synced, the rest are sent on the next sync") from e
        return BatchOutcome()

    def _apply(self, batch: list[Op]) -> None:
        b = self.base
        if self.cohort is not None:
            pipe = self.client.pipeline(transaction=True)
            for op in batch:
                (pipe.sadd if op.op == "upsert" else pipe.srem)(f"{b}cohorts:{op.key}", self.cohort)
            pipe.execute()
            return
        old = {op.key: self.client.smembers(f"{b}ids:{op.key}") for op in batch}
        pipe = self.client.pipeline(transaction=True)
        for op in batch:
            fields = dict(op.fields)
            ids = [i for i in str(fields.pop("_ids", "") or "").split(IDS_SEPARATOR) if i] if op.op == "upsert" else []
            for gone in {x.decode() for x in old[op.key]} - set(ids):
                pipe.delete(f"{b}id:{gone}")
            pipe.delete(f"{b}ids:{op.key}")
            if op.op == "delete":
                pipe.delete(f"{b}profile:{op.key}")
                continue
            pipe.set(f"{b}profile:{op.key}", json.dumps(fields, default=json_default, sort_keys=True))
            for pair in ids:
                pipe.set(f"{b}id:{pair}", op.key)
            if ids:
                pipe.sadd(f"{b}ids:{op.key}", *ids)
        pipe.execute()

    def close(self) -> None:
        self.client.close()
