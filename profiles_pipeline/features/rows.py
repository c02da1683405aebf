"""A source's rows as of end_time, each with its entity's main id and the source's input vars.

The main id of a row comes from the first of its ids (in the entity's id type order) that is
in the id graph; rows none of whose ids are in the graph belong to no entity and are dropped.
"""

from __future__ import annotations

from datetime import datetime

from sqlglot import exp

from profiles_pipeline.features.definitions import EntityFeatures, InputVarDef, Source
from profiles_pipeline.features.ordering import layers
from profiles_pipeline.features.snippets import timestamp_literal
from profiles_pipeline.features.sqlbuild import alias, col, qualify, windowed

SRC = "src"


def rows_name(f: EntityFeatures, src: Source) -> str:
    return f"{f.entity}__{src.name.lower()}__rows"


def base_rows(f: EntityFeatures, src: Source, end_time: datetime, begin_time: datetime | None = None) -> exp.Select:
    """Source rows (point-in-time, from `begin_time` when set, source `where`) with the main id column added."""
    relation = src.relation.copy()
    relation.set("alias", exp.TableAlias(this=exp.to_identifier(SRC)))
    query = exp.select(f"{SRC}.*").from_(relation)
    if src.keyed_by_main_id:  # the id graph as of end_time: every row is one id of its entity
        return query.where(exp.paren(qualify(src.where, SRC))) if src.where is not None else query
    mains = []
    for n, (id_expr, id_type) in enumerate(src.ids):
        g = f"g{n}"
        graph = (
            exp.select(col("other_id"), col(f.main_id))
            .from_(exp.to_table(f.id_graph))
            .where(col("other_id_type").eq(exp.Literal.string(id_type)))
            .subquery(g)
        )
        on = col("other_id", g).eq(exp.cast(qualify(id_expr, SRC), exp.DataType.build("VARCHAR")))
        query = query.join(graph, on=on, join_type="LEFT")
        mains.append(col(f.main_id, g))
    main = mains[0] if len(mains) == 1 else exp.func("COALESCE", *mains)
    query = query.select(alias(main, f.main_id))
    conds: list[exp.Expression] = [main.copy().is_(exp.null()).not_()]
    if src.occurred_at:
        conds.append(exp.LTE(this=col(src.occurred_at, SRC), expression=timestamp_literal(end_time)))
        if begin_time is not None:
            conds.append(exp.GTE(this=col(src.occurred_at, SRC), expression=timestamp_literal(begin_time)))
        if f.not_before is not None and (begin_time is None or begin_time < f.not_before):
            conds.append(exp.GTE(this=col(src.occurred_at, SRC), expression=timestamp_literal(f.not_before)))
    if src.where is not None:
        conds.append(exp.paren(qualify(src.where, SRC)))
    return query.where(exp.and_(*conds))


def rows_query(f: EntityFeatures, src: Source, end_time: datetime, begin_time: datetime | None = None) -> exp.Select:
    """Base rows plus input vars, one nesting level per dependency layer of the input vars."""
    query = base_rows(f, src, end_time, begin_time)
    ivs = {v.name: v for v in f.input_vars if v.source == src.path}
    for layer in layers({n: v.deps for n, v in ivs.items()}, f"input vars of {src.path}"):
        query = exp.select("*", *[alias(input_var_expr(ivs[n], f), n) for n in layer]).from_(
            query.subquery(SRC)
        )
    return query


def input_var_expr(v: InputVarDef, f: EntityFeatures) -> exp.Expression:
    expr = v.select
    if v.window is not None:
        partition = list(v.window.partition_by)
        if v.where is not None:
            partition.append(exp.func("COALESCE", exp.paren(v.where.copy()), exp.false()))
        expr = windowed(expr, v.window, partition, full_frame=False)
    if v.where is not None:
        expr = exp.Case(ifs=[exp.If(this=exp.paren(v.where.copy()), true=expr)])
    if v.default is not None:
        expr = exp.func("COALESCE", expr, v.default.copy())
    return expr
