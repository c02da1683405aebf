"""One aggregate pass per source: every entity var over that source in a single GROUP BY scan.

- plain aggregates are columns of the GROUP BY;
- a `where` becomes `agg FILTER (WHERE cond)` on each aggregate, so vars with different `where`
  clauses still share the scan; entities with no matching row get NULL (then default_value);
- `first_value`/`last_value` ordered by the source's event time become `arg_min`/`arg_max`
  aggregates where the engine has them (no sort);
- other window vars are window columns of an inner select over the same rows, partitioned by
  main id (and by the `where` flag), then reduced with `any_value`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from profiles_pipeline.features.definitions import EntityFeatures, EntityVarDef, Source
from profiles_pipeline.features.resolve_vars import joined_var_column
from profiles_pipeline.features.sqlbuild import (
    FULL_FRAME,
    add_filter,
    alias,
    col,
    guarded,
    needs_presence_guard,
    windowed,
)

SRC = "src"
PRIOR = "ev"


@dataclass
class VarColumn:
    var: EntityVarDef
    how: str
    outer: exp.Expression
    inner: exp.Expression | None = None


def pass_name(f: EntityFeatures, src: Source, level: int = 0) -> str:
    return f"{f.entity}__{src.name.lower()}__vars" + (f"_{level}" if level else "")


def pass_query(
    f: EntityFeatures, src: Source, rows: str, variables: list[EntityVarDef], *, arg_min_max: bool,
    prior: tuple[str, list[str]] | None = None,
) -> tuple[exp.Select, list[VarColumn]]:
    """`prior`: (table, var names) of earlier entity vars the vars read, joined onto the rows by
    main id (each as `joined_var_column(name)`)."""
    columns = [var_column(f, src, v, arg_min_max) for v in variables]
    inner_cols = [alias(c.inner, _inner_name(c.var)) for c in columns if c.inner is not None]
    base: exp.Expression = exp.to_table(rows)
    if prior is not None:
        table, names = prior
        base = (
            exp.select(f"{SRC}.*", *[alias(col(n, PRIOR), joined_var_column(n)) for n in names])
            .from_(exp.to_table(rows).as_(SRC))
            .join(exp.to_table(table).as_(PRIOR), on=col(f.main_id, PRIOR).eq(col(f.main_id, SRC)), join_type="LEFT")
            .subquery(SRC)
        )
    relation = base.as_(SRC) if isinstance(base, exp.Table) else base
    if inner_cols:
        relation = exp.select("*", *inner_cols).from_(base.copy()).subquery(SRC)
    query = exp.select(col(f.main_id), *[alias(c.outer, c.var.name) for c in columns])
    return query.from_(relation).group_by(col(f.main_id)), columns


def var_column(f: EntityFeatures, src: Source, v: EntityVarDef, arg_min_max: bool) -> VarColumn:
    where = exp.paren(v.where.copy()) if v.where is not None else None
    if v.window is not None:
        fast = _first_last(f, src, v) if arg_min_max else None
        if fast is not None:
            expr = fast if where is None else exp.Filter(this=fast, expression=exp.Where(this=where))
            return VarColumn(v, "arg_min/arg_max aggregate (no sort)", expr)
        partition = [col(f.main_id), *[p for p in v.window.partition_by if p != col(f.main_id)]]
        if where is not None:
            partition.append(exp.func("COALESCE", where.copy(), exp.false()))
        inner = windowed(v.select, v.window, partition, full_frame=True)
        outer = exp.AnyValue(this=col(_inner_name(v)))
        if where is not None:
            outer = add_filter(outer, where)
        order = ", ".join(o.sql() for o in v.window.order_by)
        return VarColumn(v, f"window column (order by {order}), any_value per entity", outer, inner)
    if where is None:
        return VarColumn(v, "aggregate", v.select.copy())
    expr = add_filter(v.select, where)
    if needs_presence_guard(v.select):
        expr = guarded(expr, where)
    return VarColumn(v, "aggregate with FILTER (where)", expr)


def _inner_name(v: EntityVarDef) -> str:
    return f"__w_{v.name}"


def _first_last(f: EntityFeatures, src: Source, v: EntityVarDef) -> exp.Expression | None:
    """`first_value(x)` over the event time → `arg_min_null(x, t)` (IGNORE NULLS → `arg_min`).

    Only when ordered by the event time column alone, which the point-in-time filter makes
    non-null, so NULL ordering rules cannot differ between the two forms."""
    sel, ignore = v.select, False
    if isinstance(sel, exp.IgnoreNulls):
        sel, ignore = sel.this, True
    if not isinstance(sel, exp.FirstValue | exp.LastValue):
        return None
    arg = sel.this
    if isinstance(arg, exp.IgnoreNulls):
        arg, ignore = arg.this, True
    w = v.window
    if w is None or len(w.order_by) != 1 or any(p != col(f.main_id) for p in w.partition_by):
        return None
    if w.frame is not None and w.frame.sql().upper() != FULL_FRAME.sql().upper():
        return None
    key = w.order_by[0].this
    if not (src.occurred_at and isinstance(key, exp.Column) and key.name.lower() == src.occurred_at.lower()):
        return None
    smallest = isinstance(sel, exp.FirstValue) != bool(w.order_by[0].args.get("desc"))
    name = ("arg_min" if smallest else "arg_max") + ("" if ignore else "_null")
    return exp.Anonymous(this=name, expressions=[arg.copy(), key.copy()])
