"""Which entity vars wait for others: pb joins an entity's earlier vars onto an input's rows, so
an aggregate that reads another entity var is computed after it, in a later scan of its input.

Level 0: aggregates that read no entity var (one scan per input, as before). A derived var sits at
the level of what it reads; an aggregate that reads entity vars sits one level above them. The vars
of the levels below L are gathered into one table that level L's scans join on by main id.
"""

from __future__ import annotations

from profiles_pipeline.features.definitions import EntityFeatures
from profiles_pipeline.features.ordering import order


def var_levels(f: EntityFeatures) -> dict[str, int]:
    """Each entity var's level (see the module docstring)."""
    by_name = {v.name: v for v in f.entity_vars}
    levels: dict[str, int] = {}
    for name in order({v.name: v.deps for v in f.entity_vars}, f"entity vars of {f.entity}"):
        v = by_name[name]
        below = max((levels[d] for d in v.deps if d in levels), default=0)
        levels[name] = below + 1 if v.deps and not v.is_derived else below
    return levels


def prior_vars_name(f: EntityFeatures, level: int) -> str:
    """The table of every var below `level`, which that level's scans join on."""
    return f"{f.entity}__vars_below_{level}"
