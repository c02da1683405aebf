"""Where an input's rows come from: a warehouse table/view, else files (DuckDB only).

`input_relation` returns canonical (DuckDB) SQL text usable after `FROM`. Order of lookup:
the warehouse table or view (`db.schema.table`; on DuckDB also its last part), then the
input's `path` (csv/parquet file or folder), then the landing zone
`<landing_zone>/<table>/dt=YYYY-MM-DD/*.parquet`. Nothing found is a UserError that lists what
was tried.

A folder of Parquet files is read through its footers first (`input_files`): bad files are left
out, and a relation for some days only (`days`) lists just the files that may hold them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from profiles_pipeline.errors import UserError
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.input_files import (
    BadFile,
    FileSet,
    file_set,
    parquet_files,
    sql_type,
)
from profiles_pipeline.warehouse.literals import sql_string

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
    #: the columns the project reads (a file lacking one is bad, unless `allow_missing_columns`)
    columns: tuple[str, ...] = ()
    allow_missing_columns: bool = False




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


def _parquet(files: Path | str | list[Path]) -> str:
    """read_parquet over a glob or a list of files (hive `dt=` columns, columns matched by name)."""
    target = "[" + ", ".join(sql_string(f) for f in files) + "]" if isinstance(files, list) else sql_string(files)
    return f"read_parquet({target}, hive_partitioning = true, union_by_name = true)"


def _warehouse_relation(adapter: WarehouseAdapter, name: str, tried: list[str]) -> str | None:
    candidates = [name]
    if adapter.kind == "duckdb" and "." in name:
        candidates.append(name.split(".")[-1])
    for candidate in candidates:
        tried.append(f"{adapter.kind} table/view {candidate}")
        if adapter.table_exists(candidate):
            return candidate
    return None


def _files_of(source: InputSource, folder: Path) -> FileSet:
    return file_set(folder, source.occurred_at_col, source.columns, source.allow_missing_columns)


@dataclass(frozen=True)
class Located:
    """Where an input's rows are: a warehouse `table` (or view), a `file`, a `folder`."""

    kind: str
    target: str | Path


def locate(adapter: WarehouseAdapter, source: InputSource) -> Located:
    """The first place holding the input's rows: the warehouse table or view (on DuckDB also its
    last name part), the `path`, the landing-zone folder. InputNotFoundError lists what was tried."""
    tried: list[str] = []
    name = source.table or source.view
    if name:
        found = _warehouse_relation(adapter, name, tried)
        if found:
            return Located("table", found)
    files_ok = adapter.kind == "duckdb"
    candidates = []
    if source.path is not None:
        tried.append(f"path {source.path}")
        candidates.append(Path(source.path))
    if name and source.landing_zone is not None:
        folder = landing_folder(source.landing_zone, name)
        tried.append(f"landing-zone folder {folder}")
        candidates.append(folder)
    for path in candidates if files_ok else []:
        if path.is_file():
            return Located("file", path)
        if path.is_dir() and (parquet_files(path) or any(path.rglob("*.csv"))):
            return Located("folder", path)
    hint = (
        "create the table in the warehouse, or give app_defaults.path (a csv/parquet file or "
        "folder), or put parquet files under the landing zone (see `landing_zone:`)"
        if files_ok
        else f"create the table in {adapter.kind}; files are read only on DuckDB"
    )
    looked = "; ".join(tried) or "nothing (the input names no table, view or path)"
    raise InputNotFoundError(f"input {source.name}: no rows found. Looked for: {looked}. Fix: {hint}.")


def _file_relation(source: InputSource, path: Path) -> str:
    suffix = "".join(path.suffixes).lower()
    if suffix.endswith(".parquet"):
        return f"read_parquet({sql_string(path)})"
    if suffix.endswith((".csv", ".csv.gz", ".tsv")):
        return f"read_csv_auto({sql_string(path)})"
    raise InputNotFoundError(
        f"input {source.name}: path {path} is neither .csv nor .parquet; "
        "give a csv or parquet file, or a folder of them"
    )


def _folder_relation(source: InputSource, folder: Path, days: tuple[date, date] | None) -> str:
    """A folder of parquet (hive `dt=` partitions allowed; bad files left out; only the files
    that may hold `days` when given) or csv files."""
    if not parquet_files(folder):
        return f"read_csv_auto({sql_string(folder / '**' / '*.csv')}, union_by_name = true)"
    files = _files_of(source, folder)
    if not files.good:
        raise BadInputFilesError(source.name, files.bad)
    if not files.bad and days is None:
        return _parquet(folder / "**" / "*.parquet")
    chosen = files.within(*days) if days is not None else files.good
    if not chosen:  # no file holds those days: the same columns, no rows
        return f"(SELECT * FROM {_parquet([files.good[0].path])} WHERE false)"
    missing = files.missing_from(chosen)  # allow_missing_columns: none of these files has them
    if missing:
        nulls = ", ".join(f'CAST(NULL AS {sql_type(t)}) AS "{c}"' for c, t in missing.items())
        return f"(SELECT *, {nulls} FROM {_parquet([f.path for f in chosen])})"
    return _parquet([f.path for f in chosen])


def input_files(adapter: WarehouseAdapter, source: InputSource) -> FileSet | None:
    """The input's Parquet files judged from their footers; None when it is not read from a
    folder of them (a table, a file, csv)."""
    where = locate(adapter, source)
    if where.kind != "folder" or not parquet_files(Path(where.target)):
        return None
    return _files_of(source, Path(where.target))


def input_relation(adapter: WarehouseAdapter, source: InputSource, days: tuple[date, date] | None = None) -> str:
    """SQL (canonical dialect) for a relation over the input's rows. With `days`, a relation
    over files may leave out files holding no row of those days (rows are not filtered)."""
    where = locate(adapter, source)
    if where.kind == "table":
        return str(where.target)
    if where.kind == "file":
        return _file_relation(source, Path(where.target))
    return _folder_relation(source, Path(where.target), days)


class BadInputFilesError(UserError):
    """Files of an input that cannot be read as the project reads them."""

    def __init__(self, input_name: str, bad: tuple[BadFile, ...], what: str = "every file"):
        self.bad = bad
        listed = "\n".join(f"  - {b.describe()}" for b in bad[:10])
        more = f"\n  ... and {len(bad) - 10} more" if len(bad) > 10 else ""
        super().__init__(f"input {input_name}: {what} is bad ({len(bad)}):\n{listed}{more}")
