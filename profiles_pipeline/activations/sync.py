"""One sync: the source's rows now, diffed against what the destination accepted, sent in batches.

The state (`<activation>__synced`: key, row_hash) advances per batch only after the destination
answered for it, in one transaction with that batch's rejections, so a sync killed mid-way resumes
where it stopped: nothing lost, and nothing re-sent that was accepted (a batch in flight when the
process died is sent again; every op is idempotent). Rejected rows stay out of the state, so the
next sync tries them again. An end time earlier than the last sync's (an old partition re-run)
sends nothing: the destination keeps the newer data.

Modes (Hightouch/Census names): `upsert` sends new and changed rows; `mirror` also removes rows
that left the source; `insert` sends new keys only; `all` sends every row (a full snapshot, for
files) and forgets keys that left.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlglot import exp

from profiles_pipeline.activations.destinations import Op, open_destination
from profiles_pipeline.activations.plan import ActivationPlan
from profiles_pipeline.errors import UserError
from profiles_pipeline.warehouse.sqltree import drop, literal, rows, run

_TEMP = "CREATE OR REPLACE TEMP TABLE"
_SEP = "\x02"
_NULL = "\x01"


@dataclass
class SyncResult:
    activation: str
    mode: str
    added: int = 0
    changed: int = 0
    removed: int = 0
    rejected: int = 0
    skipped_without_identifier: int = 0
    batches: int = 0
    retries: int = 0
    seconds: float = 0.0
    sent: int = 0
    #: why nothing was sent, when nothing was (an older end time than the last sync)
    skipped: str | None = None
    sample: list[dict] = field(default_factory=list)

    @property
    def rejection_rate(self) -> float:
        return self.rejected / self.sent if self.sent else 0.0

    def as_metadata(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k != "sample"}
        out["sync_mode"] = out.pop("mode")
        out["rejection_rate"] = round(self.rejection_rate, 4)
        return out


def _ensure_state(adapter, plan: ActivationPlan) -> None:
    run(adapter, "CREATE TABLE IF NOT EXISTS s (key VARCHAR, row_hash VARCHAR, synced_at TIMESTAMP, run_id VARCHAR)",
        {"s": plan.state_table})
    run(adapter, "CREATE TABLE IF NOT EXISTS r (key VARCHAR, op VARCHAR, message VARCHAR, rejected_at TIMESTAMP, "
        "run_id VARCHAR)", {"r": plan.rejected_table})
    run(adapter, "CREATE TABLE IF NOT EXISTS m (end_time TIMESTAMP, run_id VARCHAR)", {"m": plan.meta_table})


def _columns(adapter, plan: ActivationPlan) -> dict[str, str]:
    """Source column → destination field: as configured, else every column but the main id and valid_at."""
    present = {c.name.lower(): c.name for c in adapter.columns(plan.source_relation)}
    if plan.columns:
        missing = [c for c in plan.columns if c.lower() not in present]
        if missing:
            raise UserError(f"activation {plan.name}: {plan.source_relation} has no column(s) {', '.join(missing)} "
                            f"(it has {', '.join(sorted(present))})")
        return dict(plan.columns)
    skip = {plan.main_id_column.lower()} | ({"valid_at"} if plan.destination.type != "redis" else set())
    return {name: name for low, name in present.items() if low not in skip}


def _source_rows(adapter, plan: ActivationPlan, columns: dict[str, str]) -> exp.Select:
    """(_key, _hash, columns...) of the source: keyed by the main id, or by the entity's earliest
    id of `plan.id_type` (first seen, then value); rows without one are left out."""
    src = exp.alias_(adapter.table_expr(plan.source_relation), "s", table=True)
    cols = [exp.column(c, table="s", quoted=True) for c in columns]
    parts = [exp.func("COALESCE", exp.cast(c.copy(), "VARCHAR"), exp.Literal.string(_NULL)) for c in cols]
    joined = parts[0] if len(parts) == 1 else exp.func("CONCAT_WS", exp.Literal.string(_SEP), *parts)
    row_hash = exp.func("MD5", joined) if parts else exp.Literal.string("")
    main = exp.column(plan.main_id_column, table="s", quoted=True)
    ids_join = None
    if plan.sends_ids:  # every id of the profile, as one sorted string: a change of ids changes the row
        graph_main = exp.column(plan.main_id_column, quoted=True)
        pair = exp.DPipe(this=exp.DPipe(this=exp.column("other_id_type"), expression=exp.Literal.string(":")),
                         expression=exp.column("other_id"))
        agg = exp.GroupConcat(this=exp.Order(this=pair, expressions=[exp.Ordered(this=pair.copy())]),
                              separator=exp.Literal.string("\x1f"))
        ids = (exp.select(exp.alias_(graph_main.copy(), "_m"), exp.alias_(agg, "_ids"))
               .from_(adapter.table_expr(plan.id_graph)).group_by(graph_main.copy()))
        ids_join = (exp.alias_(ids.subquery(), "i", table=True),
                    exp.EQ(this=exp.column("_m", table="i"), expression=main.copy()))
        ids_col = exp.column("_ids", table="i")
        cols.append(ids_col)
        parts.append(exp.func("COALESCE", ids_col.copy(), exp.Literal.string(_NULL)))
        joined = exp.func("CONCAT_WS", exp.Literal.string(_SEP), *parts)
        row_hash = exp.func("MD5", joined)
    if plan.id_type is None:
        key = exp.cast(main, "VARCHAR")
        query = exp.select(exp.alias_(key, "_key"), exp.alias_(row_hash, "_hash"), *cols).from_(src)
        if ids_join:
            query = query.join(ids_join[0], on=ids_join[1], join_type="left")
        return query.where(exp.Not(this=exp.Is(this=main.copy(), expression=exp.null())))
    graph = adapter.table_expr(plan.id_graph)
    g_main = exp.column(plan.main_id_column, quoted=True)
    ranked = (exp.select(exp.alias_(g_main.copy(), "_m"), exp.alias_(exp.column("other_id"), "_id"),
                         exp.alias_(exp.Window(this=exp.RowNumber(), partition_by=[g_main.copy()],
                                               order=exp.Order(expressions=[exp.column("first_seen_at"),
                                                                            exp.column("other_id")])), "_rk"))
              .from_(graph).where(exp.EQ(this=exp.column("other_id_type"), expression=literal(plan.id_type))))
    g = exp.alias_(ranked.subquery(), "g", table=True)
    on = exp.and_(exp.EQ(this=exp.column("_m", table="g"), expression=main.copy()),
                  exp.EQ(this=exp.column("_rk", table="g"), expression=exp.Literal.number(1)))
    key = exp.cast(exp.column("_id", table="g"), "VARCHAR")
    query = exp.select(exp.alias_(key, "_key"), exp.alias_(row_hash, "_hash"), *cols).from_(src).join(g, on=on)
    return query.join(ids_join[0], on=ids_join[1], join_type="left") if ids_join else query


_DIFF = f"""{_TEMP} out AS
SELECT *, ROW_NUMBER() OVER (ORDER BY _op, _key) AS _seq FROM (
  SELECT src.*, CASE WHEN st.key IS NULL THEN 'added' ELSE 'changed' END AS _op
  FROM src LEFT JOIN state AS st ON st.key = src._key
  WHERE st.key IS NULL OR (st.row_hash <> src._hash AND :changes) OR :all_rows) AS d"""

#: Keys that left the source, numbered after the diff's rows (they are sent last).
_REMOVED = f"""{_TEMP} out AS
SELECT st.key AS _key, (SELECT COUNT(*) FROM diff) + ROW_NUMBER() OVER (ORDER BY st.key) AS _seq FROM state AS st
WHERE NOT EXISTS (SELECT 1 FROM src WHERE src._key = st.key)"""


@dataclass(frozen=True)
class _Work:
    """The sync's scratch tables: the source as keyed rows, the numbered diff, the removed keys."""

    src: str
    diff: str
    removed: str

    @classmethod
    def of(cls, plan: ActivationPlan) -> _Work:
        return cls(f"{plan.name}__w_source", f"{plan.name}__w_diff", f"{plan.name}__w_removed")

    def names(self, plan: ActivationPlan) -> dict[str, str]:
        return {"src": self.src, "diff": self.diff, "removed": self.removed, "state": plan.state_table,
                "rejected": plan.rejected_table}


