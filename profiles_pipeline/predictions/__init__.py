"""Predictions: pb's propensity models, trained on the entity's vars as of past instants
(features as of T, the label as of T + predict_window_days), scoring every run.

Only the plan is imported here: training and scoring (`training`, `scoring`) bring scikit-learn,
joblib and matplotlib, which a run without a propensity model should not pay for."""

from profiles_pipeline.predictions.plan import NotEnoughHistory, PredictionPlan, prediction_plans

__all__ = ["NotEnoughHistory", "PredictionPlan", "prediction_plans"]
