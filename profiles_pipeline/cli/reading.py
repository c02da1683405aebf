"""What the read-only commands (show, query, compile) share: the as-of time, a read-only
warehouse connection, and which entity's id graph to read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from profiles_pipeline.errors import UserError, WarehouseError


def parse_time_option(text: str | None, option: str, *, bare_date: str = "end") -> datetime | None:
    from profiles_pipeline.instants import parse_instant

    return parse_instant(text, option, bare_date=bare_date) if text else None


def end_time_of(loaded, text: str | None, adapter=None) -> datetime:
    """The instant given (a date is the end of that day), else the latest event across the
    inputs (now when none has an event time): what `profiles run` computes as of, so a
    compiled, validated or shown plan matches what a run builds."""
    from profiles_pipeline.features.grains import boundary, project_default_grain
    from profiles_pipeline.pipeline.input_days import default_end, read_input_days

    given = parse_time_option(text, "--end-time")
    if not given and adapter is None:
        with planning_reader(loaded) as (reader, _):
            given = default_end(read_input_days(reader, loaded.project))[0]
    elif not given:
        given = default_end(read_input_days(adapter, loaded.project))[0]
    return boundary(project_default_grain(loaded.project), given)


@contextmanager
def reading_adapter(loaded) -> Iterator[object]:
    """The project's published outputs for reading. On DuckDB that is the copy the last
    complete run published (`<file>.published.duckdb`), opened read-only: readers never wait for
    a run, never make one fail, and never see one half-way. It must exist: `profiles run` makes it."""
    from profiles_pipeline.warehouse.registry import adapter_class

    cfg = loaded.connection.config
    engine = adapter_class(cfg.type)
    if not engine.readers_read_a_copy:
        adapter = open_project_adapter(loaded)
    else:
        try:
            adapter = engine.open_for_readers(cfg)
        except UserError as e:
            raise UserError(f"{e}; build it with `profiles run -p {loaded.project.root}`") from None
    try:
        yield adapter
    finally:
        adapter.close()


def stitched_entities(project, entity: str | None) -> list[str]:
    """Entities with an id graph: the one asked for (checked), else all of them."""
    names = [e.name for e in project.entities if project.edge_sources_for(e.name)]
    if entity is None:
        if not names:
            raise UserError("no entity of this project has an id graph (no input has ids)")
        return names
    if entity not in names:
        known = ", ".join(names) or "none"
        raise UserError(f"--entity {entity!r} has no id graph in this project (entities with one: {known})")
    return [entity]


def one_entity(project, entity: str | None) -> str:
    names = stitched_entities(project, entity)
    if len(names) > 1:
        raise UserError(f"this project has several entities with an id graph ({', '.join(names)}); "
                        "pass --entity")
    return names[0]


def stitcher_plan_for(loaded, adapter, entity: str):
    from profiles_pipeline.features import default_end_time
    from profiles_pipeline.pipeline.identity_plan import stitcher_plan

    return stitcher_plan(loaded.project, adapter, entity, default_end_time())


#: How long a command that plans (show, compile, validate) waits for a run writing the file.
PLANNING_WAIT_SECONDS = 30.0


@contextmanager
def planning_reader(loaded) -> Iterator[tuple[object, bool]]:
    """(adapter, built): the warehouse itself, read-only (planning reads the inputs, which the
    readers' copy leaves out), waiting a little, saying so, for a run that writes it; an empty
    in-memory DuckDB before the first run (planning only asks which tables exist)."""
    from profiles_pipeline.warehouse.connections import reading_warehouse

    with reading_warehouse(loaded.connection, wait_seconds=PLANNING_WAIT_SECONDS, on_wait=_say_waiting) as found:
        yield found


def _say_waiting(holder: dict) -> None:
    from profiles_pipeline.cli.output import err_console

    err_console.print(f"[dim]waiting for the warehouse: {holder.get('owner', 'another process')} "
                      f"(pid {holder.get('pid', '?')}) is writing it[/]", highlight=False)


@contextmanager
def writing(loaded, owner: str, *, shared: bool = False, timeout: float | None = None) -> Iterator[dict]:
    """The warehouse's writer lock (DuckDB) for a command: it waits, saying so, while a run
    writes (`shared`: for a command that only reads the file itself). Yields what the previous
    holder left ({"released": False}: it was killed holding it). Other engines need no lock."""
    from profiles_pipeline.warehouse import writer_lock

    path = getattr(loaded.connection.config, "path", None)
    if path is None:
        yield {}
        return
    try:
        with writer_lock.locked(path, owner, shared=shared, timeout=timeout, on_wait=_say_waiting) as previous:
            yield previous
    except TimeoutError as e:
        holder = e.args[0] if e.args else {}
        raise WarehouseError(f"the warehouse {path} is being written by {holder.get('owner', 'a run')} "
                             f"(pid {holder.get('pid', '?')}); try again when it ends") from None


def unpublished_run(loaded) -> dict | None:
    """The note of a run that wrote the warehouse without publishing readers' copy (DuckDB)."""
    from profiles_pipeline.warehouse import unpublished

    path = getattr(loaded.connection.config, "path", None)
    return unpublished.pending(path) if path is not None else None


def open_project_adapter(loaded):
    """The project's warehouse for writing; a file locked by another process (or any driver
    failure) becomes a WarehouseError with the driver's message, not a traceback."""
    from profiles_pipeline.errors import ProfilesError
    from profiles_pipeline.warehouse.connections import open_adapter

    try:
        return open_adapter(loaded.connection)
    except ProfilesError:
        raise
    except Exception as e:  # noqa: BLE001 - drivers raise their own types
        raise WarehouseError(f"cannot open the warehouse {loaded.warehouse_location}: "
                             f"{type(e).__name__}: {e}") from None
