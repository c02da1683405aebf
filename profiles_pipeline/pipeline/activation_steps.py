"""One step per activation, downstream of its source: a sync as of the run's end time."""

from __future__ import annotations

from profiles_pipeline.activations import activation_plans, sync
from profiles_pipeline.activations.plan import ActivationPlan
from profiles_pipeline.pipeline.graph import CheckOutcome, RunContext, Step, StepCheck, StepResult
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter


def activation_steps(project: Project) -> list[Step]:
    return [_step(plan, _scorings(project, plan)) for plan in activation_plans(project)]


def _scorings(project: Project, plan: ActivationPlan) -> tuple[tuple[str, ...], ...]:
    """A feature view holds its entity's propensity scores: its activations wait for the scoring."""
    from profiles_pipeline.pipeline.prediction_steps import scoring_key

    if plan.source_step[0] != "features":
        return ()
    return tuple(scoring_key(model) for model, _ in project.prediction_outputs(plan.entity))


def _describe(plan: ActivationPlan) -> str:
    key = f"its {plan.id_type}" if plan.id_type else plan.main_id_column
    d = plan.destination
    where = f"the {d.format} files under {d.path}" if d.type == "file" else "a webhook"
    return f"Activation {plan.name}: {plan.source_relation} keyed by {key}, sent to {where} ({plan.mode})."


def _step(plan: ActivationPlan, after: tuple[tuple[str, ...], ...] = ()) -> Step:
    def run(adapter: WarehouseAdapter, ctx: RunContext) -> StepResult:
        if ctx.snapshot:
            return StepResult(metadata={"skipped": "an explicit earlier end time: destinations get the latest rows only"})
        result = sync(adapter, plan, end_time=ctx.end_time, run_id=ctx.run_id)
        tables = {plan.state_table: adapter.row_count(plan.state_table)} if adapter.table_exists(plan.state_table) else {}
        return StepResult(tables=tables, metadata={**result.as_metadata(), "as_of": str(ctx.end_time)})

    def rejections(adapter: WarehouseAdapter, ctx: RunContext, result: StepResult | None) -> CheckOutcome:
        rate = float(result.metadata.get("rejection_rate", 0.0)) if result else 0.0
        rejected = int(result.metadata.get("rejected", 0)) if result else 0
        ok = rate <= plan.max_rejection_rate
        return CheckOutcome(ok, f"{rejected} row(s) rejected ({rate:.1%}; bound {plan.max_rejection_rate:.1%}); "
                            f"their messages are in {plan.rejected_table}", {"rejection_rate": rate, "rejected": rejected})

    check = StepCheck("rejection_rate_within_bound", f"At most {plan.max_rejection_rate:.0%} of a sync's rows are "
                      "rejected by the destination (max_rejection_rate).", False, rejections)
    return Step(("activations", plan.name), "activation", _describe(plan), "activations", (plan.source_step, *after), run,
                checks=(check,), retries=3, relations=(plan.state_table, plan.rejected_table))
