"""The asset factory: one daily-partitioned asset per `Step`. Bodies only wire.

A step's asset gets an adapter from the warehouse resource, builds the `RunContext` of its
partitions (one, or a range: every asset has a single-run backfill policy, so a backfill over
many days is one run that reads each source once), runs the step, reports what it built as
metadata and evaluates the step's checks.
"""

import warnings
from collections.abc import Iterator

import dagster as dg

from profiles_pipeline.orchestration.checks import check_specs, evaluate_checks
from profiles_pipeline.orchestration.metadata import metadata_value, result_metadata
from profiles_pipeline.orchestration.naming import PLAIN, Naming
from profiles_pipeline.orchestration.partitions import (
    PREVIOUS_DAY,
    REBASE_TAG,
    daily_partitions,
    run_context,
)
from profiles_pipeline.orchestration.resources import WarehouseResource
from profiles_pipeline.orchestration.run_envelope import step_envelope
from profiles_pipeline.pipeline.graph import ProjectGraph, Step

__all__ = ["REBASE_TAG", "asset_key", "build_assets", "pool_name"]


def pool_name(graph: ProjectGraph, naming: Naming = PLAIN) -> str:
    """Every asset writing the same warehouse shares one pool (limit 1 in dagster.yaml)."""
    return naming.pool(graph.warehouse_kind)


def asset_key(step: Step, naming: Naming = PLAIN) -> dg.AssetKey:
    return naming.key(step.key)


def build_assets(graph: ProjectGraph, naming: Naming = PLAIN) -> list[dg.AssetsDefinition]:
    partitions = daily_partitions(graph)
    return [_step_asset(step, graph, partitions, naming) for step in graph.steps]


def _deps(step: Step, naming: Naming) -> list[dg.AssetDep]:
    deps = [dg.AssetDep(naming.key(key)) for key in step.upstream]
    if step.cumulative:
        deps.append(dg.AssetDep(asset_key(step, naming), partition_mapping=PREVIOUS_DAY))
    return deps


def _code_references(step: Step) -> dict:
    """The YAML the step is defined by, file and line, so the UI links an asset to its source."""
    if not step.code_refs:
        return {}
    with warnings.catch_warnings():  # a beta API in 1.13
        warnings.simplefilter("ignore", dg.BetaWarning)
        return {"dagster/code_references": dg.CodeReferencesMetadataValue(code_references=[
            dg.LocalFileCodeReference(file_path=str(ref.file), line_number=ref.line, label=ref.label)
            for ref in step.code_refs])}


def _step_asset(
    step: Step, graph: ProjectGraph, partitions: dg.DailyPartitionsDefinition, naming: Naming
) -> dg.AssetsDefinition:
    """One asset per step; a step with parts is a multi-asset whose parts hang off the step's
    own asset (built in the same run, so the step's sources are scanned once)."""
    main = dg.AssetSpec(
        key=asset_key(step, naming),
        deps=_deps(step, naming),
        code_version=step.code_version,
        description=step.description,
        group_name=step.group,
        kinds={graph.warehouse_kind},
        # Dagster tags admit 63 characters of [A-Za-z0-9_.-]: user text (a table name, an
        # event-time expression) goes in the metadata, which takes any text.
        tags={"profiles/kind": step.kind},
        metadata={**{key.removeprefix("profiles/"): value for key, value in step.tags.items()},
                  **_code_references(step)},
    )
    parts = [
        dg.AssetSpec(
            key=naming.key(part.key),
            deps=[main.key],
            code_version=step.code_version,
            description=part.description,
            group_name=step.group,
            kinds={graph.warehouse_kind},
            tags={"profiles/kind": "feature"},
        )
        for part in step.parts
    ]

    @dg.multi_asset(
        name="__".join(naming.key(step.key).path),
        specs=[main, *parts],
        partitions_def=partitions,
        check_specs=check_specs(step, partitions, naming),
        pool=pool_name(graph, naming),
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={naming.resource_key},
        retry_policy=dg.RetryPolicy(max_retries=step.retries, delay=10, backoff=dg.Backoff.EXPONENTIAL,
                                    jitter=dg.Jitter.PLUS_MINUS) if step.retries else None,
    )
    def _asset(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        warehouse: WarehouseResource = getattr(context.resources, naming.resource_key)
        keys = context.partition_key_range
        ctx = run_context(keys.start, keys.end, context.run_id, dict(context.run.tags))
        notes: dict = {}
        with step_envelope(context, graph, step.path, warehouse, notes) as (adapter, writer):
            result = step.run(adapter, ctx)
            result.metadata.update(notes)
            metadata = result_metadata(result)
            metadata["days_covered"] = dg.MetadataValue.text(
                f"{ctx.first_day} .. {ctx.day}" if ctx.first_day != ctx.day else str(ctx.day))
            metadata["as_of"] = dg.MetadataValue.text(str(ctx.end_time))
            yield dg.MaterializeResult(asset_key=main.key, metadata=metadata)
            for part, spec in zip(step.parts, parts, strict=True):
                figures = result.part_metadata.get(part.column, {})
                yield dg.MaterializeResult(
                    asset_key=spec.key,
                    metadata={
                        k: v
                        for k, v in ((k, metadata_value(k, v)) for k, v in figures.items())
                        if v is not None
                    },
                )
            for outcome in evaluate_checks(step, adapter, ctx, result, naming):
                if not outcome.passed and outcome.severity == dg.AssetCheckSeverity.ERROR:
                    writer.failed.append(f"{step.path}: {outcome.check_name}")  # the run publishes nothing
                yield outcome

    return _asset
