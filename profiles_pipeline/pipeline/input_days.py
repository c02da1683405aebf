"""What the inputs hold in time: per input and day, the row count and the latest event.

One GROUP BY per input, whatever the input is (warehouse table, csv or parquet path, landing
zone). It gives the default end time (the latest event across the inputs), the first
partition (the earliest event's day), and a fingerprint of the data per day that tells a run
which days are new or changed since the last one, and the warehouse sensor when to run.
Inputs without `occurred_at_col` count as one untimed row count.

Days outside the believable span (`EventWindow`: before `event_times.not_before` or
`partitions_start`, else 1970; after now plus `event_times.future_tolerance`) are set aside: a
row dated 1900 or 2099 moves neither the first partition nor the default end time, and the
features leave it out. They are counted in the input's metadata and the run's summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlglot import exp

from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.sqltree import drop, literal, rows, run

#: Where runs record the per-day figures of the inputs they read.
RECORD = "profiles__input_days"
RECORD_COLUMNS = "input_name VARCHAR, day DATE, n BIGINT, latest TIMESTAMP"


@dataclass(frozen=True)
class InputDay:
    input: str
    day: date | None  # None: the input has no event time
    rows: int
    latest: datetime | None


@dataclass(frozen=True)
class EventWindow:
    """The days whose events are believed."""

    first: date
    last: date

    def holds(self, day: date | None) -> bool:
        return day is None or self.first <= day <= self.last


def event_window(project, at: datetime | None = None) -> EventWindow:
    from profiles_pipeline.instants import now

    config = project.config
    return EventWindow(config.believable_from, ((at or now()) + config.future_tolerance).date())


def daily_profile(relation: exp.Expression, occurred_at: str | None,
                  days: tuple[date, date] | None = None) -> exp.Select:
    """(day, n, latest) of a relation's rows (of the days `days` only, when given); one untimed
    row (day NULL) without an event time."""
    source = relation.copy()
    if not source.alias:
        source.set("alias", exp.TableAlias(this=exp.to_identifier("_rows")))
    if not occurred_at:
        return exp.select(
            exp.cast(exp.null(), "DATE").as_("day"), exp.func("count", exp.Star()).as_("n"),
            exp.cast(exp.null(), "TIMESTAMP").as_("latest"),
        ).from_(source)
    ts = exp.cast(exp.column(occurred_at), "TIMESTAMP")
    day = exp.cast(ts.copy(), "DATE")
    cond = exp.column(occurred_at).is_(exp.null()).not_()
    if days is not None:
        first, last = days
        cond = exp.and_(cond, ts.copy() >= literal(datetime.combine(first, datetime.min.time())),
                        ts.copy() < literal(datetime.combine(last, datetime.min.time()) + timedelta(days=1)))
    return (
        exp.select(day.as_("day"), exp.func("count", exp.Star()).as_("n"), exp.func("max", ts).as_("latest"))
        .from_(source)
        .where(cond)
        .group_by(day.copy())
    )


def read_input_days(adapter: WarehouseAdapter, project, names: Iterable[str] | None = None,
                    days: tuple[date, date] | None = None, outside: list[InputDay] | None = None) -> list[InputDay]:
    """Per input and day: rows and the latest event (the project's inputs, or those named; the
    days `days` only, when given), believable days only: the others go to `outside` when given."""
    from profiles_pipeline.features.relations import input_relation_sql

    wanted = set(names) if names is not None else None
    window = event_window(project)
    out: list[InputDay] = []
    for inp in project.inputs:
        if wanted is not None and inp.name not in wanted:
            continue
        relation = input_relation_sql(adapter, project, inp, days)
        for day, n, latest in adapter.fetch(daily_profile(relation, inp.occurred_at, days)):
            found = InputDay(inp.name, _day(day), int(n), latest)
            if window.holds(found.day):
                out.append(found)
            elif outside is not None:
                outside.append(found)
    return sorted(out, key=lambda d: (d.input, d.day or date.min))


def bad_file_days(adapter: WarehouseAdapter, project) -> dict[date, list[str]]:
    """{day: [bad file, ...]} over the folder inputs (a bad file whose day is unknown: none).
    Those days' rows look changed (the file is left out) but are not new data: a run does not
    go back for them; the run of their own day fails on them."""
    from profiles_pipeline.features.relations import input_source
    from profiles_pipeline.warehouse.inputs import input_files

    out: dict[date, list[str]] = {}
    for inp in project.inputs:
        files = input_files(adapter, input_source(project, inp))
        for bad in files.bad if files else ():
            if bad.day is not None:
                out.setdefault(bad.day, []).append(str(bad.file.path))
    return out


def describe_outside(outside: list[InputDay], window: EventWindow) -> dict[str, str]:
    """{input: "57 rows dated before 1970-01-01 (earliest 1900-01-01), 3 after 2026-12-03 (...)"}."""
    out = {}
    for name in sorted({d.input for d in outside}):
        early = [d for d in outside if d.input == name and d.day < window.first]
        late = [d for d in outside if d.input == name and d.day > window.last]
        parts = []
        if early:
            parts.append(f"{sum(d.rows for d in early)} row(s) dated before {window.first} "
                         f"(earliest {min(d.day for d in early)})")
        if late:
            parts.append(f"{sum(d.rows for d in late)} row(s) dated after {window.last} "
                         f"(latest {max(d.day for d in late)})")
        out[name] = ", ".join(parts)
    return out


def _day(value) -> date | None:
    """A DATE as drivers return it (a date; a datetime or a string on some)."""
    if value is None or type(value) is date:
        return value
    return value.date() if isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def latest_event(days: list[InputDay]) -> datetime | None:
    found = [d.latest for d in days if d.latest is not None]
    return max(found) if found else None


def default_end(days: list[InputDay]) -> tuple[datetime, str]:
    """A run's end time when none is given, and why: the latest event across the inputs; now
    when an input has no event time (its rows may have changed until now) or there is none."""
    from profiles_pipeline.instants import now

    untimed = sorted({d.input for d in days if d.day is None})
    if untimed:
        return now(), f"now: input {untimed[0]} has no event time"
    latest = latest_event(days)
    return (latest, "latest event") if latest else (now(), "now: no events yet")


def first_day(days: list[InputDay]) -> date | None:
    found = [d.day for d in days if d.day is not None]
    return min(found) if found else None


def fingerprint(days: list[InputDay]) -> dict[tuple[str, date | None], tuple[int, datetime | None]]:
    return {(d.input, d.day): (d.rows, d.latest) for d in days}


def changed_days(before: list[InputDay], now: list[InputDay]) -> list[date | None]:
    """Days (None: untimed rows) whose rows or latest event differ, oldest first."""
    a, b = fingerprint(before), fingerprint(now)
    days = {key[1] for key in set(a) | set(b) if a.get(key) != b.get(key)}
    return sorted(days, key=lambda d: d or date.min)


def recorded(adapter: WarehouseAdapter) -> list[InputDay]:
    """What the last runs recorded (empty before the first run)."""
    if not adapter.table_exists(RECORD):
        return []
    return sorted((InputDay(i, d, int(n), t) for i, d, n, t in rows(adapter, "SELECT * FROM rec", {"rec": RECORD})),
                  key=lambda d: (d.input, d.day or date.min))


def record(adapter: WarehouseAdapter, days: list[InputDay], inputs: list[str], first: date, last: date) -> None:
    """Replace the record of `inputs` for the days `first` .. `last` (and their untimed counts)."""
    from profiles_pipeline.identity.tables import ensure_table

    ensure_table(adapter, RECORD, RECORD_COLUMNS)
    staging = f"{RECORD}__next"
    values = [d for d in days if d.input in inputs and (d.day is None or first <= d.day <= last)]
    run(adapter, f"CREATE OR REPLACE TABLE stage ({RECORD_COLUMNS})", {"stage": staging})
    for i in range(0, len(values), 500):
        batch = exp.values([exp.tuple_(literal(d.input), literal(d.day), literal(d.rows), literal(d.latest))
                            for d in values[i:i + 500]])
        adapter.execute(exp.insert(batch, adapter.table_expr(staging)))
    names = exp.Tuple(expressions=[literal(n) for n in inputs])
    with adapter.transaction():
        run(adapter, "DELETE FROM rec WHERE input_name IN :names AND (day IS NULL OR day BETWEEN :a AND :b)",
            {"rec": RECORD}, names=names, a=first, b=last)
        run(adapter, "INSERT INTO rec SELECT * FROM stage", {"rec": RECORD, "stage": staging})
    drop(adapter, staging)
