"""Queries of the entity's outputs: the var table (every entity var, defaults applied, derived
vars in dependency order), the feature view, views keyed by an id type, feature tables, cohorts."""

from __future__ import annotations

from datetime import datetime

from sqlglot import exp

from profiles_pipeline.features.definitions import CohortDef, EntityFeatures, EntityVarDef
from profiles_pipeline.features.ordering import layers
from profiles_pipeline.features.snippets import timestamp_literal
from profiles_pipeline.features.sqlbuild import alias, col, windowed

VALID_AT = "valid_at"


def var_table_name(f: EntityFeatures) -> str:
    return f"{f.entity}_var_table"


def feature_view_name(f: EntityFeatures) -> str:
    return f.feature_view or f"{f.entity}_feature_view"


def var_table_query(f: EntityFeatures, passes: dict[str, list[str]], end_time: datetime,
                    only: set[str] | None = None, derive: set[str] | None = None) -> exp.Select:
    """`passes` maps each pass table to the vars it holds; `only`: just these vars (the ones
    computed so far, which later scans read); `derive`: the derived vars to compute here (default:
    those of `only`; the others come from `passes`)."""
    derive = derive if derive is not None else only
    e = "e"
    query = exp.select(col(f.main_id, e)).from_(
        exp.select(col(f.main_id)).distinct().from_(exp.to_table(f.id_graph)).subquery(e)
    )
    for n, (table, names) in enumerate(passes.items()):
        p = f"p{n}"
        query = query.join(exp.to_table(table).as_(p), on=col(f.main_id, p).eq(col(f.main_id, e)),
                           join_type="LEFT")
        for name in names:
            query = query.select(alias(_with_default(col(name, p), f.var(name).default), name))
    derived = {v.name: v for v in f.entity_vars if v.is_derived and (derive is None or v.name in derive)}
    for layer in layers({n: v.deps for n, v in derived.items()}, f"entity vars of {f.entity}"):
        exprs = [alias(_with_default(_derived_expr(derived[n]), derived[n].default), n) for n in layer]
        query = exp.select("*", *exprs).from_(query.subquery("v"))
    final = [col(f.main_id), *[_typed(v) for v in f.entity_vars if only is None or v.name in only]]
    return exp.select(*final, alias(timestamp_literal(end_time), VALID_AT)).from_(query.subquery("v"))


def _typed(v: EntityVarDef) -> exp.Expression:
    """The var's column, cast to its `column_data_type` when it has one."""
    return col(v.name) if v.data_type is None else alias(exp.cast(col(v.name), v.data_type.copy()), v.name)


def _derived_expr(v: EntityVarDef) -> exp.Expression:
    """A derived var's select; with `window:`, its window functions and aggregates range over the
    entities (one row each), e.g. `rank()` ordered by another var."""
    if v.window is None:
        return v.select.copy()
    return windowed(v.select, v.window, list(v.window.partition_by), full_frame=False)


def _with_default(expr: exp.Expression, default: exp.Expression | None) -> exp.Expression:
    return expr if default is None else exp.func("COALESCE", expr, default.copy())


def feature_columns(f: EntityFeatures, cohort: str | None, visible: set[str]) -> list[str]:
    """Features shown for the entity (cohort None) or a cohort: is_feature vars visible to it."""
    return [v.name for v in f.entity_vars if v.is_feature and v.name in visible]


def select_features(source: str, main_id: str, names: list[str], valid_at: datetime | None = None) -> exp.Select:
    """The features of one snapshot of the var table `source` (`valid_at`; every row when None)."""
    query = exp.select(col(main_id), *[col(n) for n in names], col(VALID_AT)).from_(exp.to_table(source))
    return query if valid_at is None else query.where(col(VALID_AT).eq(timestamp_literal(valid_at)))


def with_scores(features: exp.Select, main_id: str, scores: list[tuple[str, list[str], list[str]]]) -> exp.Select:
    """The feature view with each propensity model's feature columns (left-joined by main id)."""
    if not any(cols for _, cols, _ in scores):
        return features
    query = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("f"))).from_(features.subquery("f"))
    for i, (table, cols, _) in enumerate(scores):
        if cols:
            s = f"s{i}"
            query = query.select(*[col(c, s) for c in cols]).join(
                exp.to_table(table).as_(s), on=col(main_id, s).eq(col(main_id, "f")), join_type="left")
    return query


