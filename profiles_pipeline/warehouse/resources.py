"""Dagster resources that hand out warehouse adapters. The only warehouse module importing Dagster.

`WarehouseResource` carries no secrets: it names the project and the pb connection; the
connection is resolved (siteconfig, environment variables) when a run asks for an adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import Field, PrivateAttr

from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.connection_config import (
    DuckDBConnectionConfig,
    SnowflakeConnectionConfig,
)
from profiles_pipeline.warehouse.connections import ResolvedConnection, resolve_connection

if TYPE_CHECKING:  # imported where used: dagster_snowflake alone takes seconds to import
    from dagster_duckdb import DuckDBResource
    from dagster_snowflake import SnowflakeResource


def snowflake_resource(config: SnowflakeConnectionConfig) -> SnowflakeResource:
    """A SnowflakeResource whose secrets are `EnvVar`s: Dagster shows the names, not the values."""
    from dagster_snowflake import SnowflakeResource

    secrets = {arg: EnvVar(var) for arg, var in config.secret_env_vars().items()}
    return SnowflakeResource(
        account=config.account,
        user=config.user,
        role=config.role,
        warehouse=config.warehouse,
        database=config.database,
        schema=config.schema_,
        private_key_path=config.private_key_path,
        authenticator=config.authenticator,
        **secrets,
    )


def duckdb_resource(config: DuckDBConnectionConfig) -> DuckDBResource:
    from dagster_duckdb import DuckDBResource

    Path(config.path).parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(database=str(config.path))


class WarehouseResource(ConfigurableResource):
    """Yields a `WarehouseAdapter` for the project's pb connection (DuckDB or Snowflake)."""

    project_dir: str = Field(description="Folder holding pb_project.yaml.")
    connection: str | None = Field(default=None, description="pb `connection:` name.")
    siteconfig: str | None = Field(default=None, description="Explicit siteconfig.yaml path.")
    target: str | None = Field(
        default=None, description="Output to use instead of the entry's target."
    )
    #: What a run's steps share, set up per run (the in-process executor builds resources
    #: once a run): the orchestration layer keeps the run's writer here.
    _run_state: dict = PrivateAttr(default_factory=dict)
    _at_run_end: list = PrivateAttr(default_factory=list)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._run_state, self._at_run_end = {}, []

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """Runs what the steps asked for at the run's end, whatever ended it (success, a failed
        step, a terminate); a killed process runs nothing, which the next run handles."""
        while self._at_run_end:
            self._at_run_end.pop()()

    def run_state(self) -> dict:
        """State this run's steps share (empty at the run's start)."""
        return self._run_state

    def at_run_end(self, finish: Callable[[], None]) -> None:
        """Call `finish` once the run's last step is done (last registered, first called)."""
        self._at_run_end.append(finish)

    def resolve(self) -> ResolvedConnection:
        return resolve_connection(
            Path(self.project_dir),
            self.connection,
            Path(self.siteconfig) if self.siteconfig else None,
            target=self.target,
        )

    @contextmanager
    def get_adapter(self) -> Iterator[WarehouseAdapter]:
        """Open the adapter for one step; closes it afterwards."""
        config = self.resolve().config
        if isinstance(config, DuckDBConnectionConfig):
            from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

            with duckdb_resource(config).get_connection() as con:
                yield DuckDBAdapter(config.path, connection=con, memory_limit=config.memory_limit)
            return
        from profiles_pipeline.warehouse.registry import open_adapter_for

        adapter = open_adapter_for(config)  # every other engine: its adapter's own connection
        try:
            yield adapter
        finally:
            adapter.close()


def warehouse_resource(
    project_dir: Path, connection: str | None, siteconfig: Path | None = None
) -> WarehouseResource:
    return WarehouseResource(
        project_dir=str(project_dir),
        connection=connection,
        siteconfig=str(siteconfig) if siteconfig else None,
    )
