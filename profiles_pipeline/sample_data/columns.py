"""The columns every table shares, plus the two hazards identity stitching must survive:
junk identifier values and emails written in mixed case or with stray whitespace.

Alongside each identifier column we keep, per row, who it really belongs to (a person index,
or a negative code from schema.SPECIAL_CODES), which is what the ground truth is built from."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import pools
from .schema import HOUSEHOLD_CODE, JUNK_CODE, JUNK_VALUES, KIOSK_CODE, SUPPORT_CODE
from .strings import scatter, take

if TYPE_CHECKING:
    from .day import DayContext

JUNK_RATE = 0.002
EMAIL_VARIANT_RATE = 0.07


@dataclass
class IdColumn:
    """An identifier column and, per row, its true owner (person index or special code)."""

    values: pa.Array
    owner: np.ndarray


@lru_cache(maxsize=1)
def _campaign_pools() -> tuple[pa.Array, pa.Array, pa.Array]:
    return tuple(pa.array([c[i] for c in pools.CAMPAIGNS], pa.string()) for i in range(3))


@lru_cache(maxsize=1)
def agent_pool() -> pa.Array:
    """All user agents, grouped by device type in pools.DEVICE_TYPES order."""
    return pa.array([ua for t in pools.DEVICE_TYPES for ua in pools.USER_AGENTS[t]])


def inject_junk(col: IdColumn, rng: np.random.Generator) -> IdColumn:
    """Overwrite a small share of rows (at least a few per file) with junk values."""
    n = len(col.values)
    if n == 0:
        return col
    count = max(round(n * JUNK_RATE), min(3, n // 25))
    rows = np.zeros(n, dtype=bool)
    rows[rng.choice(n, size=count, replace=False)] = True
    junk = take(pa.array(JUNK_VALUES), rng.integers(0, len(JUNK_VALUES), count))
    owner = col.owner.copy()
    owner[rows] = JUNK_CODE
    return IdColumn(scatter(col.values, rows, junk), owner)


def email_variants(values: pa.Array, rng: np.random.Generator) -> pa.Array:
    """Rewrite some emails as users type them: 'Jane.Doe@x.com', ' jane.doe@x.com', 'JANE...'."""
    pick = np.asarray(values.is_valid()) & (rng.random(len(values)) < EMAIL_VARIANT_RATE)
    if not pick.any():
        return values
    sub = values.filter(pa.array(pick))
    variants = [
        pc.utf8_upper(sub),
        pc.utf8_capitalize(sub),
        pc.binary_join_element_wise(" ", sub, ""),
        pc.binary_join_element_wise(pc.utf8_capitalize(sub), " ", ""),
    ]
    mode = pa.array(rng.integers(0, len(variants), len(sub)).astype(np.int8))
    return scatter(values, pick, pc.choose(mode, *variants))


def common_columns(
    ctx: DayContext, ev_rows: np.ndarray, rng: np.random.Generator, email: pa.Array | None = None
) -> tuple[dict[str, pa.Array], dict[str, IdColumn]]:
    """The contract's shared columns for the events `ev_rows` of the day in `ctx`.

    `email` overrides context_traits_email (identify calls carry the email they set)."""
    pop, ses, ev = ctx.pop, ctx.sessions, ctx.events
    s = ev.session[ev_rows]
    person = ses.person[s]
    device = ses.device[s]
    kiosk = ses.kiosk[s]
    at_kiosk = kiosk >= 0
    logged = ses.logged_in[s]

    anon_index = np.where(at_kiosk, len(pop.anonymous_id) + kiosk, device)
    anon_owner = np.where(
        at_kiosk,
        KIOSK_CODE,
        np.where(pop.device_shared[np.maximum(device, 0)], HOUSEHOLD_CODE, person),
    )
    anon = inject_junk(IdColumn(take(ctx.anon_pool, anon_index), anon_owner), rng)
    user = inject_junk(IdColumn(take(pop.user_id, person, logged), person), rng)
    if email is None:
        known = logged & (rng.random(len(s)) < 0.6)
        email = email_variants(take(ctx.session_email, s, known), rng)
    email_owner = np.where(pop.email_kind[person] == 2, SUPPORT_CODE, person)
    traits = inject_junk(IdColumn(email, email_owner), rng)

    device_type = np.where(at_kiosk, 2, pop.device_type[np.maximum(device, 0)])
    agent = np.where(at_kiosk, len(agent_pool()) - 1, pop.device_agent[np.maximum(device, 0)])
    name, source, medium = _campaign_pools()
    camp = ses.campaign[s]
    columns = {
        "message_id": ctx.message_id.take(pa.array(ev_rows)),
        "anonymous_id": anon.values,
        "user_id": user.values,
        "timestamp": pa.array(ev.timestamp_us[ev_rows], pa.timestamp("us")),
        "received_at": pa.array(ev.received_us[ev_rows], pa.timestamp("us")),
        "context_session_id": pa.array(ses.start_us[s] // 1000, pa.int64()),
        "context_ip": take(ctx.session_ip, s),
        "context_user_agent": take(agent_pool(), agent),
        "context_campaign_name": take(name, camp),
        "context_campaign_source": take(source, camp),
        "context_campaign_medium": take(medium, camp),
        "context_traits_email": traits.values,
        "context_device_type": take(pa.array(pools.DEVICE_TYPES), device_type),
    }
    return columns, {"anonymous_id": anon, "user_id": user, "email": traits}
