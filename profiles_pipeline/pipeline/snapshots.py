"""Snapshots as of an instant: the id graph and the features as they were then.

`features_as_of` is the one way to read "features as of D": the stored snapshot when there is
one, else computed (the id graph as of D from its history, the vars as of D, stored for the
next read). The features steps of a run use the same pieces, so a partition's snapshot and a
later read of it are built the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlglot import exp

from profiles_pipeline.errors import UserError
from profiles_pipeline.features import plan_features
from profiles_pipeline.features.grains import graph_instant
from profiles_pipeline.features.outputs import VALID_AT
from profiles_pipeline.features.plan import FeaturePlan
from profiles_pipeline.features.snapshots import SnapshotSlice, has_snapshot, latest_snapshot
from profiles_pipeline.identity import StitcherTables, history_store, stitch
from profiles_pipeline.instants import format_instant
from profiles_pipeline.pipeline.graph import snapshot_definition
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.sqltree import literal

#: Plan steps that publish: built only for a snapshot that is (or becomes) the latest.
PUBLISHED = frozenset({"sql_model", "feature_view", "id_view", "feature_table", "cohort", "pb_view"})


def var_table(entity: str) -> str:
    return f"{entity}_var_table"


def published_at(adapter: WarehouseAdapter, project: Project) -> datetime | None:
    """The instant of the published snapshot: the latest one across the entities' var tables."""
    found = [t for e in project.entities if (t := latest_snapshot(adapter, var_table(e.name))) is not None]
    return max(found) if found else None


def graph_head(adapter: WarehouseAdapter, project: Project, entity: str) -> datetime | None:
    t = StitcherTables(project.stitcher_name(entity))
    if not adapter.table_exists(t.state):
        return None
    return adapter.fetch_one(f"SELECT MAX(end_time) FROM {t.state}")


def graph_at(adapter: WarehouseAdapter, project: Project, entity: str, at: datetime, run_id: str,
             begin_time: datetime | None = None) -> str:
    """The name of a relation holding the entity's id graph as of `at`: the published graph when
    `at` is its head, else a view over the history at `at` (added to the history first, as an
    extra checkpoint, when `at` is not one). A stitcher with a time_grain: as of its boundary."""
    t = StitcherTables(project.stitcher_name(entity))
    at = graph_instant(project, entity, at)
    head = graph_head(adapter, project, entity)
    if head is None or at > head:
        raise UserError(f"the id graph of {entity} is built up to "
                        f"{format_instant(head) if head else 'nothing yet'}, not {format_instant(at)}; "
                        f"run it up to then first (profiles run --end-time '{at}')")
    if at == head:
        return t.graph
    if at not in history_store.checkpoint_instants(adapter, t):
        from profiles_pipeline.pipeline.identity_plan import stitcher_plan

        stitch(adapter, stitcher_plan(project, adapter, entity, at, begin_time), end_time=at, run_id=run_id,
               snapshot=True, with_report=False)
    view = f"{t.name}__as_of"
    main_id = project.entity(entity).main_id_column
    adapter.create_view(view, history_store.graph_at(adapter, t, main_id, at))
    return view


@dataclass
class SnapshotPlan:
    """The features plan of one run: as of `end_time`, over the id graphs as of then."""

    plan: FeaturePlan
    publish: bool
    slice: SnapshotSlice

    def builds(self, kind: str) -> bool:
        return self.publish or kind not in PUBLISHED


def snapshot_plan(adapter: WarehouseAdapter, project: Project, at: datetime, slice_: SnapshotSlice,
                  run_id: str, *, may_publish: bool = True, begin_time: datetime | None = None,
                  before_graphs: bool = False) -> SnapshotPlan:
    """Plan the features as of `at`. They are published when `may_publish`, no later snapshot
    is published and every id graph is at `at`; otherwise materialized models are read inline
    and nothing published is touched. `before_graphs`: for the sql_template models, which may
    feed the id graphs and so are built before them (in the same run, the graphs come to `at`)."""
    graphs = {} if before_graphs else {e.name: graph_at(adapter, project, e.name, at, run_id, begin_time)
                                       for e in project.entities if project.edge_sources_for(e.name)}
    latest = published_at(adapter, project)
    heads = [graph_head(adapter, project, e) for e in graphs]
    publish = may_publish and (latest is None or at >= latest) and all(
        h == graph_instant(project, e, at) for e, h in zip(graphs, heads, strict=True))
    plan = plan_features(project, adapter, end_time=at, id_graph_table=graphs or None, inline_models=not publish,
                         begin_time=begin_time)
    return SnapshotPlan(plan, publish, slice_)


def features_as_of(adapter: WarehouseAdapter, project: Project, at: datetime, *, run_id: str = "features_as_of") -> dict[str, exp.Select]:
    """Per entity, a query of its features (every var, `valid_at`) as of `at`; computed and stored
    when no snapshot at `at` exists yet (predictions train on this, activations diff with it)."""
    from profiles_pipeline.features import run_step

    missing = [e.name for e in project.entities if not has_snapshot(adapter, var_table(e.name), at)]
    if missing:
        from profiles_pipeline.pipeline.run_scope import stored_begin

        begin = stored_begin(adapter, project)
        snap = snapshot_plan(adapter, project, at, SnapshotSlice(at, None, snapshot_definition(project, begin)),
                             run_id, may_publish=False, begin_time=begin)
        for step in snap.plan.steps:
            if step.entity in missing and snap.builds(step.kind) and step.kind in ("rows", "pass", "var_table"):
                run_step(adapter, step, snap.slice, publishing=False)
    return {e.name: exp.select("*").from_(exp.to_table(var_table(e.name))).where(exp.column(VALID_AT).eq(literal(at)))
            for e in project.entities}
