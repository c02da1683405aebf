"""What every run does around its steps, whoever launched it: one writer, clean starts, readers
switched to the new outputs only once the run has built them all.

- First step of a run: take the warehouse's writer lock for the run (DuckDB; it waits while
  another process writes), record the run's process id (see `run_health`), drop what an
  interrupted run left (`pipeline.leftovers`).
- Last step of the run (the last of its selected steps, in graph order), once it succeeded:
  publish the relations readers see (`pipeline.readers`) and let the lock go. A run that fails
  or is killed publishes nothing: readers keep the previous complete state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from profiles_pipeline.orchestration.run_health import process_tags
from profiles_pipeline.pipeline.graph import ProjectGraph, Step
from profiles_pipeline.pipeline.leftovers import drop_leftovers
from profiles_pipeline.pipeline.readers import reader_relations
from profiles_pipeline.warehouse import writer_lock
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.connection_config import DuckDBConnectionConfig


def _selected(context: dg.AssetExecutionContext, step: Step) -> bool:
    chosen = context.run.asset_selection
    keys = [dg.AssetKey(list(step.key)), *(dg.AssetKey(list(p.key)) for p in step.parts)]
    return chosen is None or any(k in chosen for k in keys)


def is_last_step(context: dg.AssetExecutionContext, graph: ProjectGraph, step: Step) -> bool:
    """Whether `step` is the run's last selected step (steps run in graph order, one at a time)."""
    chosen = [s for s in graph.steps if _selected(context, s)]
    return bool(chosen) and chosen[-1].key == step.key


@contextmanager
def step_envelope(context: dg.AssetExecutionContext, graph: ProjectGraph, step: Step, warehouse,
                  notes: dict) -> Iterator[WarehouseAdapter]:
    """The adapter for one step, with the run's lock, clean start and publication around it.
    `notes` receives what the envelope did (leftovers dropped, readers' copy) for the metadata."""
    config = warehouse.resolve().config
    database = config.path if isinstance(config, DuckDBConnectionConfig) else None
    first = database is None or writer_lock.held_by_me(database) != context.run_id
    if database is not None:
        writer_lock.acquire(database, context.run_id, on_wait=lambda h: context.log.info(
            f"waiting for the warehouse's writer lock, held by {h.get('owner', '?')} (pid {h.get('pid', '?')})"))
    if first:
        context.instance.add_run_tags(context.run_id, process_tags())
    last = is_last_step(context, graph, step)
    try:
        with warehouse.get_adapter() as adapter:
            if first and (dropped := drop_leftovers(adapter)):
                context.log.warning(f"dropped what an interrupted run left: {', '.join(dropped)}")
                notes["leftovers_dropped"] = dropped
            yield adapter
            if last:
                adapter.publish_for_readers(reader_relations(adapter, _input_tables(graph)))
    except BaseException:
        # A failed step ends the run's writing (what depends on it is skipped): say the lock
        # was let go on purpose, so the next writer does not take the run for a killed one.
        if database is not None:
            writer_lock.release(database)
        raise
    if last and database is not None:
        writer_lock.release(database)


def _input_tables(graph: ProjectGraph) -> set[str]:
    from profiles_pipeline.orchestration.sensors import SOURCE_TABLE_TAG

    return {s.tags[SOURCE_TABLE_TAG].split(".")[-1].strip('"') for s in graph.steps
            if s.kind == "input" and SOURCE_TABLE_TAG in s.tags}
