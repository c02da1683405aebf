"""Features: input vars, entity vars (one aggregate pass per source), derived vars,
sql_template models, feature views, feature tables and cohorts, all as of an end_time."""

from profiles_pipeline.features.executor import (
    FeatureRunResult,
    StepOutcome,
    run_features,
    run_plan,
    run_step,
)
from profiles_pipeline.features.plan import FeaturePlan, PlanStep
from profiles_pipeline.features.planner import default_end_time, plan_features

__all__ = [
    "FeaturePlan",
    "FeatureRunResult",
    "PlanStep",
    "StepOutcome",
    "default_end_time",
    "plan_features",
    "run_features",
    "run_plan",
    "run_step",
]
