"""Which entity vars wait for others: pb joins an entity's earlier vars onto an input's rows, so
an aggregate that reads another entity var is computed after it, in a later scan of its input.

Level 0: aggregates that read no entity var (one scan per input, as before). A derived var sits at
the level of what it reads; an aggregate that reads entity vars sits one level above them. The vars
of the levels below L are gathered into one table that level L's scans join on by main id.
"""

from __future__ import annotations

from profiles_pipeline.features.definitions import EntityFeatures
from profiles_pipeline.features.grains import coarser
from profiles_pipeline.features.ordering import order


def var_levels(f: EntityFeatures, names: set[str] | None = None) -> dict[str, int]:
    """Each entity var's level (see the module docstring), of the vars `names` (default: all);
    vars they read outside `names` are already computed (level 0 for them)."""
    chosen = [v for v in f.entity_vars if names is None or v.name in names]
    by_name = {v.name: v for v in chosen}
    levels: dict[str, int] = {}
    for name in order({v.name: v.deps for v in chosen}, f"entity vars of {f.entity}"):
        v = by_name[name]
        below = max((levels[d] for d in v.deps if d in levels), default=0)
        levels[name] = below + 1 if v.deps and not v.is_derived else below
    return levels


def vars_by_grain(f: EntityFeatures, also: list[tuple[str, str]] = ()) -> dict[str | None, set[str]]:
    """Which vars are computed at which time grain (None: as of the end time): each var at its
    own, and what it reads at the coarser of the reader's grain and its own (as pb does: a
    monthly var that reads an unmonthly one reads it as of the month's boundary). `also`: (grain,
    var) pairs something else reads, e.g. a cohort with a time_grain."""
    needed: dict[str | None, set[str]] = {}
    work = [(v.grain, v.name) for v in f.entity_vars] + [(coarser(g, f.var(n).grain), n) for g, n in also]
    while work:
        grain, name = work.pop()
        if name in needed.setdefault(grain, set()):
            continue
        needed[grain].add(name)
        work.extend((coarser(grain, f.var(d).grain), d) for d in f.var(name).deps if f.var(d) is not None)
    return needed


def grain_table_name(f: EntityFeatures, grain: str) -> str:
    """The table of the vars computed at `grain`, which the var table reads them from."""
    return f"{f.entity}__vars_{grain}"


def prior_vars_name(f: EntityFeatures, level: int) -> str:
    """The table of every var below `level`, which that level's scans join on."""
    return f"{f.entity}__vars_below_{level}"
