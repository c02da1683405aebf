"""pb `connection:` names resolved through siteconfig.yaml, and secrets kept secret."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import fakesnow
import pytest

from profiles_pipeline.errors import UserError, WarehouseError
from profiles_pipeline.warehouse.connection_config import (
    MissingSecretError,
    SnowflakeConnectionConfig,
)
from profiles_pipeline.warehouse.connections import (
    SiteConfigError,
    open_adapter,
    resolve_connection,
)
from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter
from profiles_pipeline.warehouse.snowflake_adapter import SnowflakeAdapter

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output")
FIXTURES = Path(__file__).parent / "fixtures" / "warehouse"
SECRET = "S3cret-Value-4711"
PASSWORD_ENV = "PROFILES_TEST_SNOWFLAKE_PASSWORD"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fake HOME so ~/.pb/siteconfig.yaml of the machine is never read."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def project(tmp_path, home):
    project = tmp_path / "project"
    project.mkdir()
    return project


def test_siteconfig_next_to_the_project(project):
    shutil.copy(FIXTURES / "siteconfig.yaml", project / "siteconfig.yaml")
    resolved = resolve_connection(project, "local-duck")
    assert resolved.config.type == "duckdb"
    assert resolved.config.path == project.resolve() / "dbs" / "dev.duckdb"
    assert resolved.target == "dev" and resolved.notice is None
    assert resolved.source == f"{project / 'siteconfig.yaml'}:6 connections.local-duck.outputs.dev"
    with open_adapter(resolved) as adapter:
        assert isinstance(adapter, DuckDBAdapter)
        adapter.replace_table("t", "SELECT 1 AS x")
    assert (project / "dbs" / "dev.duckdb").is_file()


def test_explicit_target_overrides_the_entry(project):
    resolved = resolve_connection(
        project, "local-duck", FIXTURES / "siteconfig.yaml", target="prod"
    )
    assert resolved.target == "prod"
    assert resolved.config.path == Path("/tmp/profiles-prod.duckdb")
    with pytest.raises(SiteConfigError, match=r"siteconfig.yaml:4 .*target 'qa' is not one of"):
        resolve_connection(project, "local-duck", FIXTURES / "siteconfig.yaml", target="qa")


def test_siteconfig_in_home_pb(project, home):
    (home / ".pb").mkdir()
    shutil.copy(FIXTURES / "siteconfig.yaml", home / ".pb" / "siteconfig.yaml")
    resolved = resolve_connection(project, "snow")
    assert isinstance(resolved.config, SnowflakeConnectionConfig)
    assert resolved.config.database == "MAT_STORE_DEV"  # pb's dbname
    assert resolved.config.schema_ == "AB_SCHEMA_DEV"
    assert resolved.siteconfig == home / ".pb" / "siteconfig.yaml"


def test_project_siteconfig_wins_over_home(project, home):
    (home / ".pb").mkdir()
    (home / ".pb" / "siteconfig.yaml").write_text(
        "connections:\n  local-duck:\n    target: dev\n    outputs:\n"
        "      dev: {type: duckdb, path: home.duckdb}\n"
    )
    shutil.copy(FIXTURES / "siteconfig.yaml", project / "siteconfig.yaml")
    assert resolve_connection(project, "local-duck").config.path.name == "dev.duckdb"
    (project / "siteconfig.yaml").unlink()
    assert resolve_connection(project, "local-duck").config.path == home / ".pb" / "home.duckdb"


@pytest.mark.parametrize("name", ["not-defined", None])
def test_missing_entry_uses_embedded_duckdb_with_notice(project, name):
    resolved = resolve_connection(project, name)
    db = project.resolve() / "data" / "profiles.duckdb"
    assert resolved.config.path == db
    assert resolved.source == "embedded default"
    assert resolved.notice and "\n" not in resolved.notice
    assert str(db) in resolved.notice
    if name:
        assert name in resolved.notice
    with open_adapter(resolved) as adapter:
        adapter.execute("CREATE TABLE t AS SELECT 1 AS x")
    assert db.is_file()


def test_explicit_siteconfig_must_have_the_connection(project):
    with pytest.raises(UserError, match="no connection 'nope'.*local-duck"):
        resolve_connection(project, "nope", FIXTURES / "siteconfig.yaml")
    with pytest.raises(UserError, match="does not exist"):
        resolve_connection(project, "x", project / "missing.yaml")


def test_bad_yaml_names_file_and_line(project):
    with pytest.raises(SiteConfigError) as info:
        resolve_connection(project, "local-duck", FIXTURES / "bad_yaml.yaml")
    assert str(info.value).startswith(f"{FIXTURES / 'bad_yaml.yaml'}:7: invalid YAML")
    assert info.value.exit_code == 2


def test_unsupported_type_and_missing_key_name_the_line(project):
    with pytest.raises(SiteConfigError, match=r"siteconfig.yaml:28 at .*\.type: type 'bigquery' is not supported; "
                       "use one of duckdb, snowflake, databricks"):
        resolve_connection(project, "bigquery-db", FIXTURES / "siteconfig.yaml")
    with pytest.raises(SiteConfigError, match=r"siteconfig.yaml:34 at connections.databricks-db.outputs.db: a "
                       "Databricks connection needs host, http_path and token_env .* or spark: local\[2\]"):
        resolve_connection(project, "databricks-db", FIXTURES / "siteconfig.yaml")
    with pytest.raises(
        SiteConfigError, match=r"missing_field.yaml:6 .*`database` is missing.*dbname"
    ):
        resolve_connection(project, "snow", FIXTURES / "missing_field.yaml")


def test_literal_password_is_used_with_a_warning_and_never_echoed(project, monkeypatch):
    """pb's siteconfig writes `password:` in the file: it is used, with a one-line warning that
    names file and line; the value is in no message, repr or config field, and the connection opens."""
    resolved = resolve_connection(project, "snow", FIXTURES / "literal_password.yaml")
    monkeypatch.setenv(resolved.config.password_env, os.environ[resolved.config.password_env])  # undone after
    assert "literal_password.yaml:11" in resolved.notice and "password_env" in resolved.notice
    assert "\n" not in resolved.notice
    for text in (resolved.notice, repr(resolved), resolved.config.model_dump_json(), resolved.source):
        assert "hunter2" not in text
    assert resolved.config.resolve_secrets() == {"password": "hunter2-literal"}
    with fakesnow.patch():
        with open_adapter(resolved) as adapter:
            assert adapter.fetch("SELECT 1") == [(1,)]


def test_a_secret_written_twice_is_refused(project, tmp_path):
    both = tmp_path / "both.yaml"
    both.write_text((FIXTURES / "literal_password.yaml").read_text() + "        password_env: SF_PASSWORD\n")
    with pytest.raises(SiteConfigError, match=r"both.yaml:11 .*`password` and `password_env` are both set") as info:
        resolve_connection(project, "snow", both)
    assert "hunter2" not in str(info.value)


def test_snowflake_through_siteconfig_on_fakesnow(project, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    resolved = resolve_connection(project, "snow", FIXTURES / "siteconfig.yaml")
    with fakesnow.patch():
        with open_adapter(resolved) as adapter:
            assert isinstance(adapter, SnowflakeAdapter)
            assert adapter.fetch("SELECT current_database(), current_schema()") == [
                ("MAT_STORE_DEV", "AB_SCHEMA_DEV")
            ]
            adapter.replace_table("t", "SELECT 1 AS x")
            assert adapter.list_tables() == ["t"]
            for text in (repr(adapter), str(adapter), repr(resolved), repr(resolved.config)):
                assert SECRET not in text


def test_missing_secret_names_the_variable(project, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    resolved = resolve_connection(project, "snow", FIXTURES / "siteconfig.yaml")
    with fakesnow.patch():
        with pytest.raises(MissingSecretError, match=PASSWORD_ENV) as info:
            open_adapter(resolved)
    assert info.value.exit_code == 2


def test_connection_errors_never_contain_the_secret(project, monkeypatch):
    """A connector error quoting its arguments has the secret masked."""
    import snowflake.connector

    def failing_connect(**kwargs):
        raise RuntimeError(f"login failed for {kwargs['user']} with {kwargs['password']}")

    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    monkeypatch.setattr(snowflake.connector, "connect", failing_connect)
    resolved = resolve_connection(project, "snow", FIXTURES / "siteconfig.yaml")
    with pytest.raises(WarehouseError) as info:
        open_adapter(resolved)
    assert "login failed for profiles_demo with ***" in str(info.value)
    assert SECRET not in str(info.value)
    assert info.value.__suppress_context__  # a traceback does not show the original error


def test_duckdb_memory_limit_from_the_siteconfig_and_by_default(project):
    """DuckDB runs within `memory_limit:` when the siteconfig sets one, else within a tenth of
    the machine's memory (not DuckDB's 80%); a value DuckDB cannot read is refused at load."""
    from profiles_pipeline.warehouse.duckdb_adapter import default_memory_limit

    def siteconfig(limit: str | None) -> Path:
        extra = f", memory_limit: '{limit}'" if limit else ""
        path = project / "siteconfig.yaml"
        path.write_text("connections:\n  duck:\n    target: dev\n    outputs:\n"
                        f"      dev: {{type: duckdb, path: w.duckdb{extra}}}\n")
        return path

    def setting(adapter) -> str:
        return adapter.fetch_one("SELECT current_setting('memory_limit')")

    with open_adapter(resolve_connection(project, "duck", siteconfig("512MiB"))) as adapter:
        assert setting(adapter) == "512.0 MiB"
    with open_adapter(resolve_connection(project, "duck", siteconfig(None))) as adapter:
        import duckdb

        assert int(default_memory_limit().removesuffix("MiB")) >= 1024
        ours = duckdb.connect()
        ours.execute(f"SET memory_limit = '{default_memory_limit()}'")
        expected = ours.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        duckdbs_own = duckdb.connect().execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert setting(adapter) == expected != duckdbs_own
    with pytest.raises(SiteConfigError, match=r"siteconfig.yaml:5 .*memory_limit") as info:
        resolve_connection(project, "duck", siteconfig("lots"))
    assert info.value.exit_code == 2
