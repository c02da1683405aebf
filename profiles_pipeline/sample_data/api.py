"""`generate` a landing zone of RudderStack-shaped events, or `append_day` to one.

A day depends only on (seed, users, start date, day index), so appending day N writes exactly
what generating N days would have written for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import UserError
from .day import generate_day
from .ground_truth import compact, day_identifiers, finalize
from .landing import (
    Manifest,
    ground_truth_path,
    partition_path,
    prepare_out,
    read_manifest,
    write_manifest,
    write_parquet,
)
from .population import Population, build_population
from .schema import GENERATOR_VERSION, TABLES

# progress(label, done, total) is called with these stable labels, once per step, so a
# progress bar can keep one task per label.
Progress = Callable[[str, int, int], None]
STAGE_PEOPLE = "building people"
STAGE_DAYS = "writing days"


@dataclass(frozen=True)
class GenerationSummary:
    """What a call wrote: rows per table, the days (count and dates), files written, the
    ground-truth size after the call, and wall seconds."""

    out: Path
    tables: dict[str, int]
    dates: tuple[date, ...]
    files: int
    identifiers: int
    seconds: float

    @property
    def rows(self) -> dict[str, int]:
        """Rows per table (the same mapping as `tables`)."""
        return self.tables

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())

    @property
    def days(self) -> int:
        return len(self.dates)


def _as_date(value: date, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise UserError(f"{what} must be a date like 2026-01-01, got {value!r}.")
    return value


class _Writer:
    """Writes days for one population and collects their identifiers for the ground truth."""

    def __init__(self, out: Path, pop: Population, seed: int, start: date):
        self.out, self.pop, self.seed, self.start = out, pop, seed, start
        self.anon_pool = pa.concat_arrays([pop.anonymous_id, pop.kiosk_anonymous_id])
        self.rows = dict.fromkeys(TABLES, 0)
        self.files = 0
        self.coded: list[pa.Table] = []
        self._pending = 0

    def day(self, day: date) -> None:
        data = generate_day(
            self.pop, self.anon_pool, self.seed, self.start, (day - self.start).days
        )
        for name in TABLES:
            write_parquet(data.tables[name], partition_path(self.out, name, day))
            self.rows[name] += data.tables[name].num_rows
            self.files += 1
        self.coded.append(day_identifiers(data.identifiers))
        self._pending += self.coded[-1].num_rows
        if len(self.coded) > 1 and self._pending > 2 * self.coded[0].num_rows:
            self.coded = [compact(self.coded)]
            self._pending = 0

    def ground_truth(self, existing: pa.Table | None) -> int:
        table = finalize(self.coded, self.pop.users, existing)
        write_parquet(table, ground_truth_path(self.out))
        self.files += 1
        return table.num_rows


def generate(
    out: Path,
    users: int,
    days: int,
    seed: int = 42,
    start_date: date = date(2026, 1, 1),
    progress: Progress | None = None,
) -> GenerationSummary:
    """Write a fresh landing zone of `days` days for `users` people starting at `start_date`."""
    began = time.perf_counter()
    out = Path(out)
    start = _as_date(start_date, "start_date")
    if not isinstance(users, int) or users <= 0:
        raise UserError(f"users must be a positive whole number, got {users!r} (try --users 1000).")
    if not isinstance(days, int) or days <= 0:
        raise UserError(f"days must be a positive whole number, got {days!r} (try --days 7).")
    if not isinstance(seed, int) or seed < 0:
        raise UserError(f"seed must be a whole number >= 0, got {seed!r}.")
    prepare_out(out)
    report = progress or (lambda label, done, total: None)
    report(STAGE_PEOPLE, 0, 1)
    writer = _Writer(out, build_population(seed, users), seed, start)
    report(STAGE_PEOPLE, 1, 1)
    written = tuple(start + timedelta(days=i) for i in range(days))
    for i, day in enumerate(written):
        report(STAGE_DAYS, i, days)
        writer.day(day)
    report(STAGE_DAYS, days, days)
    identifiers = writer.ground_truth(None)
    write_manifest(out, Manifest(seed, users, start, written, GENERATOR_VERSION))
    return GenerationSummary(
        out, writer.rows, written, writer.files, identifiers, time.perf_counter() - began
    )


def append_day(
    out: Path, day: date | None = None, progress: Progress | None = None
) -> GenerationSummary:
    """Write one more day (the day after the last by default), or rewrite a given day."""
    began = time.perf_counter()
    out = Path(out)
    manifest = read_manifest(out)
    if manifest.generator_version != GENERATOR_VERSION:
        raise UserError(
            f"{out}: written by sample-data generator version {manifest.generator_version}, this is "
            f"version {GENERATOR_VERSION}; appending would mix different people. Regenerate the folder."
        )
    if day is None:
        day = (manifest.last_day or manifest.start_date - timedelta(days=1)) + timedelta(days=1)
    day = _as_date(day, "day")
    if day < manifest.start_date:
        raise UserError(
            f"day {day.isoformat()} is before the start date {manifest.start_date.isoformat()} of {out}; "
            "choose a day on or after it."
        )
    report = progress or (lambda label, done, total: None)
    report(STAGE_PEOPLE, 0, 1)
    pop = build_population(manifest.seed, manifest.users)
    report(STAGE_PEOPLE, 1, 1)
    writer = _Writer(out, pop, manifest.seed, manifest.start_date)
    report(STAGE_DAYS, 0, 1)
    writer.day(day)
    report(STAGE_DAYS, 1, 1)
    gt_path = ground_truth_path(out)
    existing = pq.read_table(gt_path) if gt_path.is_file() else None
    identifiers = writer.ground_truth(existing)
    days = tuple(sorted(set(manifest.days) | {day}))
    write_manifest(
        out, Manifest(manifest.seed, manifest.users, manifest.start_date, days, GENERATOR_VERSION)
    )
    return GenerationSummary(
        out, writer.rows, (day,), writer.files, identifiers, time.perf_counter() - began
    )
