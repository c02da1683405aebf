"""The people behind the events: devices, accounts, emails, households, kiosk visitors.

Built from (seed, users) alone, so every day of a landing zone (and every `append`) sees the
same people. Identifier strings are built once here; days only index into them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import pools
from .strings import int_strings, take, uuid_strings

SUPPORT_EMAIL = "support@shop.example.com"
NEVER = np.iinfo(np.int32).max

_SALT = 0xD3
_KIOSK_KEYS = 1 << 62  # kiosk and device keys never overlap, so their UUIDs never collide


@dataclass(frozen=True)
class Population:
    """Column arrays indexed by person (P), device (D) or device-list entry (L)."""

    users: int
    has_account: np.ndarray  # P bool: has a user_id and logs in somewhere
    user_id: pa.Array  # P strings (null without an account)
    email_kind: np.ndarray  # P int8: 0 none, 1 own email(s), 2 the shared support email
    email_old: pa.Array  # P strings (null when no own email)
    email_new: pa.Array  # P strings: the email after a change (null when no change)
    email_change_day: np.ndarray  # P int32: day index the new email is first used (NEVER if none)
    signup_day: np.ndarray  # P int32: day index of signed_up (mostly before the start)
    first_name: pa.Array
    last_name: pa.Array
    state: pa.Array
    country: pa.Array
    currency: pa.Array
    rate: np.ndarray  # P float: chance of a session on a given day
    home_ip: np.ndarray  # P uint32
    kiosk: np.ndarray  # P int32: which store kiosk the person visits, -1 for none
    list_start: np.ndarray  # P int64: the person's devices are entries [start, start+count)
    list_count: np.ndarray  # P int64
    borrows: np.ndarray  # P bool: the last entry is a household member's device
    list_device: np.ndarray  # L int64: device index of each entry
    list_login: np.ndarray  # L bool: the person logs in on that device
    device_owner: np.ndarray  # D int64
    device_type: np.ndarray  # D int8 index into pools.DEVICE_TYPES
    device_agent: np.ndarray  # D int64 index into agent pool
    device_shared: np.ndarray  # D bool: a household device used by two people
    anonymous_id: pa.Array  # D strings
    kiosk_anonymous_id: pa.Array  # K strings


def _lower_pool(names: list[str]) -> pa.Array:
    return pa.array([n.lower() for n in names])


def _pick(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _emails(
    first: np.ndarray, last: np.ndarray, person: np.ndarray, sep: str, domain: np.ndarray
) -> pa.Array:
    """first<sep>last<n>@domain. The person number makes it unique; `sep` tells old from new."""
    number = int_strings(person + 1)
    local = pc.binary_join_element_wise(
        take(_lower_pool(pools.FIRST_NAMES), first), take(_lower_pool(pools.LAST_NAMES), last), sep
    )
    return pc.binary_join_element_wise(
        pc.binary_join_element_wise(local, number, ""),
        take(pa.array(pools.EMAIL_DOMAINS), domain),
        "@",
    )


def build_population(seed: int, users: int) -> Population:
    """Draw everyone once; shares below are per person unless they say otherwise."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, users, 1]))
    n = users
    person = np.arange(n, dtype=np.int64)

    has_account = rng.random(n) < 0.72
    support = np.zeros(n, dtype=bool)
    accounts = np.flatnonzero(has_account)
    support[
        rng.choice(accounts, size=min(len(accounts), max(2, round(n * 0.003))), replace=False)
    ] = True
    newsletter = ~has_account & (rng.random(n) < 0.35)
    email_kind = np.where(support, 2, np.where(has_account | newsletter, 1, 0)).astype(np.int8)
    changes = (email_kind == 1) & (rng.random(n) < 0.08)
    email_change_day = np.where(changes, rng.integers(1, 15, n), NEVER).astype(np.int32)

    first = rng.integers(0, len(pools.FIRST_NAMES), n)
    last = rng.integers(0, len(pools.LAST_NAMES), n)
    own = email_kind == 1
    domain = _pick(rng, n, pools.EMAIL_DOMAIN_WEIGHTS)
    email_old = take(_emails(first, last, person, ".", domain), person, own)
    email_new = take(
        _emails(first, last, person, "_", _pick(rng, n, pools.EMAIL_DOMAIN_WEIGHTS)),
        person,
        changes,
    )
    user_number = rng.permutation(n) + 1
    width = max(8, len(str(n)))
    user_id = take(int_strings(user_number, "usr_", width), person, has_account)

    country = _pick(rng, n, tuple(c[2] for c in pools.COUNTRIES))
    is_us = country == 0
    state = take(pa.array(pools.US_STATES), rng.integers(0, len(pools.US_STATES), n), is_us)

    rate = np.clip(
        rng.lognormal(np.log(0.06), 1.0, n) * np.where(has_account, 1.3, 0.8), 0.002, 0.9
    )
    signup_day = np.where(has_account, rng.integers(-400, 60, n), NEVER).astype(np.int32)
    n_kiosks = max(1, n // 500_000)
    kiosk_users = rng.random(n) < 0.04
    kiosk_users[rng.choice(n, size=min(n, 10), replace=False)] = True
    kiosk = np.where(kiosk_users, rng.integers(0, n_kiosks, n), -1).astype(np.int32)

    devices = _devices(rng, n, has_account, seed)
    return Population(
        users=n,
        has_account=has_account,
        user_id=user_id,
        email_kind=email_kind,
        email_old=email_old,
        email_new=email_new,
        email_change_day=email_change_day,
        signup_day=signup_day,
        first_name=take(pa.array(pools.FIRST_NAMES), first),
        last_name=take(pa.array(pools.LAST_NAMES), last),
        state=state,
        country=take(pa.array([c[0] for c in pools.COUNTRIES]), country),
        currency=take(pa.array([c[1] for c in pools.COUNTRIES]), country),
        rate=rate,
        home_ip=rng.integers(1 << 24, 223 << 24, n, dtype=np.uint32),
        kiosk=kiosk,
        kiosk_anonymous_id=uuid_strings(_KIOSK_KEYS + np.arange(n_kiosks), _SALT ^ seed, rng),
        **devices,
    )


def _devices(rng: np.random.Generator, n: int, has_account: np.ndarray, seed: int) -> dict:
    """1-4 devices each; about 3% of people also use a household member's first device."""
    count = 1 + _pick(rng, n, (0.42, 0.32, 0.17, 0.09))
    d = int(count.sum())
    owner = np.repeat(np.arange(n, dtype=np.int64), count)
    first_device = np.cumsum(count) - count
    device_type = _pick(rng, d, pools.DEVICE_TYPE_WEIGHTS).astype(np.int8)
    agents_per_type = np.array([len(pools.USER_AGENTS[t]) for t in pools.DEVICE_TYPES])
    agent_offset = np.cumsum(agents_per_type) - agents_per_type
    device_agent = (
        agent_offset[device_type] + rng.integers(0, 1 << 30, d) % agents_per_type[device_type]
    )

    joiner = rng.random(n) < 0.03
    joiner[rng.choice(n, size=min(n, 3), replace=False)] = n > 1
    partner = rng.integers(0, n, n)
    partner = np.where(partner == np.arange(n), (partner + 1) % n, partner)
    shared_device = first_device[partner]
    device_shared = np.zeros(d, dtype=bool)
    device_shared[shared_device[joiner]] = True

    list_count = count + joiner
    list_start = np.cumsum(list_count) - list_count
    slot = np.arange(d) - first_device[owner]
    list_device = np.empty(int(list_count.sum()), dtype=np.int64)
    list_device[list_start[owner] + slot] = np.arange(d)
    list_device[(list_start + count)[joiner]] = shared_device[joiner]
    entry_person = np.repeat(np.arange(n), list_count)
    entry_slot = np.arange(len(list_device)) - list_start[entry_person]
    borrowed = entry_slot >= count[entry_person]
    logs_in = np.where(
        borrowed,
        rng.random(len(list_device)) < 0.6,
        (entry_slot == 0) | (rng.random(len(list_device)) < 0.7),
    )
    return dict(
        list_start=list_start,
        list_count=list_count,
        borrows=joiner,
        list_device=list_device,
        list_login=has_account[entry_person] & logs_in,
        device_owner=owner,
        device_type=device_type,
        device_agent=device_agent,
        device_shared=device_shared,
        anonymous_id=uuid_strings(np.arange(d), _SALT ^ seed, rng),
    )
