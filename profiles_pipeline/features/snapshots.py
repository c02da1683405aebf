"""`<entity>_var_table` as a table of snapshots: every var per main id, one set of rows per
`valid_at`. A new snapshot replaces the ones of its partition day (or only its own instant), so
re-running a day never duplicates rows; what is published (feature view, id views, feature
tables, cohorts) reads one snapshot, the latest, pinned by its instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from profiles_pipeline.features.outputs import VALID_AT
from profiles_pipeline.features.plan import PlanStep
from profiles_pipeline.warehouse.sqltree import drop, rows, run

#: Which project definition the snapshots of each var table were computed with.
DEFINITIONS = "profiles__definitions"


@dataclass(frozen=True)
class SnapshotSlice:
    """Which stored snapshots a new one at `valid_at` replaces: every one of the partitions
    `days` (first, last), or (None) only one at the same instant. `definition`: a fingerprint of
    the project; snapshots of another definition are dropped, not kept next to the new one."""

    valid_at: datetime
    days: tuple[date, date] | None = None
    definition: str | None = None


def stored_definition(adapter, table: str) -> str | None:
    if not adapter.table_exists(DEFINITIONS):
        return None
    found = rows(adapter, "SELECT fingerprint FROM defs WHERE relation = :r", {"defs": DEFINITIONS}, r=table)
    return found[0][0] if found else None


def _store_definition(adapter, table: str, definition: str) -> None:
    from profiles_pipeline.identity.tables import ensure_table

    ensure_table(adapter, DEFINITIONS, "relation VARCHAR, fingerprint VARCHAR")
    with adapter.transaction():
        run(adapter, "DELETE FROM defs WHERE relation = :r", {"defs": DEFINITIONS}, r=table)
        run(adapter, "INSERT INTO defs VALUES (:r, :f)", {"defs": DEFINITIONS}, r=table, f=definition)


@dataclass(frozen=True)
class SnapshotWrite:
    rows: int
    #: True when the table was replaced (first snapshot, or the vars changed: older snapshots of
    #: other columns cannot be kept next to the new ones).
    replaced_table: bool
    previous_latest: datetime | None


def latest_snapshot(adapter, table: str) -> datetime | None:
    if not adapter.table_exists(table) or VALID_AT not in {c.name for c in adapter.columns(table)}:
        return None
    return rows(adapter, f"SELECT MAX({VALID_AT}) FROM vt", {"vt": table})[0][0]


def snapshot_instants(adapter, table: str) -> list[datetime]:
    if not adapter.table_exists(table):
        return []
    return [r[0] for r in rows(adapter, f"SELECT DISTINCT {VALID_AT} FROM vt ORDER BY 1", {"vt": table})]


def has_snapshot(adapter, table: str, at: datetime) -> bool:
    if not adapter.table_exists(table):
        return False
    return bool(rows(adapter, f"SELECT COUNT(*) FROM vt WHERE {VALID_AT} = :at", {"vt": table}, at=at)[0][0])


def write_snapshot(adapter, step: PlanStep, where: SnapshotSlice, *, publishing: bool = True) -> SnapshotWrite:
    """Build the var table step's query into a staging table, then put it in place of the
    snapshots `where` names (atomically). A snapshot of another definition (the project
    changed, vars were added) replaces the table, which only a snapshot that is published may do:
    the published outputs read the table."""
    staging = f"{step.name}__next"
    count = adapter.replace_table(staging, step.sql, read=adapter.dialect)
    previous = latest_snapshot(adapter, step.name)
    old_cols = [(c.name, c.type) for c in adapter.columns(step.name)] if adapter.table_exists(step.name) else None
    redefined = where.definition is not None and stored_definition(adapter, step.name) != where.definition
    if redefined or old_cols != [(c.name, c.type) for c in adapter.columns(staging)]:
        if not publishing and old_cols is not None:
            drop(adapter, staging)
            from profiles_pipeline.errors import UserError

            raise UserError(f"{step.name} holds snapshots of an earlier definition of the project; a snapshot "
                            "of an earlier time cannot be stored next to them: run the latest day first "
                            "(`profiles run`), which recomputes what is published with the new definition")
        adapter.swap_in(staging, step.name)
        if where.definition is not None:
            _store_definition(adapter, step.name, where.definition)
        return SnapshotWrite(count, True, None)
    first, last = where.days or (None, None)
    cond = f"CAST({VALID_AT} AS DATE) BETWEEN :a AND :b" if where.days else f"{VALID_AT} = :at"
    with adapter.transaction():
        run(adapter, f"DELETE FROM vt WHERE {cond}", {"vt": step.name}, a=first, b=last, at=where.valid_at)
        run(adapter, "INSERT INTO vt SELECT * FROM staging", {"vt": step.name, "staging": staging})
    drop(adapter, staging)
    return SnapshotWrite(count, False, previous)


def drop_snapshots_before(adapter, table: str, horizon: datetime) -> list[datetime]:
    """Drop snapshots older than `horizon`, never the latest. Returns the instants dropped."""
    instants = snapshot_instants(adapter, table)
    gone = [at for at in instants[:-1] if at < horizon]
    if gone:
        run(adapter, f"DELETE FROM vt WHERE {VALID_AT} <= :k", {"vt": table}, k=max(gone))
    return gone