def empty_scores_query(main_id: str, columns: list[str]) -> exp.Select:
    """An empty scores table of the right shape (main id, score, percentile, model id, valid_at)."""
    typed = [(main_id, "varchar"), *[(c, "double") for c in columns], ("model_id", "varchar"), (VALID_AT, "timestamp")]
    return exp.select(*[alias(exp.cast(exp.null(), t), n) for n, t in typed]).where(exp.false())


def select_grain_features(source: str, main_id: str, names: list[str], valid_at: datetime) -> exp.Select:
    """The features `names` from a time grain's table `source` (one row per main id, as of that
    grain's boundary `valid_at`, which becomes the rows' valid_at)."""
    return exp.select(col(main_id), *[col(n) for n in names],
                      alias(timestamp_literal(valid_at), VALID_AT)).from_(exp.to_table(source))


def id_view_query(f: EntityFeatures, source: str, id_type: str, names: list[str]) -> exp.Select:
    """One row per id value of `id_type`, with the features of its entity."""
    g, s = "g", "s"
    return (
        exp.select(alias(col("other_id", g), id_type), *[col(n, s) for n in names], col(VALID_AT, s))
        .from_(exp.to_table(f.id_graph).as_(g))
        .join(exp.to_table(source).as_(s), on=col(f.main_id, s).eq(col(f.main_id, g)))
        .where(col("other_id_type", g).eq(exp.Literal.string(id_type)))
    )


def cohort_condition(f: EntityFeatures, cohort: CohortDef) -> exp.Expression | None:
    """The cohort's filters ANDed with those of all its ancestors."""
    by_name = {c.name: c for c in f.cohorts}
    conds, current = [], cohort
    while current is not None:
        if current.condition is not None:
            conds.insert(0, exp.paren(current.condition.copy()))
        current = by_name.get(current.parent) if current.parent else None
    return exp.and_(*conds) if conds else None


def cohort_query(f: EntityFeatures, cohort: CohortDef, names: list[str], valid_at: datetime,
                 source: str | None = None) -> exp.Select:
    """Members of the cohort in the var table's snapshot at `valid_at`; `source`: a table of one
    time grain's values instead (a cohort with a time_grain), whose rows are as of `valid_at`."""
    if source is not None:
        query = select_grain_features(source, f.main_id, names, valid_at)
        cond = cohort_condition(f, cohort)
        return query.where(cond) if cond is not None else query
    query = select_features(var_table_name(f), f.main_id, names, valid_at)
    cond = cohort_condition(f, cohort)
    if cond is None:
        return query
    used = {c.name for c in cond.find_all(exp.Column)}
    scored = [(table, cols) for table, _, cols in f.scores if used & set(cols)]
    if not scored:
        return query.where(cond)
    # filters on propensity scores: the snapshot's rows (every var, for the filters) joined to the scores
    snapshot = exp.select("*").from_(exp.to_table(var_table_name(f))).where(
        col(VALID_AT).eq(timestamp_literal(valid_at)))
    joined = exp.select(*[col(n, "f") for n in (f.main_id, *names, VALID_AT)]).from_(snapshot.subquery("f"))
    owners: dict[str, str] = {}
    for i, (table, cols) in enumerate(scored):
        joined = joined.join(exp.to_table(table).as_(f"s{i}"), join_type="left",
                             on=col(f.main_id, f"s{i}").eq(col(f.main_id, "f")))
        owners.update({c: f"s{i}" for c in cols})
    return joined.where(_qualified(cond, owners, "f"))


def _qualified(cond: exp.Expression, owners: dict[str, str], default: str) -> exp.Expression:
    """`cond` with each unqualified column given its table: a scores table's alias, else `default`."""
    cond = cond.copy()
    for c in cond.find_all(exp.Column):
        if not c.table:
            c.set("table", exp.to_identifier(owners.get(c.name, default)))
    return cond
