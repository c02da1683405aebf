"""Run a features plan against a warehouse: tables by atomic replace, views by create-or-replace."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from profiles_pipeline.errors import WarehouseError
from profiles_pipeline.features.plan import FeaturePlan, PlanStep
from profiles_pipeline.features.planner import plan_features
from profiles_pipeline.features.snapshots import SnapshotSlice, write_snapshot
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter


@dataclass
class StepOutcome:
    name: str
    kind: str
    materialize: str
    rows: int | None  # None for views (counting would scan their inputs)
    seconds: float


@dataclass
class FeatureRunResult:
    plan: FeaturePlan
    steps: list[StepOutcome] = field(default_factory=list)

    @property
    def tables(self) -> dict[str, int | None]:
        """Every relation built, with its row count (None for views)."""
        return {s.name: s.rows for s in self.steps}

    @property
    def seconds(self) -> dict[str, float]:
        return {s.name: s.seconds for s in self.steps}

    @property
    def total_seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


def run_plan(adapter: WarehouseAdapter, plan: FeaturePlan, select: list[str] | None = None) -> FeatureRunResult:
    """Build the selected steps (all by default) in plan order. Upstream steps are not added:
    the caller selects them or they exist from an earlier run."""
    result = FeatureRunResult(plan)
    for step in plan.select(select):
        result.steps.append(run_step(adapter, step, SnapshotSlice(plan.end_time)))
    return result


def run_step(adapter: WarehouseAdapter, step: PlanStep, snapshot: SnapshotSlice | None = None,
             *, publishing: bool = True) -> StepOutcome:
    """Build one step. The var table step adds a snapshot (replacing what `snapshot` says;
    by default only a snapshot at the same instant); see `write_snapshot` for `publishing`."""
    start = time.perf_counter()
    try:
        if step.kind == "var_table":
            where = snapshot or SnapshotSlice(_valid_at(step))
            rows = write_snapshot(adapter, step, where, publishing=publishing).rows
        elif step.materialize == "view":
            adapter.create_view(step.name, step.sql, read=adapter.dialect)
            rows = None
        else:
            rows = adapter.replace_table(step.name, step.sql, read=adapter.dialect)
    except WarehouseError as e:
        raise WarehouseError(f"building {step.kind} {step.name} failed: {e}", sql=e.sql, model=step.name) from e
    return StepOutcome(step.name, step.kind, step.materialize, rows, time.perf_counter() - start)


def run_features(
    adapter: WarehouseAdapter,
    project: Project,
    *,
    end_time: datetime | None = None,
    id_graph_table: str | dict[str, str] | None = None,
    select: list[str] | None = None,
) -> FeatureRunResult:
    """Plan and run every features step of `project` as of `end_time` (default: now)."""
    plan = plan_features(project, adapter, end_time=end_time, id_graph_table=id_graph_table)
    return run_plan(adapter, plan, select)


def _valid_at(step: PlanStep) -> datetime:
    """The instant a var table step's query stamps on its rows."""
    from sqlglot import exp

    from profiles_pipeline.features.outputs import VALID_AT

    for alias in step.query.find_all(exp.Alias):
        if alias.alias == VALID_AT and isinstance(alias.this, exp.Cast):
            return datetime.fromisoformat(alias.this.this.name)
    raise WarehouseError(f"var table step {step.name} has no {VALID_AT} literal")
