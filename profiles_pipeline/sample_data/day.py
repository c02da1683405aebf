"""One day of the landing zone: four tables plus who each identifier really belongs to.

Everything here is a function of (seed, users, day index, start date): the random generator
is seeded with exactly those, so `append` reproduces what `generate` wrote for the same day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import pools
from .columns import IdColumn, common_columns, email_variants
from .events import (
    IDENTIFY,
    PAGE,
    TRACK_KINDS,
    Events,
    build_events,
    session_counts,
)
from .population import SUPPORT_EMAIL, Population
from .schema import SCHEMAS
from .sessions import Sessions, build_sessions
from .strings import int_strings, ipv4_strings, take, uuid_strings

_MESSAGE_KEYS = 1 << 61
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class DayContext:
    """What the table builders share for one day."""

    pop: Population
    day_index: int
    sessions: Sessions
    events: Events
    anon_pool: pa.Array  # device anonymous ids, then kiosk ones
    session_email: pa.Array  # S: the email the person uses today (null if none)
    session_ip: pa.Array  # S dotted quads
    message_id: pa.Array  # E: one per event; an order's tracks and order_completed rows share it


@dataclass(frozen=True)
class DayData:
    tables: dict[str, pa.Table]
    identifiers: dict[str, list[IdColumn]]  # id_type -> columns seen today


def generate_day(
    pop: Population, anon_pool: pa.Array, seed: int, start: date, day_index: int
) -> DayData:
    """Build the four tables for `start + day_index`."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, pop.users, 2, day_index]))
    day = start + timedelta(days=day_index)
    day_start_us = (
        int((datetime(day.year, day.month, day.day) - _EPOCH).total_seconds()) * 1_000_000
    )
    sessions = build_sessions(pop, day_index, day_start_us, day.weekday(), rng)
    events = build_events(
        session_counts(pop, sessions, day_index, rng), sessions, day_start_us, rng
    )
    own = pc.if_else(
        pa.array(sessions.new_email),
        take(pop.email_new, sessions.person),
        take(pop.email_old, sessions.person),
    )
    support = pa.array(pop.email_kind[sessions.person] == 2)
    ctx = DayContext(
        pop=pop,
        day_index=day_index,
        sessions=sessions,
        events=events,
        anon_pool=anon_pool,
        session_email=pc.if_else(support, pa.scalar(SUPPORT_EMAIL), own),
        session_ip=ipv4_strings(sessions.ip),
        message_id=uuid_strings(
            _MESSAGE_KEYS + (day_index << 36) + np.arange(len(events)), seed, rng
        ),
    )
    ids: dict[str, list[IdColumn]] = {"anonymous_id": [], "user_id": [], "email": []}
    tables = {}
    for name, build in (("identifies", _identifies), ("tracks", _tracks), ("pages", _pages)):
        columns, seen = build(ctx, rng)
        tables[name] = pa.Table.from_pydict(columns, schema=SCHEMAS[name])
        for id_type, col in seen.items():
            ids[id_type].append(col)
    tables["order_completed"] = _orders(ctx, tables["tracks"], rng)
    return DayData(tables, ids)


def _identifies(ctx: DayContext, rng: np.random.Generator):
    rows = np.flatnonzero(ctx.events.kind == IDENTIFY)
    s = ctx.events.session[rows]
    person = ctx.sessions.person[s]
    email = email_variants(take(ctx.session_email, s), rng)
    columns, seen = common_columns(ctx, rows, rng, email=email)
    # identify sets the traits, so `email` and context_traits_email are one value, junk included
    email = columns["context_traits_email"]
    full = ctx.sessions.logged_in[s]  # a newsletter sign-up leaves only an email
    pop = ctx.pop
    columns |= {
        "email": email,
        "first_name": take(pop.first_name, person, full),
        "last_name": take(pop.last_name, person, full),
        "state": take(pop.state, person, full),
        "address_country": take(pop.country, person, full),
        "currency": take(pop.currency, person, full),
    }
    return columns, seen


def _tracks(ctx: DayContext, rng: np.random.Generator):
    kinds = np.array(sorted(TRACK_KINDS))
    rows = np.flatnonzero(np.isin(ctx.events.kind, kinds))
    columns, seen = common_columns(ctx, rows, rng)
    slot = np.searchsorted(kinds, ctx.events.kind[rows])
    columns["event"] = take(pa.array([TRACK_KINDS[k] for k in kinds]), slot)
    columns["event_text"] = take(
        pa.array([pools.TRACK_EVENT_TEXT[TRACK_KINDS[k]] for k in kinds]), slot
    )
    return columns, seen


def _pages(ctx: DayContext, rng: np.random.Generator):
    rows = np.flatnonzero(ctx.events.kind == PAGE)
    columns, seen = common_columns(ctx, rows, rng)
    weights = np.array([p[3] for p in pools.PAGES])
    page = rng.choice(len(weights), size=len(rows), p=weights / weights.sum())
    url_pool = pa.array([pools.SITE + p[1] for p in pools.PAGES])
    s = ctx.events.session[rows]
    landing = np.ones(len(rows), dtype=bool)
    landing[1:] = s[1:] != s[:-1]
    ext_w = np.array([r[1] for r in pools.EXTERNAL_REFERRERS])
    external = rng.choice(len(ext_w), size=len(rows), p=ext_w / ext_w.sum())
    previous = np.concatenate([[0], page[:-1]])
    referrer = pc.if_else(
        pa.array(landing),
        take(pa.array([r[0] for r in pools.EXTERNAL_REFERRERS]), external),
        take(url_pool, previous),
    )
    columns |= {
        "name": take(pa.array([p[0] for p in pools.PAGES]), page),
        "path": take(pa.array([p[1] for p in pools.PAGES]), page),
        "url": take(url_pool, page),
        "referrer": referrer,
        "title": take(pa.array([p[2] for p in pools.PAGES]), page),
    }
    return columns, seen


def _orders(ctx: DayContext, tracks: pa.Table, rng: np.random.Generator) -> pa.Table:
    """RudderStack writes each order both to `tracks` and to its own table, same message."""
    is_order = np.asarray(
        pc.equal(tracks["event"], "order_completed").to_numpy(zero_copy_only=False)
    )
    rows = np.flatnonzero(np.isin(ctx.events.kind, sorted(TRACK_KINDS)))[is_order]
    columns = {
        name: tracks[name].combine_chunks().filter(pa.array(is_order))
        for name in SCHEMAS["tracks"].names[:-2]
    }
    n = len(rows)
    products = 1 + rng.poisson(0.8, n)
    price = rng.lognormal(np.log(42.0), 0.6, n) * products
    person = ctx.sessions.person[ctx.events.session[rows]]
    day = int_strings(np.full(n, ctx.day_index), "ORD-", 5)
    columns |= {
        "order_id": pc.binary_join_element_wise(day, int_strings(np.arange(n), "", 7), "-"),
        "revenue": pa.array(np.round(price, 2)),
        "currency": take(ctx.pop.currency, person),
        "products_count": pa.array(products.astype(np.int32)),
        "event": pa.array(np.full(n, "order_completed", dtype=object), pa.string()),
    }
    return pa.Table.from_pydict(columns, schema=SCHEMAS["order_completed"])
