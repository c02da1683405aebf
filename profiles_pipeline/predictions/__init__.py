"""Predictions: pb's propensity models, trained on the entity's vars as of past instants
(features as of T, the label as of T + predict_window_days), scoring every run."""

from profiles_pipeline.predictions.plan import PredictionPlan, prediction_plans
from profiles_pipeline.predictions.scoring import ScoreResult, score
from profiles_pipeline.predictions.training import ModelRecord, latest_model, needs_training, train

__all__ = ["ModelRecord", "PredictionPlan", "ScoreResult", "latest_model", "needs_training", "prediction_plans",
           "score", "train"]
