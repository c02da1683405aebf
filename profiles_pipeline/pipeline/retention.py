"""Retention: how long snapshots are kept (pb's `retention_period`, 180 days by default).

What is kept: the id graph's checkpoints and the feature snapshots no older than the latest
minus the retention period, and always the latest. The extracted edges are not snapshots (a
rebuild reads them) and are kept. Runs apply retention as they write; `profiles cleanup`
applies it on demand (after a shorter `retention_period`) and `--dry-run` lists what it would drop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from profiles_pipeline.features.snapshots import drop_snapshots_before, snapshot_instants
from profiles_pipeline.identity import StitcherTables, history_store


@dataclass
class Dropping:
    """What retention drops from one relation: its snapshot instants (and history rows)."""

    relation: str
    kind: str  # "id graph history" | "feature snapshots"
    horizon: datetime
    stitcher: str | None = None
    kept: list[datetime] = field(default_factory=list)
    dropped: list[datetime] = field(default_factory=list)
    rows: int = 0


def plan_cleanup(adapter, project, retention: timedelta | None = None) -> list[Dropping]:
    """What retention would drop now, per id graph and var table (nothing is written)."""
    keep = retention or project.config.retention
    out: list[Dropping] = []
    for entity in project.entities:
        if project.edge_sources_for(entity.name):
            t = StitcherTables(project.stitcher_name(entity.name))
            instants = history_store.checkpoint_instants(adapter, t)
            if instants:
                horizon = instants[-1] - keep
                gone, n_rows = history_store.retention_preview(adapter, t, horizon)
                out.append(Dropping(t.history, "id graph history", horizon, t.name,
                                    [i for i in instants if i not in gone], gone, n_rows))
        table = f"{entity.name}_var_table"
        instants = snapshot_instants(adapter, table)
        if instants:
            horizon = instants[-1] - keep
            gone = [i for i in instants[:-1] if i < horizon]
            out.append(Dropping(table, "feature snapshots", horizon, None, [i for i in instants if i not in gone], gone))
    return out


def apply_cleanup(adapter, project, retention: timedelta | None = None) -> list[Dropping]:
    """Drop what `plan_cleanup` lists; returns it."""
    keep = retention or project.config.retention
    planned = plan_cleanup(adapter, project, keep)
    for item in planned:
        if item.dropped and item.stitcher:
            history_store.apply_retention(adapter, StitcherTables(item.stitcher), item.horizon)
        elif item.dropped:
            drop_snapshots_before(adapter, item.relation, item.horizon)
    return planned


def apply_feature_retention(adapter, project, entity: str) -> list[datetime]:
    """After a run wrote a snapshot: drop the entity's snapshots retention no longer keeps."""
    table = f"{entity}_var_table"
    instants = snapshot_instants(adapter, table)
    if not instants:
        return []
    return drop_snapshots_before(adapter, table, instants[-1] - project.config.retention)
