"""New events in warehouse tables: per-day row counts and max event time, compared by day.

For inputs that live in the warehouse (Snowflake) there are no files to watch; one small
aggregate per input (a row per day) tells which days gained, lost or changed rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp

from profiles_pipeline.pipeline.input_days import daily_profile
from profiles_pipeline.warehouse.base import WarehouseAdapter

#: input -> day -> [row_count, max_event_time_iso]
Watermarks = dict[str, dict[str, list]]


@dataclass(frozen=True)
class WatchedInput:
    """An input table and the column that says when each event happened."""

    name: str
    table: str
    occurred_at: str


def daily_profile_query(source: WatchedInput) -> exp.Select:
    return daily_profile(exp.to_table(source.table), source.occurred_at)


def read_watermarks(adapter: WarehouseAdapter, sources: list[WatchedInput]) -> Watermarks:
    marks: Watermarks = {}
    for source in sources:
        rows = adapter.fetch(daily_profile_query(source))
        marks[source.name] = {str(d)[:10]: [int(n), str(m)] for d, n, m in rows}
    return marks


def changed_days(previous: Watermarks, current: Watermarks) -> list[str]:
    """Days where any input's row count or max event time differs, oldest first."""
    days: set[str] = set()
    for name, by_day in current.items():
        before = previous.get(name, {})
        days.update(day for day, mark in by_day.items() if before.get(day) != mark)
    return sorted(days)


def forget_day(current: Watermarks, previous: Watermarks, day: str) -> Watermarks:
    """`current` with `day` as `previous` saw it, so the day is reported again next time."""
    out: Watermarks = {}
    for name, by_day in current.items():
        kept = {d: m for d, m in by_day.items() if d != day}
        if day in previous.get(name, {}):
            kept[day] = previous[name][day]
        out[name] = kept
    return out


def day_digest(marks: Watermarks, day: str) -> str:
    """A short fingerprint of one day's marks across inputs, for run keys."""
    text = json.dumps(sorted((name, by_day.get(day)) for name, by_day in marks.items()))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def encode(marks: Mapping[str, Mapping[str, list]]) -> str:
    return json.dumps({"inputs": marks}, sort_keys=True)


def decode(cursor: str | None) -> Watermarks:
    return json.loads(cursor)["inputs"] if cursor else {}
