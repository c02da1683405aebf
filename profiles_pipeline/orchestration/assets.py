"""The asset factory: one daily-partitioned asset per `Step`. Bodies only wire.

A step's asset gets an adapter from the warehouse resource, builds the `RunContext` of its
partition, runs the step, reports what it built as metadata and evaluates the step's checks.
"""

from collections.abc import Iterator

import dagster as dg

from profiles_pipeline.orchestration.checks import check_specs, evaluate_checks
from profiles_pipeline.orchestration.metadata import result_metadata
from profiles_pipeline.orchestration.partitions import PREVIOUS_DAY, daily_partitions, run_context
from profiles_pipeline.orchestration.resources import WarehouseResource
from profiles_pipeline.pipeline.graph import ProjectGraph, Step

#: Run tag that asks cumulative steps to rebuild from scratch instead of building on D-1.
REBASE_TAG = "profiles/rebase"


def pool_name(graph: ProjectGraph) -> str:
    """Every asset writing the same warehouse shares one pool (limit 1 in dagster.yaml)."""
    return f"profiles_{graph.warehouse_kind}"


def asset_key(step: Step) -> dg.AssetKey:
    return dg.AssetKey(list(step.key))


def build_assets(graph: ProjectGraph) -> list[dg.AssetsDefinition]:
    partitions = daily_partitions(graph)
    return [_step_asset(step, graph, partitions) for step in graph.steps]


def _deps(step: Step) -> list[dg.AssetDep]:
    deps = [dg.AssetDep(dg.AssetKey(list(key))) for key in step.upstream]
    if step.cumulative:
        deps.append(dg.AssetDep(asset_key(step), partition_mapping=PREVIOUS_DAY))
    return deps


def _step_asset(
    step: Step, graph: ProjectGraph, partitions: dg.DailyPartitionsDefinition
) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(step),
        deps=_deps(step),
        partitions_def=partitions,
        kinds={graph.warehouse_kind},
        group_name=step.group,
        description=step.description,
        tags={**step.tags, "profiles/kind": step.kind},
        check_specs=check_specs(step, partitions),
        pool=pool_name(graph),
    )
    def _asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        rebase = context.run.tags.get(REBASE_TAG, "false").lower() == "true"
        ctx = run_context(context.partition_key, context.run_id, rebase=rebase)
        with warehouse.get_adapter() as adapter:
            result = step.run(adapter, ctx)
            yield dg.MaterializeResult(metadata=result_metadata(result))
            yield from evaluate_checks(step, adapter, ctx, result)

    return _asset
