"""Go's reference-time layouts (`end_time.Format("2006-01-02 15:04:05")`) applied to Python datetimes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

# Go's names are English whatever the locale, so they are spelled out rather than taken from `calendar`.
_MONTHS = (
    "January February March April May June July August September October November December".split()
)
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def _offset(dt: datetime, sep: str, minutes: bool, z: bool) -> str:
    off = dt.utcoffset() or timedelta(0)
    if z and not off:
        return "Z"
    total = int(off.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, mins = divmod(abs(total), 60)
    return f"{sign}{hours:02d}" + (f"{sep}{mins:02d}" if minutes else "")


def _hour12(dt: datetime) -> int:
    return dt.hour % 12 or 12


def _fraction(dt: datetime, digits: int, trim: bool) -> str:
    frac = f"{dt.microsecond:06d}000"[:digits]
    if trim:
        frac = frac.rstrip("0")
        return "." + frac if frac else ""
    return "." + frac


# Longest tokens first, as in Go's time.nextStdChunk.
_CHUNKS: list[tuple[str, Callable[[datetime], str]]] = [
    ("January", lambda d: _MONTHS[d.month - 1]),
    ("Monday", lambda d: _DAYS[d.weekday()]),
    ("Z07:00", lambda d: _offset(d, ":", True, True)),
    ("-07:00", lambda d: _offset(d, ":", True, False)),
    ("Z0700", lambda d: _offset(d, "", True, True)),
    ("-0700", lambda d: _offset(d, "", True, False)),
    ("2006", lambda d: f"{d.year:04d}"),
    ("__2", lambda d: f"{d.timetuple().tm_yday:>3d}"),
    ("002", lambda d: f"{d.timetuple().tm_yday:03d}"),
    ("Jan", lambda d: _MONTHS[d.month - 1][:3]),
    ("Mon", lambda d: _DAYS[d.weekday()][:3]),
    ("MST", lambda d: d.tzname() or "UTC"),
    ("Z07", lambda d: _offset(d, "", False, True)),
    ("-07", lambda d: _offset(d, "", False, False)),
    ("01", lambda d: f"{d.month:02d}"),
    ("02", lambda d: f"{d.day:02d}"),
    ("_2", lambda d: f"{d.day:>2d}"),
    ("03", lambda d: f"{_hour12(d):02d}"),
    ("04", lambda d: f"{d.minute:02d}"),
    ("05", lambda d: f"{d.second:02d}"),
    ("06", lambda d: f"{d.year % 100:02d}"),
    ("15", lambda d: f"{d.hour:02d}"),
    ("PM", lambda d: "PM" if d.hour >= 12 else "AM"),
    ("pm", lambda d: "pm" if d.hour >= 12 else "am"),
    ("1", lambda d: str(d.month)),
    ("2", lambda d: str(d.day)),
    ("3", lambda d: str(_hour12(d))),
    ("4", lambda d: str(d.minute)),
    ("5", lambda d: str(d.second)),
]
_FRACTION = re.compile(r"[.,](0+|9+)(?!\d)")


def go_format(dt: datetime, layout: str) -> str:
    """Format `dt` like Go's `time.Time.Format(layout)`; unknown characters are copied."""
    out: list[str] = []
    i = 0
    while i < len(layout):
        frac = _FRACTION.match(layout, i)
        if frac:
            digits = frac.group(1)
            out.append(_fraction(dt, len(digits), digits[0] == "9"))
            i = frac.end()
            continue
        for token, fmt in _CHUNKS:
            if layout.startswith(token, i) and _standalone(layout, i, token):
                out.append(fmt(dt))
                i += len(token)
                break
        else:
            out.append(layout[i])
            i += 1
    return "".join(out)


def _standalone(layout: str, i: int, token: str) -> bool:
    """Go reads `Jan`/`Mon` only when not followed by a lower-case letter (so `Monkey` is literal)."""
    if token in ("Jan", "Mon", "January", "Monday"):
        after = layout[i + len(token) : i + len(token) + 1]
        return not (after.islower() and after.isalpha())
    return True
