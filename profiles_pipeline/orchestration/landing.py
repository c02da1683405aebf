"""What the landing zone holds, by file fingerprint, without reading a single row.

Files live at `<landing>/<table>/dt=YYYY-MM-DD/*.parquet`; a file's fingerprint is its size
and modification time, so a new or rewritten file is noticed while the DuckDB file is
never touched. Folders starting with `_` or `.` (ground truth, manifest) are not events.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

#: relative path -> [size, mtime_ns]
Fingerprints = dict[str, list[int]]


@dataclass(frozen=True)
class DayChange:
    """A day whose files are new or changed, and the fingerprint of all its files now."""

    day: str
    files: tuple[str, ...]
    fingerprint: str


def scan(landing: Path) -> Fingerprints:
    found: Fingerprints = {}
    if not landing.is_dir():
        return found
    for path in sorted(landing.glob("*/dt=*/*.parquet")):
        rel = path.relative_to(landing)
        if rel.parts[0].startswith(("_", ".")):
            continue
        stat = path.stat()
        found[rel.as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return found


def day_of(rel_path: str) -> str:
    return rel_path.split("/")[1].removeprefix("dt=")


def changed_days(previous: Fingerprints, current: Fingerprints) -> list[DayChange]:
    """Days with a file that is new or whose (size, mtime) moved, oldest first."""
    by_day: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for rel, fp in current.items():
        by_day[day_of(rel)][rel] = fp
    changes = []
    for day in sorted(by_day):
        files = by_day[day]
        changed = tuple(rel for rel, fp in files.items() if previous.get(rel) != fp)
        if changed:
            changes.append(DayChange(day, changed, _digest(files)))
    return changes


def forget_day(current: Fingerprints, previous: Fingerprints, day: str) -> Fingerprints:
    """`current` with `day`'s files as `previous` knew them, so that day counts as new again."""
    kept = {rel: fp for rel, fp in current.items() if day_of(rel) != day}
    kept.update({rel: fp for rel, fp in previous.items() if day_of(rel) == day})
    return kept


def digest_of(parts: list[str]) -> str:
    """A short fingerprint of several fingerprints (a run over several days)."""
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def _digest(files: dict[str, list[int]]) -> str:
    text = json.dumps(sorted(files.items()))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def encode_cursor(current: Fingerprints) -> str:
    return json.dumps({"files": current}, sort_keys=True)


def decode_cursor(cursor: str | None) -> Fingerprints:
    if not cursor:
        return {}
    return {k: list(v) for k, v in json.loads(cursor).get("files", {}).items()}