def _prepare(adapter, plan: ActivationPlan) -> tuple[list[str], list[tuple], list[str], int]:
    """Build the scratch tables; returns (the destination fields of the rows' values, diff rows
    (_key, _hash, values..., _op, _seq), removed keys in send order, source rows without the identifier)."""
    _ensure_state(adapter, plan)
    columns = _columns(adapter, plan)
    w = _Work.of(plan)
    adapter.execute(exp.Create(this=adapter.table_expr(w.src), kind="TABLE", replace=True,
                               expression=_source_rows(adapter, plan, columns),
                               properties=exp.Properties(expressions=[exp.TemporaryProperty()])))
    names = {**w.names(plan), "out": w.diff}
    run(adapter, _DIFF, names, changes=plan.mode in ("upsert", "mirror"), all_rows=plan.mode == "all")
    diff_rows = rows(adapter, "SELECT * FROM diff ORDER BY _seq", names)
    run(adapter, _REMOVED if plan.mode in ("mirror", "all") else f"{_TEMP} out AS SELECT _key, _seq FROM diff WHERE FALSE",
        {**names, "out": w.removed})
    removed = [r[0] for r in rows(adapter, "SELECT _key FROM removed ORDER BY _seq", names)]
    without = adapter.row_count(plan.source_relation) - adapter.row_count(w.src)
    fields = list(columns.values()) + (["_ids"] if plan.sends_ids else [])
    return fields, diff_rows, removed, without


def _drop_work(adapter, plan: ActivationPlan) -> None:
    w = _Work.of(plan)
    drop(adapter, w.src, w.diff, w.removed)


