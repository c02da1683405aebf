"""Engines live in `warehouse/`: a registry from the connection type to the adapter, capability
flags on the adapters, and no engine branch anywhere else (checked on the source's syntax)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from profiles_pipeline.errors import UserError
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.registry import adapter_class, engines

PACKAGE = Path(__file__).resolve().parents[1] / "profiles_pipeline"
ENGINE_NAMES = set(engines())
ENGINE_CLASSES = {adapter_class(k).__name__ for k in engines()} | {
    "DuckDBConnectionConfig", "SnowflakeConnectionConfig", "DatabricksConnectionConfig", "LocalSparkAdapter"}
ENGINE_MODULES = ("duckdb", "snowflake", "fakesnow", "pyspark", "databricks", "profiles_pipeline.warehouse.duckdb_adapter",
                  "profiles_pipeline.warehouse.snowflake_adapter", "profiles_pipeline.warehouse.databricks_adapter")


def _engine_branches(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) of every place that tests an engine's name, names an engine's class, or
    imports an engine's driver or adapter module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            consts = [s for s in sides if isinstance(s, ast.Constant)]
            consts += [e for s in sides if isinstance(s, ast.Tuple | ast.Set | ast.List) for e in s.elts
                       if isinstance(e, ast.Constant)]
            if any(c.value in ENGINE_NAMES for c in consts):
                found.append((node.lineno, "compares with an engine's name"))
        elif isinstance(node, ast.Name) and node.id in ENGINE_CLASSES:
            found.append((node.lineno, f"names {node.id}"))
        elif isinstance(node, ast.alias) and node.name in ENGINE_CLASSES:
            found.append((getattr(node, "lineno", 0), f"imports {node.name}"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, f"imports {a.name}") for a in node.names if a.name.split(".")[0] in ENGINE_MODULES
                      or a.name in ENGINE_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and (
                node.module.split(".")[0] in ENGINE_MODULES or node.module in ENGINE_MODULES):
            found.append((node.lineno, f"imports from {node.module}"))
    return found


def test_no_engine_branches_outside_the_warehouse_layer() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "warehouse":
            continue
        offenders += [f"{rel}:{line}: {what}" for line, what in _engine_branches(ast.parse(path.read_text()))]
    assert not offenders, "engine-specific code outside warehouse/ (ask the adapter class instead):\n" + "\n".join(offenders)


def test_the_check_sees_what_it_looks_for() -> None:
    """The scan is not vacuous: each kind of branch it forbids is found in a sample."""
    sample = ast.parse('import duckdb\nfrom profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter\n'
                       'if kind == "snowflake": pass\nif kind in ("duckdb", "x"): pass\n'
                       'isinstance(c, DuckDBConnectionConfig)\n')
    assert sorted({line for line, _ in _engine_branches(sample)}) == [1, 2, 3, 4, 5]


def test_every_engine_has_an_adapter_with_its_capabilities() -> None:
    for kind in engines():
        cls = adapter_class(kind)
        assert issubclass(cls, WarehouseAdapter) and cls.kind == kind == cls.dialect
        for flag in ("data_in_process", "reads_local_files", "readers_read_a_copy", "arg_min_max"):
            assert isinstance(getattr(cls, flag), bool), (kind, flag)
        assert cls.stand_in_description
    assert adapter_class("duckdb").readers_read_a_copy and not adapter_class("snowflake").readers_read_a_copy


def test_an_unknown_engine_is_a_user_error_naming_the_known_ones() -> None:
    with pytest.raises(UserError, match=r"no adapter for 'bigquery'; known: duckdb, snowflake, databricks"):
        adapter_class("bigquery")
