"""The Activation API (`profiles serve`): a profile by any of its ids, read from the Redis
destination (`destinations/redis_store.py`), never from the warehouse file the pipeline writes.

`GET /v1/entities/{entity}/{id_type}/{value}` → `{entity, main_id, valid_at, features, cohorts}`;
404 for an unknown id or entity, 400 for an id type the entity does not have, 401 without the
bearer token. OpenAPI at `/openapi.json`, docs at `/docs` (FastAPI).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from profiles_pipeline.activations.destinations.redis_store import keyspace


@dataclass(frozen=True)
class EntityIds:
    """An entity's id types and the name of its main id."""

    id_types: tuple[str, ...]
    main_id_column: str


def build_app(redis_client, entities: dict[str, EntityIds], token: str, prefix: str = "profiles"):
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    app = FastAPI(title="profiles_pipeline Activation API", version="1",
                  description="Profiles by any identifier, from the activations' Redis store.")
    bearer = HTTPBearer(auto_error=False)

    def authorized(creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:  # noqa: B008 - FastAPI idiom
        if creds is None or not secrets.compare_digest(creds.credentials, token):
            raise HTTPException(status_code=401, detail="a valid bearer token is required",
                                headers={"WWW-Authenticate": "Bearer"})

    @app.get("/v1/entities/{entity}/{id_type}/{value}", dependencies=[Depends(authorized)])
    def profile(entity: str, id_type: str, value: str) -> dict:
        """The profile holding `value` of `id_type` (or the main id itself)."""
        known = entities.get(entity)
        if known is None:
            raise HTTPException(status_code=404, detail=f"unknown entity {entity!r}; entities: {', '.join(sorted(entities))}")
        base = keyspace(prefix, entity)
        if id_type == known.main_id_column:
            main_id = value
        elif id_type in known.id_types:
            found = redis_client.get(f"{base}id:{id_type}:{value}")
            if found is None:
                raise HTTPException(status_code=404, detail=f"no {entity} holds {id_type} {value!r}")
            main_id = found.decode()
        else:
            raise HTTPException(status_code=400, detail=f"{entity} has no id type {id_type!r}; id types: "
                                f"{', '.join([*known.id_types, known.main_id_column])}")
        pipe = redis_client.pipeline(transaction=False)
        pipe.get(f"{base}profile:{main_id}")
        pipe.smembers(f"{base}cohorts:{main_id}")
        raw, cohorts = pipe.execute()
        if raw is None and not cohorts:
            raise HTTPException(status_code=404, detail=f"no {entity} profile {main_id!r}")
        features = json.loads(raw) if raw else {}
        valid_at = features.pop("valid_at", None)
        return {"entity": entity, "main_id": main_id, "valid_at": valid_at, "features": features,
                "cohorts": sorted(c.decode() for c in cohorts)}

    @app.get("/healthz")
    def health() -> dict:
        redis_client.ping()
        return {"ok": True}

    return app