def diff_counts(adapter, plan: ActivationPlan, sample: int = 5) -> SyncResult:
    """What a sync would send now (for `--dry-run`): counts and a few rows; sends nothing."""
    fields, diff_rows, removed, without = _prepare(adapter, plan)
    _drop_work(adapter, plan)
    out = SyncResult(plan.name, plan.mode, skipped_without_identifier=without, skipped=unconfigured(plan))
    for r in diff_rows:
        if r[-2] == "added":
            out.added += 1
        else:
            out.changed += 1
    out.removed = len(removed) if plan.mode == "mirror" else 0
    out.sample = [{"op": r[-2], "key": r[0], **dict(zip(fields, r[2:-2], strict=True))} for r in diff_rows[:sample]]
    return out


def _last_end(adapter, plan: ActivationPlan) -> datetime | None:
    found = rows(adapter, "SELECT MAX(end_time) FROM m", {"m": plan.meta_table})
    return found[0][0] if found else None


def unconfigured(plan: ActivationPlan) -> str | None:
    """Why a `when_unset: skip` destination is skipped (its environment variables are not set), or None."""
    d = plan.destination
    missing = [n for n in d.env_names() if not os.environ.get(n)]
    if not missing or d.when_unset != "skip":
        return None
    return f"not configured: {', '.join(missing)} not set (when_unset: skip)"


def sync(adapter, plan: ActivationPlan, *, end_time: datetime, run_id: str, destination=None) -> SyncResult:
    """Send what changed since the last accepted state; see the module docstring."""
    started = time.perf_counter()
    if destination is None and (unset := unconfigured(plan)):
        return SyncResult(plan.name, plan.mode, skipped=unset)
    _ensure_state(adapter, plan)
    last = _last_end(adapter, plan)
    if last is not None and end_time < last:
        return SyncResult(plan.name, plan.mode, skipped=f"the last sync was as of {last}, later than {end_time}; "
                          "the destination keeps the newer rows")
    fields, diff_rows, removed, without = _prepare(adapter, plan)
    result = SyncResult(plan.name, plan.mode, skipped_without_identifier=without)
    ops: list[tuple[Op, str]] = []  # (op, diff kind), in _seq order
    for r in diff_rows:
        ops.append((Op("upsert", str(r[0]), dict(zip(fields, r[2:-2], strict=True))), r[-2]))
    if plan.mode == "mirror":
        ops += [(Op("delete", str(k), {}), "removed") for k in removed]
    dest = destination or open_destination(plan, run_id, adapter)
    names = _Work.of(plan).names(plan)
    try:
        for i in range(0, len(ops), plan.batch_size):
            batch = ops[i:i + plan.batch_size]
            outcome = dest.send([o for o, _ in batch])
            result.batches += 1
            result.retries += outcome.attempts - 1
            _record(adapter, names, batch, outcome.rejected, (i + 1, i + len(batch)), end_time, run_id)
            for op, kind in batch:
                result.sent += 1
                if op.key in outcome.rejected:
                    result.rejected += 1
                else:
                    setattr(result, kind, getattr(result, kind) + 1)
    finally:
        dest.close()
    with adapter.transaction():
        if plan.mode == "all":  # keys that left a full snapshot are forgotten
            run(adapter, "DELETE FROM state WHERE key IN (SELECT _key FROM removed)", names)
        run(adapter, "DELETE FROM m", {"m": plan.meta_table})
        run(adapter, "INSERT INTO m VALUES (:t, :run_id)", {"m": plan.meta_table}, t=end_time, run_id=run_id)
    _drop_work(adapter, plan)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


_BATCH_KEYS = "SELECT _key FROM diff WHERE _seq BETWEEN :lo AND :hi UNION ALL SELECT _key FROM removed WHERE _seq BETWEEN :lo AND :hi"


def _record(adapter, names: dict[str, str], batch, rejected: dict[str, str], seqs: tuple[int, int],
            end_time: datetime, run_id: str) -> None:
    """The batch's accepted rows into the state, its rejections into the rejected table, in one
    transaction. The batch is the diff's rows numbered `seqs` (removed keys included): statements
    over the scratch tables, with only the few rejected keys written out."""
    lo, hi = seqs
    bad = sorted(rejected)
    keep = " AND key NOT IN :bad" if bad else ""
    keep_diff = " AND _key NOT IN :bad" if bad else ""
    values = {"lo": lo, "hi": hi, "at": end_time, "run_id": run_id}
    if bad:
        values["bad"] = exp.Tuple(expressions=[exp.Literal.string(k) for k in bad])
    with adapter.transaction():
        run(adapter, f"DELETE FROM state WHERE key IN ({_BATCH_KEYS}){keep}", names, **values)
        run(adapter, f"INSERT INTO state SELECT _key, _hash, :at, :run_id FROM diff WHERE _seq BETWEEN :lo AND :hi{keep_diff}",
            names, **values)
        run(adapter, f"DELETE FROM rejected WHERE key IN ({_BATCH_KEYS})", names, **values)
        if bad:
            rows_out = [exp.tuple_(literal(op.key), literal(op.op), literal(rejected[op.key]), literal(end_time),
                                   literal(run_id)) for op, _ in batch if op.key in rejected]
            adapter.execute(exp.insert(exp.values(rows_out), adapter.table_expr(names["rejected"])))
