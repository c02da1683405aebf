"""Two steps per propensity model, after its entity's features: training (only when the last
model expired, its definition changed, or the run rebases) and the daily scoring."""

from __future__ import annotations

from profiles_pipeline.pipeline.graph import CheckOutcome, RunContext, Step, StepCheck, StepResult
from profiles_pipeline.predictions.plan import NotEnoughHistory, PredictionPlan, prediction_plans
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter

Key = tuple[str, ...]


def prediction_steps(project: Project) -> list[Step]:
    steps = []
    for plan in prediction_plans(project):
        steps += [_training_step(project, plan), _scoring_step(project, plan)]
    return steps


def training_key(plan: PredictionPlan) -> Key:
    return ("predictions", f"{plan.name}_model")


def scoring_key(model: str) -> Key:
    """The step that scores with propensity model `model` (what reads its scores waits for it)."""
    return ("predictions", model)


def _model_metadata(record, retrained: str | None) -> dict:
    m = record.metrics
    holdout = m["holdout"]
    meta = {"model_id": record.model_id, "algorithm": record.algorithm, "retrained": retrained or "no: still valid",
            "valid_until": str(record.valid_until), m["quality_name"]: m["quality"],
            "validation (per candidate)": m["validation"], "rows": m["split"],
            "training instants": [t for t, _ in m["instants"]], "eligible_rows": m["eligible_rows"],
            "sampled_rows": m["sampled_rows"], "feature importance": dict(list(m["importances"].items())[:15]),
            "lift_by_decile": holdout["lift_by_decile"], "calibration": holdout["calibration"]}
    for k in ("average_precision", "positive_share", "captured_by_top_decile", "precision", "recall", "mae", "rmse"):
        if k in holdout:
            meta[k] = holdout[k]
    if m.get("threshold") is not None:
        meta["threshold"] = round(m["threshold"], 4)
    return meta


def _training_step(project: Project, plan: PredictionPlan) -> Step:
    def run(adapter: WarehouseAdapter, ctx: RunContext) -> StepResult:
        from profiles_pipeline.predictions.training import latest_model, needs_training, train

        if ctx.snapshot:
            return StepResult(metadata={"skipped": "an explicit earlier end time: the model is trained on the latest"})
        why = ("the run rebases" if ctx.rebase else "asked (profiles/retrain)" if ctx.retrain
               else needs_training(adapter, plan, ctx.end_time))
        if why is None:
            record = latest_model(adapter, plan)
        else:
            from profiles_pipeline.pipeline.run_scope import stored_begin

            begin = ctx.begin_time or stored_begin(adapter, project)
            try:
                record = train(adapter, project, plan, ctx.end_time, begin)
            except NotEnoughHistory as e:
                if latest_model(adapter, plan) is not None:
                    raise  # a model that cannot be retrained: say so, do not keep scoring with it silently
                return StepResult(metadata={"skipped": str(e)})
        report = plan.folder / record.model_id / "report.html"
        return StepResult(tables={plan.models_table: adapter.row_count(plan.models_table)},
                          metadata=_model_metadata(record, why), artifacts={"prediction report": str(report)})

    def quality(adapter: WarehouseAdapter, ctx: RunContext, result: StepResult | None) -> CheckOutcome:
        from profiles_pipeline.predictions.training import latest_model

        record = latest_model(adapter, plan)
        if record is None:
            return CheckOutcome(True, "no model (nothing was trained in this run)")
        name, value = record.metrics["quality_name"], float(record.metrics["quality"])
        return CheckOutcome(value >= plan.min_quality, f"{name.upper()} on the time-split holdout {value:.3f} "
                            f"(floor {plan.min_quality:.2f}, training.min_auc)", {name: value})

    check = StepCheck("holdout_quality_above_floor", f"The model's {'R²' if plan.task == 'regression' else 'AUC'} "
                      "on the latest training instant (held out) is at least training.min_auc.", True, quality)
    return Step(training_key(plan), "prediction", f"Propensity model {plan.name}: {plan.task} of {plan.label_var} "
                f"{plan.window.days} day(s) ahead from {len(plan.features)} feature(s); retrained every "
                f"{plan.validity.days} day(s)", "predictions", (("features", plan.entity),), run, checks=(check,),
                relations=(plan.models_table,))


def _scoring_step(project: Project, plan: PredictionPlan) -> Step:
    def run(adapter: WarehouseAdapter, ctx: RunContext) -> StepResult:
        from profiles_pipeline.predictions.scoring import score, scored_at
        from profiles_pipeline.predictions.training import latest_model

        if ctx.snapshot:
            return StepResult(metadata={"skipped": "an explicit earlier end time: scores are of the latest features"})
        record = latest_model(adapter, plan)
        if record is None:
            return StepResult(metadata={"skipped": "no trained model yet (see its training step)"})
        if float(record.metrics["quality"]) < plan.min_quality:
            return StepResult(metadata={"skipped": f"model {record.model_id} is under training.min_auc "
                                        f"({record.metrics['quality']:.3f} < {plan.min_quality}); scores not updated"})
        if (published := scored_at(adapter, plan)) is not None and published > ctx.end_time:
            return StepResult(metadata={"skipped": f"the scores are as of {published}, later than {ctx.end_time}; "
                                        "they are kept"})
        result = score(adapter, project, plan, record, ctx.end_time)
        return StepResult(tables={plan.scores_table: result.rows}, metadata={
            "model_id": record.model_id, "scored": result.rows, "mean_score": result.mean_score,
            "score_deciles": result.deciles, "score_shift_psi": result.score_shift, "as_of": str(ctx.end_time)})

    def shift(adapter: WarehouseAdapter, ctx: RunContext, result: StepResult | None) -> CheckOutcome:
        psi = result.metadata.get("score_shift_psi") if result else None
        if psi is None:
            return CheckOutcome(True, "no earlier scores to compare with")
        return CheckOutcome(psi <= plan.max_score_shift, f"population stability index of the scores against the "
                            f"previous ones {psi:.3f} (bound {plan.max_score_shift}, prediction.max_score_shift)",
                            {"psi": psi})

    check = StepCheck("score_distribution_stable", "The scores' distribution moved at most max_score_shift "
                      "(population stability index) since the previous scoring.", False, shift)
    return Step(scoring_key(plan.name), "prediction", f"Scores of {plan.name}: {plan.score_column} and "
                f"{plan.percentile_column} per {plan.main_id}, every run", "predictions", (training_key(plan),),
                run, checks=(check,), relations=(plan.scores_table,))
