"""The stored history: `<stitcher>__history` (intervals) and `<stitcher>__checkpoints`.

A row says an id had a main id at every checkpoint in `[valid_from, valid_to)` (`valid_to` NULL:
still). The graph as of a checkpoint is the rows valid at it; between checkpoints nothing is
stored, so a read snaps to the latest checkpoint at or before the instant asked for.

Writes replace a window of checkpoints and nothing else, so re-running an old partition
changes that partition's slice only; the latest checkpoint (what is published) moves only
forward.
"""

from __future__ import annotations

from datetime import datetime

from profiles_pipeline.identity.tables import (
    CHECKPOINTS_COLUMNS,
    HISTORY_COLUMNS,
    StitcherTables,
    ensure_table,
)
from profiles_pipeline.warehouse.sqltree import drop, rows, run, statement

_VALID_AT = "valid_from <= :at AND (valid_to IS NULL OR valid_to > :at)"


def ensure(adapter, t: StitcherTables) -> None:
    ensure_table(adapter, t.history, HISTORY_COLUMNS)
    ensure_table(adapter, t.checkpoints, CHECKPOINTS_COLUMNS)


def checkpoint_instants(adapter, t: StitcherTables) -> list[datetime]:
    if not adapter.table_exists(t.checkpoints):
        return []
    return [r[0] for r in rows(adapter, "SELECT cp_at FROM cps ORDER BY cp_at", {"cps": t.checkpoints})]


def next_checkpoint_after(adapter, t: StitcherTables, at: datetime) -> datetime | None:
    return rows(adapter, "SELECT MIN(cp_at) FROM cps WHERE cp_at > :at", {"cps": t.checkpoints}, at=at)[0][0]


def graph_at(adapter, t: StitcherTables, main_id_column: str, at: datetime):
    """The id graph (pb's columns) at checkpoint `at`, as a query."""
    return statement(
        adapter,
        f"SELECT main_id AS main_col, id_value AS other_id, id_type AS other_id_type, first_seen_at AS valid_at, "
        f"first_seen_at "
        f"FROM hist WHERE {_VALID_AT}",
        {"hist": t.history}, at=at,
    ).transform(lambda n: _rename(n, main_id_column))


def _rename(node, name: str):
    from sqlglot import exp

    if isinstance(node, exp.Alias) and node.alias == "main_col":
        return exp.alias_(node.this, name)
    return node


def replace_window(adapter, t: StitcherTables, new_rows: str, w0: datetime, w1: datetime | None) -> None:
    """Make the history in `[w0, w1)` (`w1` None: onwards) be `new_rows` (same columns, valid
    within the window, `valid_to` NULL meaning up to w1), keeping what lies outside the window.
    A window that covers the whole history (a first run, a rebuild) swaps `new_rows` in: it is
    then all there is, and copying its rows again would be the run's largest write."""
    tab = {"hist": t.history, "new": new_rows, "ov": t.work("hov")}
    if w1 is None and not rows(adapter, "SELECT 1 FROM hist WHERE valid_from < :w0 LIMIT 1", tab, w0=w0):
        adapter.swap_in(new_rows, t.history)
        return
    overlap = "valid_from < :w1 AND (valid_to IS NULL OR valid_to > :w0)" if w1 else "(valid_to IS NULL OR valid_to > :w0)"
    run(adapter, f"CREATE OR REPLACE TEMP TABLE ov AS SELECT * FROM hist WHERE {overlap}", tab, w0=w0, w1=w1)
    right = (
        "UNION ALL SELECT id_value, id_type, main_id, first_seen_at, :w1, valid_to FROM ov "
        "WHERE valid_to IS NULL OR valid_to > :w1 " if w1 else ""
    )
    with adapter.transaction():
        run(adapter, f"DELETE FROM hist WHERE {overlap}", tab, w0=w0, w1=w1)
        run(adapter, f"""INSERT INTO hist
            SELECT id_value, id_type, main_id, first_seen_at, valid_from, :w0 FROM ov WHERE valid_from < :w0
            {right}
            UNION ALL SELECT id_value, id_type, main_id, first_seen_at, valid_from, COALESCE(valid_to, :w1) FROM new""",
            tab, w0=w0, w1=w1)
    for boundary in (w0, w1):  # split rows mean the same; joining them is tidying, not meaning
        if boundary is not None:
            _coalesce_at(adapter, t, boundary)
    drop(adapter, t.work("hov"))


def _coalesce_at(adapter, t: StitcherTables, at: datetime) -> None:
    """Join the two rows of an id that meet at `at` with the same main id and first sighting."""
    tab = {"hist": t.history, "cz": t.work("hcz")}
    run(adapter, """CREATE OR REPLACE TEMP TABLE cz AS SELECT l.id_value, l.id_type, r.valid_to AS rt
        FROM hist AS l JOIN hist AS r ON l.id_value = r.id_value AND l.id_type = r.id_type
        AND l.valid_to = r.valid_from AND l.main_id = r.main_id AND l.first_seen_at = r.first_seen_at
        WHERE l.valid_to = :at""", tab, at=at)
    with adapter.transaction():
        run(adapter, """DELETE FROM hist WHERE valid_from = :at AND EXISTS (SELECT 1 FROM cz
            WHERE cz.id_value = hist.id_value AND cz.id_type = hist.id_type)""", tab, at=at)
        run(adapter, """UPDATE hist SET valid_to = cz.rt FROM cz WHERE hist.valid_to = :at
            AND hist.id_value = cz.id_value AND hist.id_type = cz.id_type""", tab, at=at)
    drop(adapter, t.work("hcz"))


