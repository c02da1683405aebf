"""What every run does around its steps, whoever launched it: one writer, clean starts, readers
switched to the new outputs only once the run has built them all.

- First step of a run: take the warehouse's writer lock for the run (DuckDB; it waits while
  another process writes), record the run's process id (see `run_health`) and when it took the
  lock, drop what an interrupted run left (`pipeline.leftovers`).
- End of the run (the warehouse resource's teardown, after the last step whatever ended the
  run): when every step succeeded and no blocking check failed, publish the relations readers
  see (`pipeline.readers`) and remove the run's `unpublished` note (`warehouse.unpublished`:
  until then the next run knows the warehouse is ahead of the copy); then let the lock go. A run that fails, is terminated or killed
  publishes nothing: readers keep the previous complete state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg

from profiles_pipeline.orchestration.run_health import LOCK_HELD_TAG, process_tags
from profiles_pipeline.pipeline.graph import ProjectGraph
from profiles_pipeline.pipeline.leftovers import drop_leftovers
from profiles_pipeline.pipeline.readers import reader_relations
from profiles_pipeline.warehouse import unpublished, writer_lock
from profiles_pipeline.warehouse.resources import WarehouseResource

_STATE_KEY = "profiles/run_writer"


@dataclass
class RunWriter:
    """One run's hold on the warehouse: taken at its first step, ended with the run."""

    run_id: str
    database: str | None  # the DuckDB file, None for engines without a file lock
    input_tables: set[str]
    warehouse: WarehouseResource
    instance: dg.DagsterInstance
    failed: list[str] = field(default_factory=list)
    wrote: bool = False
    since: float = 0.0
    #: a run before this one wrote without publishing (killed, or failed): this one publishes
    unpublished_before: bool = False

    def begin(self, log) -> None:
        if self.database is not None:
            writer_lock.acquire(self.database, self.run_id, on_wait=lambda h: log.info(
                f"waiting for the warehouse's writer lock, held by {h.get('owner', '?')} (pid {h.get('pid', '?')})"))
        self.since = time.time()
        if self.database is not None:
            self.unpublished_before = unpublished.pending(self.database) is not None
            unpublished.note(self.database, self.run_id)
        self.instance.add_run_tags(self.run_id, {**process_tags(), LOCK_HELD_TAG: f"{self.since:.3f}"})

    def finish(self) -> None:
        """Publish for readers when the whole run succeeded, then let the lock go."""
        try:
            if (self.wrote or self.unpublished_before) and not self.failed:
                with self.warehouse.get_adapter() as adapter:
                    adapter.publish_for_readers(reader_relations(adapter, self.input_tables))
                if self.database is not None:
                    unpublished.clear(self.database)
        finally:
            if self.database is not None:
                writer_lock.release(self.database)
            self.instance.add_run_tags(self.run_id, {LOCK_HELD_TAG: f"{self.since:.3f}-{time.time():.3f}"})


def _clean_after_failure(context: dg.AssetExecutionContext, adapter) -> None:
    """A failed step drops its scratch tables now (a killed one leaves them to the next run)."""
    try:
        if dropped := drop_leftovers(adapter):
            context.log.info(f"dropped the failed step's scratch tables: {', '.join(dropped)}")
    except Exception as e:  # noqa: BLE001 - the step's own error is the one to report
        context.log.warning(f"could not drop the failed step's scratch tables ({e}); the next run will")


def _input_tables(graph: ProjectGraph) -> set[str]:
    from profiles_pipeline.orchestration.sensors import SOURCE_TABLE_TAG

    return {s.tags[SOURCE_TABLE_TAG].split(".")[-1].strip('"') for s in graph.steps
            if s.kind == "input" and SOURCE_TABLE_TAG in s.tags}


def run_writer(context: dg.AssetExecutionContext, graph: ProjectGraph, warehouse: WarehouseResource) -> tuple[
        RunWriter, bool]:
    """(this run's writer, whether this step is its first)."""
    state = warehouse.run_state()
    if _STATE_KEY in state:
        return state[_STATE_KEY], False
    config = warehouse.resolve().config
    database = config.database_file()
    writer = RunWriter(context.run_id, str(database) if database else None,
                       _input_tables(graph), warehouse, context.instance)
    state[_STATE_KEY] = writer
    return writer, True


@contextmanager
def step_envelope(context: dg.AssetExecutionContext, graph: ProjectGraph, step: str, warehouse: WarehouseResource,
                  notes: dict) -> Iterator[tuple[object, RunWriter]]:
    """(adapter, run writer) for the step `step` (its path), inside the run's lock. `notes` receives what the
    envelope did (leftovers dropped) for the step's metadata. A step that raises marks the run
    failed: its end publishes nothing."""
    writer, first = run_writer(context, graph, warehouse)
    if first:
        writer.begin(context.log)
        warehouse.at_run_end(writer.finish)
    try:
        with warehouse.get_adapter() as adapter:
            if first and (dropped := drop_leftovers(adapter)):
                context.log.warning(f"dropped what an interrupted run left: {', '.join(dropped)}")
                notes["leftovers_dropped"] = dropped
            writer.wrote = True
            try:
                yield adapter, writer
            except Exception:
                _clean_after_failure(context, adapter)
                raise
    except BaseException:
        writer.failed.append(step)
        raise
