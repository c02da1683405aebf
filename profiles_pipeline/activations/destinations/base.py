"""The one interface every destination implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Op:
    """One row to send: an upsert of `fields` for `key`, or the removal of `key`."""

    op: Literal["upsert", "delete"]
    key: str
    fields: dict[str, Any]


@dataclass
class BatchOutcome:
    """What the destination said about a batch it answered: rows it refused, and with what
    message (the rest were accepted), and how many tries and seconds of waiting it took."""

    rejected: dict[str, str] = field(default_factory=dict)
    attempts: int = 1
    waited_seconds: float = 0.0


class Destination(Protocol):
    def send(self, batch: list[Op]) -> BatchOutcome:
        """Deliver one batch; return once the destination has answered for it. Raises
        `ProfilesError` when it cannot (after its retries): nothing of the batch counts as sent."""

    def close(self) -> None: ...


def json_default(value: Any) -> Any:
    """JSON for what warehouses return beyond JSON's types: decimals as numbers, the rest (times,
    dates) as their text."""
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else str(value)