def apply_changes(adapter, t: StitcherTables, changes: str, at: datetime) -> list:
    """Statements closing, at `at`, the open rows of the ids in `changes` (id_value, id_type,
    main_id, first_seen_at) whose main id or first sighting differs, and opening their new rows;
    `changes` is narrowed to those ids first. The caller runs the statements in its transaction."""
    tab = {"hist": t.history, "chg": changes, "cd": t.work("hcd")}
    run(adapter, """CREATE OR REPLACE TEMP TABLE cd AS SELECT c.id_value, c.id_type, c.main_id, c.first_seen_at
        FROM chg AS c LEFT JOIN hist AS h ON h.id_value = c.id_value AND h.id_type = c.id_type AND h.valid_to IS NULL
        WHERE h.id_value IS NULL OR h.main_id <> c.main_id OR h.first_seen_at <> c.first_seen_at""", tab)
    return [
        statement(adapter, """UPDATE hist SET valid_to = :at WHERE valid_to IS NULL AND EXISTS (
            SELECT 1 FROM cd WHERE cd.id_value = hist.id_value AND cd.id_type = hist.id_type)""", tab, at=at),
        statement(adapter, "INSERT INTO hist SELECT id_value, id_type, main_id, first_seen_at, :at, CAST(NULL AS TIMESTAMP) FROM cd",
                  tab, at=at),
    ]


def record_checkpoints(adapter, t: StitcherTables, instants: list[datetime], run_id: str, mode: str,
                       w0: datetime, w1: datetime | None) -> list:
    """Statements replacing the checkpoints in `[w0, w1)` by `instants`."""
    tab = {"cps": t.checkpoints}
    where = "cp_at >= :w0" + (" AND cp_at < :w1" if w1 else "")
    out = [statement(adapter, f"DELETE FROM cps WHERE {where}", tab, w0=w0, w1=w1)]
    for at in instants:
        out.append(statement(adapter, "INSERT INTO cps VALUES (:at, :day, :run_id, :mode)", tab,
                             at=at, day=at.date(), run_id=run_id, mode=mode))
    return out


def apply_retention(adapter, t: StitcherTables, horizon: datetime) -> tuple[int, int]:
    """Drop checkpoints before `horizon` (never the latest) and the rows valid only before the
    first kept one. Returns (checkpoints, rows) dropped."""
    first_kept = rows(
        adapter, "SELECT COALESCE(MIN(CASE WHEN cp_at >= :h THEN cp_at END), MAX(cp_at)) FROM cps",
        {"cps": t.checkpoints}, h=horizon,
    )[0][0]
    if first_kept is None:
        return 0, 0
    tab = {"cps": t.checkpoints, "hist": t.history}
    n_cps = rows(adapter, "SELECT COUNT(*) FROM cps WHERE cp_at < :k", tab, k=first_kept)[0][0]
    n_rows = rows(adapter, "SELECT COUNT(*) FROM hist WHERE valid_to IS NOT NULL AND valid_to <= :k", tab, k=first_kept)[0][0]
    if n_cps or n_rows:
        with adapter.transaction():
            run(adapter, "DELETE FROM cps WHERE cp_at < :k", tab, k=first_kept)
            run(adapter, "DELETE FROM hist WHERE valid_to IS NOT NULL AND valid_to <= :k", tab, k=first_kept)
    return int(n_cps), int(n_rows)


def retention_preview(adapter, t: StitcherTables, horizon: datetime) -> tuple[list[datetime], int]:
    """What `apply_retention(horizon)` would drop: the checkpoints and the number of rows."""
    if not adapter.table_exists(t.checkpoints):
        return [], 0
    first_kept = rows(
        adapter, "SELECT COALESCE(MIN(CASE WHEN cp_at >= :h THEN cp_at END), MAX(cp_at)) FROM cps",
        {"cps": t.checkpoints}, h=horizon,
    )[0][0]
    if first_kept is None:
        return [], 0
    tab = {"cps": t.checkpoints, "hist": t.history}
    gone = [r[0] for r in rows(adapter, "SELECT cp_at FROM cps WHERE cp_at < :k ORDER BY cp_at", tab, k=first_kept)]
    n_rows = rows(adapter, "SELECT COUNT(*) FROM hist WHERE valid_to IS NOT NULL AND valid_to <= :k", tab, k=first_kept)[0][0]
    return gone, int(n_rows)


MERGES_VIEW = """SELECT DISTINCT p.main_id AS old_main_id, r.main_id AS new_main_id, r.valid_from AS merged_at, c.run_id
FROM hist AS r JOIN hist AS p ON p.id_value = r.id_value AND p.id_type = r.id_type AND p.valid_to = r.valid_from
LEFT JOIN cps AS c ON c.cp_at = r.valid_from
WHERE p.main_id <> r.main_id"""


def merges_view(adapter, t: StitcherTables):
    """`<stitcher>_merges`: every change of main id between two checkpoints, from the history,
    so re-running a day can never log a merge twice."""
    return statement(adapter, MERGES_VIEW, {"hist": t.history, "cps": t.checkpoints})
