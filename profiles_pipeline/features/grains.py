"""pb's `time_grain` on a var_group: its vars are computed as of the last grain boundary at or
before the end time, not the end time itself, so running several times within a grain gives
the same values.

Boundaries, as pb 0.26 computes them (checked against pb's own output,
fixtures/pbref/time_grains): `tick` the end time itself; `tenminutes`/`10minutes`, `hour`, `day`
the start of the ten minutes, hour, day (UTC); `week` Monday 00:00; `month` the first Monday of
the month (of the previous month before it); `year` the first Monday of the year (of the previous
year before it). A var that reads another var reads it as of the coarser of the two grains (pb
computes the dependency at the reader's grain unless its own is coarser).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

#: Finest first; each boundary is at or before the previous one's.
GRAINS = ("tick", "tenminutes", "hour", "day", "week", "month", "year")
ALIASES = {"10minutes": "tenminutes"}


def normalize(grain: str | None) -> str | None:
    """`None` and `tick` mean the end time itself (None); `10minutes` is `tenminutes`."""
    if grain is None:
        return None
    grain = ALIASES.get(grain, grain)
    return None if grain == "tick" else grain


def coarser(a: str | None, b: str | None) -> str | None:
    """The grain whose boundary is the earlier of the two (None is the end time)."""
    rank = {g: i for i, g in enumerate(GRAINS)}
    return max((normalize(a), normalize(b)), key=lambda g: rank[g or "tick"])


def boundary(grain: str | None, at: datetime) -> datetime:
    """The last `grain` boundary at or before `at`."""
    grain = normalize(grain)
    if grain is None:
        return at
    if grain == "tenminutes":
        return at.replace(minute=at.minute - at.minute % 10, second=0, microsecond=0)
    if grain == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    day = datetime.combine(at.date(), time.min, at.tzinfo)
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=at.weekday())
    if grain == "month":
        first = _first_monday(at.year, at.month, at)
        if first > at:
            year, month = (at.year, at.month - 1) if at.month > 1 else (at.year - 1, 12)
            first = _first_monday(year, month, at)
        return first
    if grain == "year":
        first = _first_monday(at.year, 1, at)
        return first if first <= at else _first_monday(at.year - 1, 1, at)
    raise ValueError(f"unknown time_grain {grain!r}")


def _first_monday(year: int, month: int, like: datetime) -> datetime:
    first = datetime(year, month, 1, tzinfo=like.tzinfo)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def graph_instant(project, entity: str, at: datetime) -> datetime:
    """The instant `entity`'s id graph is built as of for a run as of `at`: its stitcher's
    time_grain boundary (pb 0.26.4 builds the graph there and leaves later ids out of it, while
    vars keep their own grains: fixtures/pbref/stitcher_grain), else `at` itself."""
    model = project.stitcher_model(entity)
    return boundary(model.model_spec.time_grain, at) if model is not None else at


def project_default_grain(project) -> str | None:
    """pb 0.26 gives a project with a time_grain on a cohort or a feature table a default grain
    (checked for both against pb's own output), at which every model
    without a time_grain of its own (the id graph, the entity's vars and feature view, other
    cohorts) is computed: the finest cohort grain, no coarser than `day` (a week or month cohort
    makes it `day`, an hour cohort `hour`; checked against pb's own output,
    fixtures/pbref/cohort_grain). None when no cohort has a time grain: the end time itself."""
    models = project.models_of_type("entity_cohort") + project.models_of_type("feature_table_model")
    grains = [normalize(getattr(m.model_spec, "time_grain", None)) for m in models]
    grains = [g for g in grains if g]
    if not grains:
        return None
    finest = min(grains, key=GRAINS.index)
    return finest if GRAINS.index(finest) < GRAINS.index("day") else "day"
