"""One day's sessions: who is active, on which device, logged in or not, when, from where.

A session carries everything its events share (device, account state, email, campaign, IP,
RudderStack's `context.sessionId`, which is the session start in epoch milliseconds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import pools
from .population import Population

# Share of the day's sessions starting in each UTC hour: quiet nights, evening peak.
_HOURS = np.array(
    [
        1,
        0.7,
        0.5,
        0.4,
        0.4,
        0.6,
        1.2,
        2.2,
        3.2,
        3.8,
        4.2,
        4.5,
        4.8,
        4.6,
        4.4,
        4.4,
        4.6,
        5.0,
        5.8,
        6.4,
        6.6,
        5.8,
        4.0,
        2.2,
    ]
)
_WEEKDAY_FACTOR = np.array([0.95, 0.95, 1.0, 1.0, 1.05, 1.15, 1.1])  # Monday first
KIOSK_IP_BASE = (203 << 24) | (0 << 16) | (113 << 8)  # TEST-NET-3: 203.0.113.x


@dataclass(frozen=True)
class Sessions:
    person: np.ndarray  # S int64
    device: np.ndarray  # S int64 device index, -1 at a kiosk
    kiosk: np.ndarray  # S int32 kiosk index, -1 elsewhere
    logged_in: np.ndarray  # S bool
    first_of_day: np.ndarray  # S bool: the person's first session today
    start_us: np.ndarray  # S int64 microseconds since the epoch
    campaign: np.ndarray  # S int64 index into pools.CAMPAIGNS
    ip: np.ndarray  # S uint32
    new_email: np.ndarray  # S bool: the person already switched to their new email

    def __len__(self) -> int:
        return len(self.person)


def build_sessions(
    pop: Population, day_index: int, day_start_us: int, weekday: int, rng: np.random.Generator
) -> Sessions:
    """Draw the day's sessions; signup day forces a logged-in first session."""
    active = rng.random(pop.users) < pop.rate * _WEEKDAY_FACTOR[weekday]
    persons = np.flatnonzero(active)
    person = np.repeat(persons, 1 + rng.poisson(0.25, len(persons)))
    s = len(person)
    first_of_day = np.ones(s, dtype=bool)
    first_of_day[1:] = person[1:] != person[:-1]

    at_kiosk = (pop.kiosk[person] >= 0) & (rng.random(s) < 0.35)
    count = pop.list_count[person]
    own = count - pop.borrows[person]
    slot = np.minimum((own * rng.random(s) ** 1.7).astype(np.int64), own - 1)
    slot = np.where(pop.borrows[person] & (rng.random(s) < 0.4), own, slot)  # the household device
    entry = pop.list_start[person] + slot
    signup_today = first_of_day & (pop.signup_day[person] == day_index) & ~at_kiosk
    logged_in = (
        np.where(
            at_kiosk,
            pop.has_account[person] & (rng.random(s) < 0.8),
            pop.list_login[entry] & (rng.random(s) < 0.75),
        )
        | signup_today
    )
    device = np.where(at_kiosk, -1, pop.list_device[entry])

    hour = rng.choice(24, size=s, p=_HOURS / _HOURS.sum())
    start_s = hour * 3600 + rng.integers(0, 3600, s)
    start_us = day_start_us + start_s * 1_000_000 + rng.integers(0, 1000, s) * 1000
    campaign_w = np.array([c[3] for c in pools.CAMPAIGNS])
    campaign = rng.choice(len(campaign_w), size=s, p=campaign_w / campaign_w.sum())
    roaming = rng.random(s) < 0.3
    ip = np.where(
        roaming, rng.integers(1 << 24, 223 << 24, s, dtype=np.uint32), pop.home_ip[person]
    )
    kiosk = np.where(at_kiosk, pop.kiosk[person], -1).astype(np.int32)
    ip = np.where(at_kiosk, KIOSK_IP_BASE + kiosk.astype(np.int64), ip).astype(np.uint32)

    order = np.argsort(start_us, kind="stable")
    return Sessions(
        person=person[order],
        device=device[order],
        kiosk=kiosk[order],
        logged_in=logged_in[order],
        first_of_day=first_of_day[order],
        start_us=start_us[order],
        campaign=campaign[order],
        ip=ip[order],
        new_email=(pop.email_change_day[person] <= day_index)[order],
    )
