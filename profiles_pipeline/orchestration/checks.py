"""Asset checks from `Step.checks`, evaluated inside the step right after it builds.

Evaluating them in the asset's own step hands each check the `StepResult` it was written
for, and a failed blocking check fails the step, so Dagster skips everything downstream.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import dagster as dg

from profiles_pipeline.orchestration.metadata import metadata_value
from profiles_pipeline.orchestration.naming import PLAIN, Naming
from profiles_pipeline.pipeline.graph import RunContext, Step, StepResult
from profiles_pipeline.warehouse.base import WarehouseAdapter


def check_specs(step: Step, partitions_def: dg.PartitionsDefinition, naming: Naming = PLAIN) -> list[dg.AssetCheckSpec]:
    """Partitioned like the asset, so the UI shows each day's result (a preview API in 1.13)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return _specs(step, partitions_def, naming)


def _specs(step: Step, partitions_def: dg.PartitionsDefinition, naming: Naming) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name=check.name,
            asset=naming.key(step.key),
            description=check.description,
            blocking=check.blocking,
            partitions_def=partitions_def,
        )
        for check in step.checks
    ]


def evaluate_checks(
    step: Step, adapter: WarehouseAdapter, ctx: RunContext, result: StepResult, naming: Naming = PLAIN
) -> Iterator[dg.AssetCheckResult]:
    """One result per check; a check that raises counts as failed with the error as its reason."""
    for check in step.checks:
        try:
            outcome = check.run(adapter, ctx, result)
            passed, text, figures = outcome.passed, outcome.description, outcome.metadata
        except Exception as e:  # noqa: BLE001 - a crashing check is a failing check
            passed, text, figures = False, f"check raised {type(e).__name__}: {e}", {}
        metadata = {
            k: v
            for k, v in ((k, metadata_value(k, v)) for k, v in figures.items())
            if v is not None
        }
        metadata["summary"] = dg.MetadataValue.text(text)
        yield dg.AssetCheckResult(
            check_name=check.name,
            asset_key=naming.key(step.key),
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR if check.blocking else dg.AssetCheckSeverity.WARN,
            description=text,
            metadata=metadata,
        )
