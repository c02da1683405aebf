"""Where an input's rows come from: a warehouse table/view, else files (DuckDB only).

`input_relation` returns canonical (DuckDB) SQL text usable after `FROM`. Order of lookup:
the warehouse table or view (`db.schema.table`; on DuckDB also its last part), then the
input's `path` (csv/parquet file or folder), then the landing zone
`<landing_zone>/<table>/dt=YYYY-MM-DD/*.parquet`. Nothing found is a UserError that lists what
was tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from profiles_pipeline.errors import UserError
from profiles_pipeline.warehouse.base import WarehouseAdapter

_DAY_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


class InputNotFoundError(UserError):
    """No table, view, file or landing-zone folder holds an input's rows."""


@dataclass(frozen=True)
class InputSource:
    name: str
    table: str | None = None
    view: str | None = None
    path: Path | None = None
    landing_zone: Path | None = None
    #: timestamp column used to cut one day out of a table or a flat file (pb's occurred_at_col)
    occurred_at_col: str | None = None


def _lit(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def landing_folder(landing_zone: Path, table: str) -> Path:
    """`<landing_zone>/<last part of the table name, lower-case>`."""
    return Path(landing_zone) / table.split(".")[-1].strip('"').lower()


def landing_zone_days(landing_zone: Path, table: str) -> list[date]:
    """Days with at least one parquet file under `<landing_zone>/<table>/dt=YYYY-MM-DD/`."""
    folder = landing_folder(landing_zone, table)
    if not folder.is_dir():
        return []
    days = []
    for child in folder.iterdir():
        m = _DAY_DIR.match(child.name)
        if m and child.is_dir() and any(child.rglob("*.parquet")):
            days.append(date.fromisoformat(m.group(1)))
    return sorted(days)


def _parquet(glob: Path | str) -> str:
    return f"read_parquet({_lit(glob)}, hive_partitioning = true, union_by_name = true)"


def _day_filter(relation: str, column: str, day: date) -> str:
    return f"(SELECT * FROM {relation} WHERE CAST({column} AS DATE) = DATE '{day.isoformat()}')"


def _warehouse_relation(adapter: WarehouseAdapter, name: str, tried: list[str]) -> str | None:
    candidates = [name]
    if adapter.kind == "duckdb" and "." in name:
        candidates.append(name.split(".")[-1])
    for candidate in candidates:
        tried.append(f"{adapter.kind} table/view {candidate}")
        if adapter.table_exists(candidate):
            return candidate
    return None


def _folder_relation(folder: Path, day: date | None) -> str | None:
    """A folder of parquet (hive `dt=` partitions allowed) or csv files."""
    if day is not None:
        part = folder / f"dt={day.isoformat()}"
        if part.is_dir() and any(part.rglob("*.parquet")):
            return _parquet(part / "**" / "*.parquet")
        if any(folder.rglob("*.parquet")):  # no files that day: same columns, no rows
            return f"(SELECT * FROM {_parquet(folder / '**' / '*.parquet')} WHERE false)"
        return None
    if any(folder.rglob("*.parquet")):
        return _parquet(folder / "**" / "*.parquet")
    if any(folder.rglob("*.csv")):
        return f"read_csv_auto({_lit(folder / '**' / '*.csv')}, union_by_name = true)"
    return None


def _path_relation(source: InputSource, day: date | None) -> str | None:
    path = Path(source.path)  # type: ignore[arg-type]
    if path.is_dir():
        if day is not None and not any(path.glob("dt=*")):
            whole = _folder_relation(path, None)
            return _with_day(source, whole, day) if whole else None
        return _folder_relation(path, day)
    if not path.is_file():
        return None
    suffix = "".join(path.suffixes).lower()
    if suffix.endswith(".parquet"):
        relation = f"read_parquet({_lit(path)})"
    elif suffix.endswith((".csv", ".csv.gz", ".tsv")):
        relation = f"read_csv_auto({_lit(path)})"
    else:
        raise InputNotFoundError(
            f"input {source.name}: path {path} is neither .csv nor .parquet; "
            "give a csv or parquet file, or a folder of them"
        )
    return _with_day(source, relation, day)


def _with_day(source: InputSource, relation: str, day: date | None) -> str:
    if day is None:
        return relation
    if not source.occurred_at_col:
        raise InputNotFoundError(
            f"input {source.name}: cannot read one day ({day}) of {relation} without "
            "partition folders; set app_defaults.occurred_at_col to its timestamp column"
        )
    return _day_filter(relation, source.occurred_at_col, day)


def input_relation(adapter: WarehouseAdapter, source: InputSource, day: date | None = None) -> str:
    """SQL (canonical dialect) for a relation over the input's rows, or only `day`'s rows."""
    tried: list[str] = []
    name = source.table or source.view
    if name:
        found = _warehouse_relation(adapter, name, tried)
        if found:
            return _with_day(source, found, day)
    files_ok = adapter.kind == "duckdb"
    if source.path is not None:
        tried.append(f"path {source.path}")
        relation = _path_relation(source, day) if files_ok else None
        if relation:
            return relation
    if name and source.landing_zone is not None:
        folder = landing_folder(source.landing_zone, name)
        tried.append(f"landing-zone folder {folder}")
        relation = _folder_relation(folder, day) if files_ok and folder.is_dir() else None
        if relation:
            return relation
    hint = (
        "create the table in the warehouse, or give app_defaults.path (a csv/parquet file or "
        "folder), or put parquet files under the landing zone (see `landing_zone:`)"
        if files_ok
        else f"create the table in {adapter.kind}; files are read only on DuckDB"
    )
    looked = "; ".join(tried) or "nothing (the input names no table, view or path)"
    raise InputNotFoundError(
        f"input {source.name}: no rows found. Looked for: {looked}. Fix: {hint}."
    )
