"""Connection configs: one pydantic model per engine, a tagged union on `type`.

The shape follows pb's `siteconfig.yaml` outputs (`account`, `user`, `dbname`, ...) with one
deliberate difference: secrets are never written in the file. A config names the environment
variable that holds each secret (`password_env: SNOWFLAKE_PASSWORD`), so a config object can be
printed, logged and shown in the Dagster UI without leaking anything.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

from profiles_pipeline.errors import UserError

#: Keys that would hold a secret in the file itself; the loader rejects them (see connections.py).
LITERAL_SECRET_KEYS = ("password", "private_key", "private_key_passphrase", "token", "access_token")


class MissingSecretError(UserError):
    """An environment variable named by a connection config is not set."""


_SIZE = re.compile(r"(?i)^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|%)\s*$")


class DuckDBConnectionConfig(BaseModel):
    """A DuckDB database file (our extension; pb has no DuckDB target)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["duckdb"] = "duckdb"
    path: Path
    #: DuckDB's `memory_limit` ("4GB", "2GiB", "25%"); unset: `duckdb_adapter.default_memory_limit`.
    memory_limit: str | None = None

    @field_validator("memory_limit")
    @classmethod
    def _a_size(cls, value: str | None) -> str | None:
        if value is not None and not _SIZE.match(str(value)):
            raise ValueError(f"{value!r} is not a size DuckDB reads: write e.g. '4GB', '2GiB' or '25%'")
        return value

    def database_file(self) -> Path | None:
        """The file that is the database (runs lock it, readers read a copy beside it)."""
        return self.path

    def location(self) -> str:
        """Where the outputs are, as the CLI says it."""
        return str(self.path)

    def grant_to_read(self, table: str) -> str | None:
        """DuckDB has no roles: reading is the file's permissions (nothing to grant)."""
        return None

    def grant_to_write(self) -> str | None:
        return None


class SnowflakeConnectionConfig(BaseModel):
    """A Snowflake account; secrets come from the environment variables named here."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: Literal["snowflake"] = "snowflake"
    account: str
    user: str
    role: str | None = None
    warehouse: str | None = None
    database: str = Field(validation_alias=AliasChoices("database", "dbname"))
    schema_: str = Field(
        validation_alias=AliasChoices("schema", "schema_"), serialization_alias="schema"
    )
    password_env: str | None = None
    private_key_env: str | None = None
    private_key_path: str | None = None
    private_key_passphrase_env: str | None = None
    authenticator: str | None = None

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> SnowflakeConnectionConfig:
        ways = [self.password_env, self.private_key_env, self.private_key_path, self.authenticator]
        if not any(ways):
            raise ValueError(
                "no credentials: set password_env (the name of an environment variable holding "
                "the password), private_key_env, private_key_path or authenticator"
            )
        return self

    def database_file(self) -> Path | None:
        """None: the database is Snowflake's, not a file on this machine."""
        return None

    def location(self) -> str:
        return f"snowflake {self.account}/{self.database}.{self.schema_}"

    def secret_env_vars(self) -> dict[str, str]:
        """Connector argument -> environment variable name, for the secrets this config uses."""
        named = {
            "password": self.password_env,
            "private_key": self.private_key_env,
            "private_key_password": self.private_key_passphrase_env,
        }
        return {arg: var for arg, var in named.items() if var}

    def resolve_secrets(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Read the secrets from the environment; a missing one is a UserError naming the variable."""
        env = os.environ if environ is None else environ
        out: dict[str, str] = {}
        for arg, var in self.secret_env_vars().items():
            value = env.get(var)
            if not value:
                raise MissingSecretError(
                    f"Snowflake connection for {self.user}@{self.account}: environment variable "
                    f"{var} (the {arg.replace('_', ' ')}) is not set. Export it before running, "
                    f"e.g. `export {var}=...`."
                )
            out[arg] = value
        return out

    def _role(self) -> str:
        return self.role or "<your role>"

    def grant_to_read(self, table: str) -> str | None:
        """The statements that let this connection's role read `table` (`db.schema.table`, or a
        name in the connection's own schema)."""
        parts = table.split(".")
        db, schema = (parts[0], parts[1]) if len(parts) == 3 else (self.database, parts[0] if len(parts) == 2 else self.schema_)
        return (f"GRANT USAGE ON DATABASE {db} TO ROLE {self._role()}; GRANT USAGE ON SCHEMA {db}.{schema} TO ROLE "
                f"{self._role()}; GRANT SELECT ON TABLE {db}.{schema}.{parts[-1]} TO ROLE {self._role()};")

    def grant_to_write(self) -> str | None:
        """The statements that let this connection's role build the outputs in its schema."""
        where = f"{self.database}.{self.schema_}"
        return (f"GRANT USAGE ON DATABASE {self.database} TO ROLE {self._role()}; GRANT USAGE, CREATE TABLE, "
                f"CREATE VIEW ON SCHEMA {where} TO ROLE {self._role()};")

    def __repr_args__(self):  # secrets are never fields, but keep the repr short and explicit
        return [(k, v) for k, v in super().__repr_args__() if v is not None]


class DatabricksConnectionConfig(BaseModel):
    """A Databricks SQL warehouse (`host`, `http_path`, the token in the variable `token_env`),
    or with `spark:` (a master such as `local[2]`) a Spark session on this machine."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: Literal["databricks"] = "databricks"
    host: str | None = None
    http_path: str | None = None
    catalog: str | None = None
    schema_: str = Field(default="default", validation_alias=AliasChoices("schema", "schema_"),
                         serialization_alias="schema")
    token_env: str | None = None
    spark: str | None = None
    warehouse_dir: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> DatabricksConnectionConfig:
        if self.spark is None and not (self.host and self.http_path and self.token_env):
            raise ValueError("a Databricks connection needs host, http_path and token_env (the name of an "
                             "environment variable holding the token), or spark: local[2] for a local Spark")
        return self

    def database_file(self) -> Path | None:
        return None

    def location(self) -> str:
        if self.spark:
            return f"local Spark ({self.spark}) {self.warehouse_dir or ''}, schema {self.schema_}"
        return f"databricks {self.host}/{self.catalog + '.' if self.catalog else ''}{self.schema_}"

    def resolve_token(self, environ: Mapping[str, str] | None = None) -> str:
        env = os.environ if environ is None else environ
        value = env.get(self.token_env or "")
        if not value:
            raise MissingSecretError(f"Databricks connection to {self.host}: environment variable {self.token_env} "
                                     f"(the access token) is not set. Export it before running, e.g. "
                                     f"`export {self.token_env}=...`.")
        return value

    def grant_to_read(self, table: str) -> str | None:
        return f"GRANT SELECT ON TABLE {table} TO `<your principal>`;"

    def grant_to_write(self) -> str | None:
        where = f"{self.catalog}.{self.schema_}" if self.catalog else self.schema_
        return f"GRANT USE SCHEMA, CREATE TABLE, MODIFY, SELECT ON SCHEMA {where} TO `<your principal>`;"


AnyConnectionConfig = DuckDBConnectionConfig | SnowflakeConnectionConfig | DatabricksConnectionConfig
ConnectionConfig = Annotated[AnyConnectionConfig, Field(discriminator="type")]
CONNECTION_CONFIG: TypeAdapter[AnyConnectionConfig] = TypeAdapter(ConnectionConfig)
SUPPORTED_TYPES = ("duckdb", "snowflake", "databricks")
