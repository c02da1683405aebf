"""Destinations: each a small module behind `Destination` (base.py); `open_destination` picks one."""

from __future__ import annotations

from profiles_pipeline.activations.destinations.base import BatchOutcome, Destination, Op


def open_destination(plan, run_id: str, adapter=None) -> Destination:
    """The destination of `plan`; `adapter` is the sync's own warehouse (for a `table` there)."""
    kind = plan.destination.type
    if kind == "table":
        from profiles_pipeline.activations.destinations.table import TableDestination

        return TableDestination(plan, adapter)
    if kind == "webhook":
        from profiles_pipeline.activations.destinations.webhook import WebhookDestination

        return WebhookDestination(plan)
    if kind == "file":
        from profiles_pipeline.activations.destinations.files import FileDestination

        return FileDestination(plan, run_id)
    if kind == "braze":
        from profiles_pipeline.activations.destinations.braze import BrazeDestination

        return BrazeDestination(plan)
    if kind == "hubspot":
        from profiles_pipeline.activations.destinations.hubspot import HubSpotDestination

        return HubSpotDestination(plan)
    if kind == "redis":
        from profiles_pipeline.activations.destinations.redis_store import RedisDestination

        return RedisDestination(plan)
    raise ValueError(f"unknown destination type {kind!r}")


__all__ = ["BatchOutcome", "Destination", "Op", "open_destination"]
