"""What the read-only commands (show, query, compile) share: the as-of time, a read-only
warehouse connection, and which entity's id graph to read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from profiles_pipeline.errors import UserError, WarehouseError


def parse_time_option(text: str | None, option: str, *, bare_date: str = "end") -> datetime | None:
    from profiles_pipeline.instants import parse_instant

    return parse_instant(text, option, bare_date=bare_date) if text else None


def end_time_of(loaded, text: str | None, adapter=None) -> datetime:
    """The instant given (a date is the end of that day), else the latest event across the
    inputs (now when none has an event time): what `profiles run` computes as of, so a
    compiled, validated or shown plan matches what a run builds."""
    from profiles_pipeline.pipeline.input_days import default_end, read_input_days

    given = parse_time_option(text, "--end-time")
    if given:
        return given
    if adapter is None:
        with planning_reader(loaded) as (reader, _):
            return default_end(read_input_days(reader, loaded.project))[0]
    return default_end(read_input_days(adapter, loaded.project))[0]


@contextmanager
def reading_adapter(loaded) -> Iterator[object]:
    """The project's warehouse for reading. A DuckDB file is opened read-only (so a query can run
    next to the Dagster UI) and must exist: it is made by `profiles run`."""
    cfg = loaded.connection.config
    if cfg.type != "duckdb":
        adapter = open_project_adapter(loaded)
    else:
        import duckdb

        from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

        path = Path(cfg.path)
        if not path.exists():
            raise UserError(f"the warehouse {path} does not exist yet; build it with "
                            f"`profiles run -p {loaded.project.root}`")
        try:
            adapter = DuckDBAdapter(path, connection=duckdb.connect(str(path), read_only=True))
        except duckdb.Error as e:
            raise WarehouseError(f"cannot open {path} for reading: {e}") from None
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


@contextmanager
def planning_reader(loaded) -> Iterator[tuple[object, bool]]:
    """(adapter, built): the warehouse read-only when it exists, else an empty in-memory DuckDB
    (planning only asks which tables exist), so `show` works before the first run."""
    cfg = loaded.connection.config
    if cfg.type == "duckdb" and not Path(cfg.path).exists():
        from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

        adapter = DuckDBAdapter(":memory:")
        try:
            yield adapter, False
        finally:
            adapter.close()
        return
    with reading_adapter(loaded) as adapter:
        yield adapter, True


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
