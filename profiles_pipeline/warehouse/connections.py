"""From pb's `connection:` name to a warehouse adapter.

The name is looked up in a `siteconfig.yaml` with pb's shape
(`connections.<name>.target`, `connections.<name>.outputs.<target>`): an explicit file, else
the one next to the project, else `~/.pb/siteconfig.yaml`. No entry means the embedded DuckDB
file `<project>/data/profiles.duckdb`, announced by a one-line notice.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from profiles_pipeline.errors import UserError, WarehouseError
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.connection_config import (
    AnyConnectionConfig,
    DuckDBConnectionConfig,
)
from profiles_pipeline.warehouse.siteconfig import (
    SiteConfigError,
    connections_of,
    literal_secrets,
    load_siteconfig,
    pick_output,
    validate_output,
    yaml_line,
)

__all__ = ["ResolvedConnection", "SiteConfigError", "open_adapter", "reading_warehouse", "resolve_connection"]

EMBEDDED_DB = Path("data") / "profiles.duckdb"


@dataclass(frozen=True)
class ResolvedConnection:
    """The config to open, and where it came from (shown by `profiles` and in Dagster metadata)."""

    config: AnyConnectionConfig
    source: str
    name: str | None = None
    target: str | None = None
    siteconfig: Path | None = None
    notice: str | None = None


def default_siteconfigs(project_dir: Path) -> list[Path]:
    return [Path(project_dir) / "siteconfig.yaml", Path.home() / ".pb" / "siteconfig.yaml"]


def resolve_connection(
    project_dir: Path,
    connection_name: str | None,
    siteconfig: Path | None = None,
    *,
    target: str | None = None,
) -> ResolvedConnection:
    """Find `connection_name` (with `target`, else the entry's own) in the siteconfig files.
    `siteconfig` and `target` default to $PROFILES_SITECONFIG and $PROFILES_TARGET (what the
    CLI's -c and -t set)."""
    project_dir = Path(project_dir)
    siteconfig = siteconfig or (Path(os.environ["PROFILES_SITECONFIG"]) if os.environ.get("PROFILES_SITECONFIG") else None)
    target = target or os.environ.get("PROFILES_TARGET") or None
    if siteconfig is not None and not Path(siteconfig).is_file():
        raise UserError(f"siteconfig file {siteconfig} does not exist (given explicitly)")
    files = (
        [Path(siteconfig)]
        if siteconfig
        else [p for p in default_siteconfigs(project_dir) if p.is_file()]
    )
    if connection_name:
        for path in files:
            conns = connections_of(load_siteconfig(path), path)
            if connection_name in conns:
                chosen, raw = pick_output(conns[connection_name], connection_name, target, path)
                yaml_path = f"connections.{connection_name}.outputs.{chosen}"
                config = validate_output(raw, path, yaml_path)
                line = yaml_line(conns[connection_name]["outputs"], chosen)
                written = literal_secrets(raw, path, yaml_path)
                notice = (f"warning: {', '.join(written)}: a secret written in the file is used, as pb uses it; "
                          f"naming an environment variable instead keeps it out of files "
                          f"(e.g. password_env: SNOWFLAKE_PASSWORD)") if written else None
                return ResolvedConnection(
                    config, f"{path}:{line} {yaml_path}", connection_name, chosen, path, notice=notice
                )
        if siteconfig is not None:
            known = sorted(connections_of(load_siteconfig(Path(siteconfig)), Path(siteconfig)))
            raise UserError(
                f"{siteconfig}: no connection {connection_name!r} (connections: {known})"
            )
    db = project_dir.resolve() / EMBEDDED_DB
    if not connection_name:
        why = "the project names no connection"
    elif files:
        why = f"connection {connection_name!r} is not in {', '.join(str(p) for p in files)}"
    else:
        why = (
            f"no siteconfig.yaml (in {project_dir} or ~/.pb) defines connection {connection_name!r}"
        )
    return ResolvedConnection(
        DuckDBConnectionConfig(path=db),
        "embedded default",
        connection_name,
        notice=f"{why}; using the embedded DuckDB at {db}",
    )


def open_adapter(resolved: ResolvedConnection) -> WarehouseAdapter:
    """Open the adapter for a resolved connection (the caller closes it)."""
    from profiles_pipeline.warehouse.registry import open_adapter_for

    return open_adapter_for(resolved.config)



@contextmanager
def reading_warehouse(resolved: ResolvedConnection, *, wait_seconds: float,
                      on_wait: Callable[[dict], None] | None = None) -> Iterator[tuple[WarehouseAdapter, bool]]:
    """(adapter, built) for commands that read the warehouse itself (validate, compile, show's
    plans: they read the inputs, which the readers' copy leaves out). A DuckDB file is opened
    read-only under the writer lock taken shared, so it waits up to `wait_seconds` for a run
    writing it instead of failing on DuckDB's file lock; a file that does not exist yet is
    an empty in-memory DuckDB (nothing is created by reading). Other engines: a connection."""
    config = resolved.config
    if isinstance(config, DuckDBConnectionConfig) and not Path(config.path).exists():
        from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

        adapter, built = DuckDBAdapter(":memory:"), False
    elif isinstance(config, DuckDBConnectionConfig):
        with _shared_lock(Path(config.path), wait_seconds, on_wait):
            adapter = _open_read_only(config)
            try:
                yield adapter, True
            finally:
                adapter.close()
        return
    else:
        adapter, built = open_adapter(resolved), True
    try:
        yield adapter, built
    finally:
        adapter.close()


@contextmanager
def _shared_lock(path: Path, wait_seconds: float, on_wait: Callable[[dict], None] | None) -> Iterator[None]:
    from profiles_pipeline.warehouse import writer_lock

    try:
        with writer_lock.locked(path, "profiles (reading)", shared=True, timeout=wait_seconds, on_wait=on_wait):
            yield
    except TimeoutError as e:
        holder = e.args[0] if e.args else {}
        raise WarehouseError(f"the warehouse {path} is being written by {holder.get('owner', 'a run')} "
                             f"(pid {holder.get('pid', '?')}) for more than {wait_seconds:.0f} s; "
                             "try again when it ends") from None


def _open_read_only(config: DuckDBConnectionConfig) -> WarehouseAdapter:
    from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

    return DuckDBAdapter.read_only(config.path, config.memory_limit)
