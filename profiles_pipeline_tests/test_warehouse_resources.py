"""The Dagster resource hands assets an adapter for DuckDB (DuckDBResource) or Snowflake
(SnowflakeResource, emulated by fakesnow)."""

from __future__ import annotations

import fakesnow
import pytest
from dagster import asset, materialize

from profiles_pipeline.warehouse.connections import resolve_connection
from profiles_pipeline.warehouse.resources import (
    WarehouseResource,
    snowflake_resource,
    warehouse_resource,
)

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output")
PASSWORD_ENV = "PROFILES_TEST_SNOWFLAKE_PASSWORD"
SECRET = "S3cret-Value-4711"
SITECONFIG = f"""
connections:
  snow:
    target: dev
    outputs:
      dev:
        type: snowflake
        account: acc
        user: dagster_user
        dbname: ANALYTICS
        schema: PROFILES
        password_env: {PASSWORD_ENV}
"""


@asset
def user_count(warehouse: WarehouseResource) -> int:
    with warehouse.get_adapter() as adapter:
        return adapter.replace_table(
            "users", "SELECT * FROM (VALUES (1), (2), (3), (4), (5)) AS v(id)"
        )


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "siteconfig.yaml").write_text(SITECONFIG)
    return tmp_path


def test_duckdb_resource_materializes(project):
    result = materialize([user_count], resources={"warehouse": warehouse_resource(project, None)})
    assert result.success
    assert result.output_for_node("user_count") == 5
    assert (project / "data" / "profiles.duckdb").is_file()


def test_snowflake_resource_materializes_on_fakesnow(project, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    resource = WarehouseResource(project_dir=str(project), connection="snow")
    with fakesnow.patch():
        result = materialize([user_count], resources={"warehouse": resource})
    assert result.success
    assert result.output_for_node("user_count") == 5
    assert SECRET not in repr(resource)


def test_snowflake_resource_shows_variable_names_not_secrets(project, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, SECRET)
    config = resolve_connection(project, "snow").config
    resource = snowflake_resource(config)
    assert PASSWORD_ENV in repr(resource) and SECRET not in repr(resource)
    assert resource.database == "ANALYTICS" and resource.schema_ == "PROFILES"
