"""Activations (reverse ETL): a cohort, feature table or feature view sent to a destination as
a diff against what the destination last accepted, batch by batch, with retries."""

from profiles_pipeline.activations.plan import ActivationPlan, activation_plans
from profiles_pipeline.activations.sync import SyncResult, diff_counts, sync

__all__ = ["ActivationPlan", "SyncResult", "activation_plans", "diff_counts", "sync"]
