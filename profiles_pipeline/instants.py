"""Instants, days and durations: how the engine reads and writes points in time.

Every output is computed as of an instant (pb's `end_time`): rows with `occurred_at <=` that
instant are in, later rows are out, and "now" in a snippet means that instant. Timestamps are
UTC without a zone, like the events. A bare date means the end of that day: its last
microsecond, so that "as of the end of D" and "the rows of day D" (`[D, D+1)`) agree at midnight.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from profiles_pipeline.errors import UserError

#: The last representable instant of a day (TIMESTAMP has microsecond precision).
END_OF_DAY = time(23, 59, 59, 999999)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH = re.compile(r"^\d{9,}(\.\d+)?$")
_GO_DURATION = re.compile(r"^((\d+(\.\d+)?)(h|m|s|ms|us|µs|ns))+$")
_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time())


def is_end_of_day(instant: datetime) -> bool:
    return instant.time() == END_OF_DAY


def day_of(instant: datetime) -> date:
    """The daily partition whose slice holds `instant`."""
    return instant.date()


def now() -> datetime:
    """The current instant, UTC without a zone, to the second (pb's default end_time)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def parse_instant(text: str | int | float | date, option: str, *, bare_date: str = "end") -> datetime:
    """A date, an ISO timestamp (with or without a zone) or a Unix epoch, as UTC without zone.

    A bare date is the end of that day (`bare_date="end"`) or its start (`"start"`)."""
    if isinstance(text, datetime):
        return _utc(text)
    if isinstance(text, date):
        return end_of_day(text) if bare_date == "end" else start_of_day(text)
    raw = str(text).strip()
    if _DATE.match(raw):
        day = _date(raw, option)
        return end_of_day(day) if bare_date == "end" else start_of_day(day)
    if _EPOCH.match(raw):
        try:
            return datetime.fromtimestamp(float(raw), UTC).replace(tzinfo=None)
        except (OverflowError, ValueError, OSError):
            raise UserError(f"{option} {raw!r} is out of range for a Unix epoch in seconds") from None
    try:
        return _utc(datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        pass
    raise UserError(
        f"{option} {raw!r} is not a date or a time; write a date (2026-01-31, the end of that day), "
        "a timestamp (2026-01-31T12:00:00, 2026-01-31 12:00:00, 2026-01-31T12:00:00Z, "
        "2026-01-31T12:00:00+02:00) or a Unix epoch in seconds (1769860800)"
    )


def _date(raw: str, option: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UserError(f"{option} {raw!r} is not a calendar date (YYYY-MM-DD)") from None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def format_instant(instant: datetime) -> str:
    """`2026-01-31 12:00:00`, or `2026-01-14 (end of day)` for a day's last instant."""
    if is_end_of_day(instant):
        return f"{instant.date()} (end of day)"
    text = instant.strftime("%Y-%m-%d %H:%M:%S")
    if instant.microsecond:
        text += f".{instant.microsecond:06d}"
    return text


def parse_duration(text: str) -> timedelta:
    """pb's Go-style duration (`720h0m0s`, `24h`, `90m`, `1h30m`); `30d` is accepted too.

    Raises ValueError naming what would be right (the spec turns it into a located problem)."""
    raw = str(text).strip().replace(" ", "")
    days = re.fullmatch(r"(\d+)d", raw)
    if days:
        return timedelta(days=int(days.group(1)))
    if not raw or not _GO_DURATION.match(raw):
        raise ValueError(
            f"{text!r} is not a duration; write it as pb does, in hours, minutes and seconds "
            "(720h0m0s, 24h, 90m) or in days (30d)"
        )
    seconds = sum(float(n) * _GO_UNITS[u] for n, _, u in re.findall(r"(\d+(\.\d+)?)(h|ms|us|µs|ns|m|s)", raw))
    if seconds <= 0:
        raise ValueError(f"{text!r} is zero; a retention period must be positive")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """`180 days`, `48h`, `90m`: the way a person would write it."""
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} days"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
