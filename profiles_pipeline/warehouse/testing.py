"""Adapters for tests: a DuckDB file in a temp folder, or Snowflake emulated by fakesnow.

Any layer's tests can run the same statements on both engines:

    @pytest.fixture(params=ENGINES)
    def adapter(request, tmp_path, monkeypatch):
        with open_test_adapter(request.param, tmp_path, monkeypatch) as a:
            yield a

fakesnow is a dev dependency and is imported only here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.connection_config import SnowflakeConnectionConfig

ENGINES = ("duckdb", "snowflake")
TEST_PASSWORD_ENV = "PROFILES_TEST_SNOWFLAKE_PASSWORD"


def fake_snowflake_config(
    database: str = "profiles_db", schema: str = "profiles"
) -> SnowflakeConnectionConfig:
    return SnowflakeConnectionConfig(
        account="test_account",
        user="test_user",
        role="test_role",
        warehouse="test_wh",
        database=database,
        schema=schema,
        password_env=TEST_PASSWORD_ENV,
    )


@contextmanager
def open_test_adapter(engine: str, tmp_path: Path, monkeypatch: Any) -> Iterator[WarehouseAdapter]:
    """Open a fresh adapter; for "snowflake" the connector is patched by fakesnow meanwhile.

    `monkeypatch` (pytest's) sets the dummy password variable the config names.
    """
    if engine == "duckdb":
        from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

        adapter = DuckDBAdapter(tmp_path / "warehouse.duckdb")
        try:
            yield adapter
        finally:
            adapter.close()
        return
    if engine == "spark":
        from profiles_pipeline.warehouse.databricks_adapter import LocalSparkAdapter

        adapter = LocalSparkAdapter.start("local[2]", str(tmp_path / "spark_warehouse"), f"t{uuid.uuid4().hex[:8]}")
        try:
            yield adapter
        finally:
            adapter.close()
        return
    if engine != "snowflake":
        raise ValueError(f"unknown test engine {engine!r}; use one of {ENGINES} or spark")
    import fakesnow

    from profiles_pipeline.warehouse.snowflake_adapter import SnowflakeAdapter

    monkeypatch.setenv(TEST_PASSWORD_ENV, "not-a-real-password")
    with fakesnow.patch():
        adapter = SnowflakeAdapter.from_config(fake_snowflake_config())
        try:
            yield adapter
        finally:
            adapter.close()
