"""Sessions expanded into ordered events with timestamps.

Each session gets counts per kind (pages, funnel steps, logins, identifies); events are laid
out by a stage key so the funnel runs product_viewed -> added_to_cart -> order_completed,
then spaced by exponential gaps. All vectorized: one lexsort per day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .population import Population
from .sessions import Sessions

IDENTIFY, LOGGED_IN, SIGNED_UP, PAGE, PRODUCT_VIEWED, ADDED_TO_CART, ORDER_COMPLETED = range(7)
TRACK_KINDS = {
    LOGGED_IN: "logged_in",
    SIGNED_UP: "signed_up",
    PRODUCT_VIEWED: "product_viewed",
    ADDED_TO_CART: "added_to_cart",
    ORDER_COMPLETED: "order_completed",
}
# Where in a session each kind happens (plus a random jitter below 1 for pages and views).
_STAGE = np.array([0.5, 0.2, 0.0, 1.0, 1.0, 3.0, 4.0])
_SPREAD = np.array([0.0, 0.0, 0.0, 3.5, 2.0, 0.9, 0.5])
_DAY_US = 86_400_000_000


@dataclass(frozen=True)
class Events:
    session: np.ndarray  # E int64 index into Sessions
    kind: np.ndarray  # E int8
    timestamp_us: np.ndarray  # E int64
    received_us: np.ndarray  # E int64

    def __len__(self) -> int:
        return len(self.session)


def session_counts(
    pop: Population, sessions: Sessions, day_index: int, rng: np.random.Generator
) -> np.ndarray:
    """(S, 7) events of each kind per session."""
    s = len(sessions)
    counts = np.zeros((s, 7), dtype=np.int64)
    views = rng.poisson(1.3, s)
    add = (views > 0) & (rng.random(s) < 0.35)
    order = add & (rng.random(s) < 0.4)
    signup = (
        sessions.logged_in & sessions.first_of_day & (pop.signup_day[sessions.person] == day_index)
    )
    has_email = pop.email_kind[sessions.person] > 0
    newsletter = ~sessions.logged_in & has_email & (rng.random(s) < 0.04)
    counts[:, PAGE] = 1 + rng.poisson(2.2, s)
    counts[:, PRODUCT_VIEWED] = views
    counts[:, ADDED_TO_CART] = add
    counts[:, ORDER_COMPLETED] = order
    counts[:, SIGNED_UP] = signup
    counts[:, LOGGED_IN] = sessions.logged_in & ~signup & (rng.random(s) < 0.5)
    counts[:, IDENTIFY] = (sessions.logged_in & (signup | (rng.random(s) < 0.25))) | newsletter
    return counts


def build_events(
    counts: np.ndarray, sessions: Sessions, day_start_us: int, rng: np.random.Generator
) -> Events:
    """Lay out and time every event; timestamps stay inside the day."""
    kinds = np.arange(counts.shape[1], dtype=np.int8)
    per_kind = counts.sum(axis=0)
    session = np.concatenate([np.repeat(np.arange(len(sessions)), counts[:, k]) for k in kinds])
    kind = np.repeat(kinds, per_kind)
    stage = _STAGE[kind] + _SPREAD[kind] * rng.random(len(kind))
    order = np.lexsort((stage, session))
    session, kind = session[order], kind[order]

    n = len(session)
    first = np.ones(n, dtype=bool)
    first[1:] = session[1:] != session[:-1]
    gap = (rng.exponential(40.0, n) * 1_000_000).astype(np.int64) + rng.integers(
        200_000, 2_000_000, n
    )
    gap[first] = 0
    elapsed = np.cumsum(gap)
    starts = np.flatnonzero(first)
    elapsed -= np.repeat(elapsed[starts], np.diff(np.append(starts, n)))
    timestamp = np.minimum(sessions.start_us[session] + elapsed, day_start_us + _DAY_US - 1)

    latency = (rng.lognormal(np.log(300_000), 0.8, n)).astype(np.int64)
    offline = rng.random(n) < 0.01
    latency[offline] += rng.integers(60, 6 * 3600, int(offline.sum())) * 1_000_000
    return Events(
        session=session, kind=kind, timestamp_us=timestamp, received_us=timestamp + latency
    )
