"""The Parquet files of a folder input (landing zone or `path:`), each judged from its footer.

Reading only footers (schema, row-group statistics; no rows) tells, per file: its partition day
(`dt=` folder), the span of its event times, and whether it can be read the way the project
reads the input. A bad file — not Parquet, cut short, lacking a column the project reads, or
holding one with another type than the other files — is left out of every relation over the
input and named; the run covering its own day fails on it (see `pipeline.input_steps`), runs of
other days go on without it. The span of event times lets a run read only the files of its days.

Footers are cached per (path, size, mtime), so a run that builds many relations over one
landing zone reads each footer once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

_DAY_DIR = re.compile(r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})(?:/|$)")


@dataclass(frozen=True)
class DataFile:
    """What a file's footer says."""

    path: Path
    day: date | None  # its `dt=` partition
    columns: dict[str, str] = field(default_factory=dict)  # lower-case name -> Arrow type
    events: tuple[datetime, datetime] | None = None  # min and max of the event time column
    unreadable: str | None = None  # why the footer could not be read

    def overlaps(self, first: date, last: date) -> bool:
        """Whether the file may hold rows of the days `first` .. `last` (unknown: yes)."""
        if self.events is not None:
            return self.events[0].date() <= last and self.events[1].date() >= first
        if self.day is not None:
            return first <= self.day <= last
        return True


@dataclass(frozen=True)
class BadFile:
    file: DataFile
    reason: str  # what is wrong, and what would be right

    @property
    def day(self) -> date | None:
        return self.file.day if self.file.day else (self.file.events[0].date() if self.file.events else None)

    def describe(self) -> str:
        return f"{self.file.path}: {self.reason}"


@dataclass(frozen=True)
class FileSet:
    good: tuple[DataFile, ...]
    bad: tuple[BadFile, ...]
    #: the columns the project reads, with the Arrow type most files give them
    expected: dict[str, str] = field(default_factory=dict)

    def missing_from(self, files: tuple[DataFile, ...]) -> dict[str, str]:
        """Expected columns none of `files` has (a relation over them adds them as NULL)."""
        return {c: t for c, t in self.expected.items() if not any(c in f.columns for f in files)}

    def within(self, first: date, last: date) -> tuple[DataFile, ...]:
        return tuple(f for f in self.good if f.overlaps(first, last))

    def bad_within(self, first: date, last: date) -> tuple[BadFile, ...]:
        """Bad files that may hold rows of `first` .. `last` (one whose day is unknown: all)."""
        return tuple(b for b in self.bad if b.day is None or first <= b.day <= last
                     or (b.file.events is not None and b.file.overlaps(first, last)))


_FOOTERS: dict[tuple[str, int, int, str | None], DataFile] = {}


def parquet_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*.parquet") if p.is_file())


def read_footer(path: Path, occurred_at: str | None) -> DataFile:
    """The file's schema and event time span, from its footer alone (cached)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, occurred_at)
    if key not in _FOOTERS:
        _FOOTERS[key] = _footer(path, occurred_at)
    return _FOOTERS[key]


def _footer(path: Path, occurred_at: str | None) -> DataFile:
    import pyarrow.parquet as pq

    m = _DAY_DIR.search(path.as_posix())
    day = date.fromisoformat(m.group(1)) if m else None
    try:
        meta = pq.ParquetFile(path).metadata
        schema = meta.schema.to_arrow_schema()
    except Exception as e:  # noqa: BLE001 - any failure to read a footer makes the file bad
        return DataFile(path, day, unreadable=f"{type(e).__name__}: {e}")
    columns = {f.name.lower(): str(f.type) for f in schema}
    return DataFile(path, day, columns, _event_span(meta, schema, occurred_at))


def _event_span(meta, schema, occurred_at: str | None) -> tuple[datetime, datetime] | None:
    """Min and max of the event time column over the row groups' statistics (timestamp columns
    only; None when a row group has no statistics)."""
    if not occurred_at:
        return None
    names = [f.name.lower() for f in schema]
    column = occurred_at.strip('"').lower()
    if column not in names or not str(schema.field(names.index(column)).type).startswith("timestamp"):
        return None
    index = names.index(column)
    lows, highs = [], []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(index).statistics
        if stats is None or not stats.has_min_max:
            return None
        lows.append(stats.min)
        highs.append(stats.max)
    if not lows:
        return None
    low, high = min(lows), max(highs)
    return (_naive(low), _naive(high)) if isinstance(low, datetime) and isinstance(high, datetime) else None


def _naive(value: datetime) -> datetime:
    """UTC without a zone, as the engine compares event times."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def judge(files: list[DataFile], columns: tuple[str, ...], allow_missing: bool) -> FileSet:
    """Split the files into good and bad for a project that reads `columns` from them: a column
    is expected with the type most files give it; a file lacking it is bad unless `allow_missing`."""
    readable = [f for f in files if f.unreadable is None]
    expected: dict[str, str] = {}
    for column in columns:
        types = Counter(f.columns[column] for f in readable if column in f.columns)
        if types:
            expected[column] = types.most_common(1)[0][0]
    good, bad = [], []
    for f in files:
        reason = _fault(f, expected, allow_missing)
        (bad.append(BadFile(f, reason)) if reason else good.append(f))
    return FileSet(tuple(good), tuple(bad), expected)


def _fault(f: DataFile, expected: dict[str, str], allow_missing: bool) -> str | None:
    if f.unreadable is not None:
        return f"not a readable Parquet file ({f.unreadable}); rewrite it or move it out of the folder"
    for column, wanted in expected.items():
        have = f.columns.get(column)
        if have is None and not allow_missing:
            return (f"has no column {column} (the other files have it, as {wanted}); add it, or set "
                    "app_defaults.allow_missing_columns: true to read it as NULL there")
        if have is not None and have != wanted and not _compatible(have, wanted):
            return f"column {column} is {have} here, {wanted} in the other files; write it as {wanted}"
    return None


def _compatible(a: str, b: str) -> bool:
    """Types DuckDB reads together without surprises (int widths, float widths, timestamp units)."""
    def family(t: str) -> str:
        if t.startswith("timestamp"):
            return "timestamp"
        if re.fullmatch(r"u?int\d+", t):
            return "integer"
        if t in ("float", "double", "halffloat"):
            return "float"
        if t in ("string", "large_string"):
            return "string"
        return t
    return family(a) == family(b)


_SQL_TYPES = {"double": "DOUBLE", "float": "FLOAT", "int64": "BIGINT", "int32": "INTEGER", "int16": "SMALLINT",
              "int8": "TINYINT", "bool": "BOOLEAN", "string": "VARCHAR", "large_string": "VARCHAR",
              "date32[day]": "DATE"}


def sql_type(arrow_type: str) -> str:
    """The engine type a NULL stand-in for an Arrow column gets."""
    if arrow_type.startswith("timestamp"):
        return "TIMESTAMP"
    return _SQL_TYPES.get(arrow_type, "VARCHAR")


def file_set(folder: Path, occurred_at: str | None, columns: tuple[str, ...], allow_missing: bool) -> FileSet:
    return judge([read_footer(p, occurred_at) for p in parquet_files(folder)], columns, allow_missing)
