"""Where an input's rows are, as a FROM-able SQL expression in the engine's dialect.

Uses the warehouse layer's `input_relation` when it exists; otherwise the same rules locally:
a warehouse table/view if it exists, else (DuckDB) the landing zone folder or `path:` file.
"""

from __future__ import annotations

from pathlib import Path

import sqlglot
from sqlglot import exp

from profiles_pipeline.errors import UserError
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter


def input_relation_sql(adapter: WarehouseAdapter, project: Project, inp: Input) -> exp.Expression:
    """The input's rows as a table or subquery expression (no filters applied)."""
    shared = _shared_relation(adapter, project, inp)
    if shared is not None:
        return shared
    kind = inp.source_kind
    if kind in ("table", "view"):
        name = inp.source
        if adapter.table_exists(_last(name)) or adapter.dialect != "duckdb":
            return exp.to_table(_last(name) if adapter.table_exists(_last(name)) else name)
        folder = project.landing_zone_path / (inp.table_basename or _last(name))
        if not folder.exists():
            raise UserError(
                f"{inp.location}: input {inp.name}: table {name} is not in the warehouse and the "
                f"landing zone has no folder {folder} (run `profiles sample-data` or set landing_zone)"
            )
        return _file_relation(folder)
    if kind in ("path", "csv"):
        return _file_relation((project.root / inp.source).resolve())
    raise UserError(f"{inp.location}: input {inp.name}: source '{kind}' is not supported on {adapter.dialect}")


def _shared_relation(adapter: WarehouseAdapter, project: Project, inp: Input) -> exp.Expression | None:
    try:
        from profiles_pipeline.warehouse import inputs as shared  # type: ignore[attr-defined]
    except ImportError:
        return None
    fn = getattr(shared, "input_relation", None)
    make = getattr(shared, "InputSource", None)
    if fn is None or make is None:
        return None
    source = make.from_input(inp, project) if hasattr(make, "from_input") else None
    if source is None:
        return None
    sql = fn(adapter, source)
    return sqlglot.parse_one(f"SELECT * FROM {sql}", read=adapter.dialect).find(exp.From).this


def _last(name: str) -> str:
    return name.split(".")[-1].strip('"')


def _file_relation(path: Path) -> exp.Expression:
    text = str(path).replace("'", "''")
    if path.is_dir():
        glob = f"{text}/**/*.parquet" if any(path.rglob("*.parquet")) else f"{text}/**/*.csv"
        reader = "read_parquet" if glob.endswith(".parquet") else "read_csv_auto"
        sql = f"{reader}('{glob}', union_by_name = true)"
    elif path.suffix.lower() == ".csv":
        sql = f"read_csv_auto('{text}')"
    else:
        sql = f"read_parquet('{text}')"
    return sqlglot.parse_one(f"SELECT * FROM {sql}", read="duckdb").find(exp.From).this
