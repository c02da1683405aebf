"""What a run leaves out of an input, and why: rows dated outside the believable span, bad files.

Each input step replaces its input's entries in `profiles__left_out` (the audit `profiles run`
summarizes and the input's Dagster metadata shows). Junk ids are the id stitcher's to count
(`<stitcher>__excluded`): they are dropped value by value, not row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlglot import exp

from profiles_pipeline.identity.tables import ensure_table
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.sqltree import literal, run

AUDIT = "profiles__left_out"
AUDIT_COLUMNS = "input_name VARCHAR, reason VARCHAR, rows BIGINT, earliest TIMESTAMP, latest TIMESTAMP, " \
                "detail VARCHAR, recorded_at TIMESTAMP"


@dataclass(frozen=True)
class LeftOut:
    input: str
    reason: str  # "dated before 1970-01-01", "dated after 2026-12-03", "bad file"
    rows: int | None
    earliest: datetime | None = None
    latest: datetime | None = None
    detail: str = ""  # the file and what is wrong with it

    def describe(self) -> str:
        if self.reason == "bad file":
            return f"bad file {self.detail}"
        span = f" ({self.earliest} .. {self.latest})" if self.earliest else ""
        return f"{self.rows} row(s) {self.reason}{span}"


def outside_rows(adapter: WarehouseAdapter, relation: exp.Expression, occurred_at: str, name: str,
                 first: date, last: date) -> list[LeftOut]:
    """Rows of `relation` dated before `first` or after `last` (one scan; none when `relation`
    lists no file that may hold them)."""
    ts = exp.cast(exp.column(occurred_at), "TIMESTAMP")
    low, high = literal(datetime.combine(first, datetime.min.time())), \
        literal(datetime.combine(last, datetime.min.time()) + timedelta(days=1))
    side = exp.case().when(ts.copy() < low.copy(), exp.Literal.string("before")).else_(exp.Literal.string("after"))
    source = relation.copy()
    if not source.alias:
        source.set("alias", exp.TableAlias(this=exp.to_identifier("_rows")))
    query = (exp.select(side.as_("side"), exp.func("count", exp.Star()).as_("n"), exp.func("min", ts.copy()).as_("lo"),
                        exp.func("max", ts.copy()).as_("hi"))
             .from_(source).where(exp.or_(ts.copy() < low, ts.copy() >= high)).group_by(side.copy()))
    out = []
    for where, n, lo, hi in adapter.fetch(query):
        reason = f"dated before {first}" if where == "before" else f"dated after {last}"
        out.append(LeftOut(name, reason, int(n), lo, hi))
    return out


def record_left_out(adapter: WarehouseAdapter, name: str, entries: list[LeftOut], at: datetime) -> None:
    """Replace what the audit says of input `name`."""
    ensure_table(adapter, AUDIT, AUDIT_COLUMNS)
    tables = {"audit": AUDIT}
    with adapter.transaction():
        run(adapter, "DELETE FROM audit WHERE input_name = :n", tables, n=name)
        if entries:
            rows = exp.values([exp.tuple_(literal(e.input), literal(e.reason), literal(e.rows), literal(e.earliest),
                                          literal(e.latest), literal(e.detail), literal(at)) for e in entries])
            adapter.execute(exp.insert(rows, adapter.table_expr(AUDIT)))
