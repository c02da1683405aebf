"""Project + end_time + engine → `FeaturePlan` (ordered SQL steps)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlglot import exp

from profiles_pipeline.features.definitions import EntityFeatures, SqlModelDef
from profiles_pipeline.features.grains import GRAINS, coarser
from profiles_pipeline.features.grains import boundary as grain_boundary
from profiles_pipeline.features.levels import (
    grain_table_name,
    prior_vars_name,
    var_levels,
    vars_by_grain,
)
from profiles_pipeline.features.ordering import order
from profiles_pipeline.features.outputs import (
    cohort_condition,
    cohort_query,
    empty_scores_query,
    feature_columns,
    feature_view_name,
    id_view_query,
    select_features,
    select_grain_features,
    var_table_name,
    var_table_query,
    with_scores,
)
from profiles_pipeline.features.passes import pass_name, pass_query
from profiles_pipeline.features.plan import FeaturePlan, PlanStep
from profiles_pipeline.features.resolve import resolve_project, visible_vars
from profiles_pipeline.features.rows import rows_name, rows_query
from profiles_pipeline.features.sqlbuild import col
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter


def default_end_time() -> datetime:
    """Now, when the caller gives no end time (pb's default)."""
    from profiles_pipeline.instants import now

    return now()


def plan_features(
    project: Project,
    adapter: WarehouseAdapter,
    *,
    end_time: datetime | None = None,
    id_graph_table: str | dict[str, str] | None = None,
    inline_models: bool = False,
    begin_time: datetime | None = None,
) -> FeaturePlan:
    """Every features step of the project, in dependency order, rendered for `adapter`'s engine.

    `id_graph_table`: the id graph to join rows through (one name when the project has one
    entity, or {entity: table}); default: the entity's stitcher table name. `inline_models`:
    read materialized sql_template models as subqueries instead of their tables (a snapshot of
    an earlier time must not use, nor overwrite, the tables of the published one). `begin_time`:
    pb's --begin_time, rows before it are not read."""
    end_time = end_time or default_end_time()
    graphs = _graphs(project, id_graph_table)
    models, entities = resolve_project(project, adapter, end_time, graphs, inline_models=inline_models,
                                       begin_time=begin_time)
    builder = _Builder(adapter)
    for m in models.values():
        if m.output_type != "ephemeral":
            builder.add(m.name, "sql_model", m.output_type, m.query, _model_deps(m, models),
                        None, f"sql_template model {m.name}")
    at_boundary: dict[str, list[EntityFeatures]] = {}

    def at_grain(grain: str, entity: str) -> EntityFeatures:
        """The entity's vars rendered as of the grain's boundary (templates see that end time);
        the project is resolved once per grain, whatever the number of entities."""
        if grain not in at_boundary:
            at_boundary[grain] = resolve_project(project, adapter, grain_boundary(grain, end_time), graphs,
                                                 inline_models=inline_models, begin_time=begin_time)[1]
        return next(e for e in at_boundary[grain] if e.entity == entity)

    for f in entities:
        _plan_entity(builder, f, end_time, models, begin_time, at_grain)
    return FeaturePlan(end_time=end_time, dialect=adapter.dialect, steps=builder.steps)


def _graphs(project: Project, given: str | dict[str, str] | None) -> dict[str, str]:
    if isinstance(given, dict):
        return given
    if isinstance(given, str):
        return {e.name: given for e in project.entities}
    return {}


def _model_deps(m: SqlModelDef, models: dict[str, SqlModelDef]) -> list[str]:
    """Materialized models a model reads, looking through ephemeral ones (an id stitcher it reads
    is built before every features step, so it is no dependency here)."""
    out: list[str] = []
    for dep in sorted(m.deps):
        d = models.get(dep)
        if d is None:
            continue
        out.extend([dep] if d.output_type != "ephemeral" else _model_deps(d, models))
    return out


class _Builder:
    def __init__(self, adapter: WarehouseAdapter):
        self.adapter = adapter
        self.steps: list[PlanStep] = []

    def add(self, name, kind, materialize, query, deps, entity, description, details=None) -> None:
        sql = self.adapter.quote_reserved(query).sql(dialect=self.adapter.dialect, pretty=True)
        self.steps.append(PlanStep(name, kind, materialize, query, sql, list(deps), entity, description,
                                   details or []))


def _plan_passes(b: _Builder, f: EntityFeatures, end_time: datetime, models: dict[str, SqlModelDef],
                 begin_time: datetime | None, names: set[str], external: dict[str, list[str]],
                 suffix: str = "") -> dict[str, list[str]]:
    """The scans that compute the vars `names` of `f` as of `end_time`: per source a rows view,
    one scan for the vars that read no other entity var and one more per level for those that do
    (see `levels`). `external`: tables of vars computed elsewhere (at a coarser time grain) that
    these read. Returns {table: vars} for every pass, external ones included."""
    arg_min_max = b.adapter.arg_min_max
    levels = var_levels(f, names)
    rows_of: dict[str, str] = {}
    for path, src in f.sources.items():
        if suffix and not any(v.source == path and v.name in names for v in f.entity_vars):
            continue
        rows = rows_of[path] = rows_name(f, src) + suffix
        model = models.get(src.name) if path.startswith("models/") else None
        src_deps = ([src.name] if model.output_type != "ephemeral" else _model_deps(model, models)) if model else []
        ivs = [v.name for v in f.input_vars if v.source == path]
        b.add(rows, "rows", "view", rows_query(f, src, end_time, begin_time), [f.id_graph, *src_deps], f.entity,
              f"rows of {path} as of {end_time:%Y-%m-%d %H:%M:%S} with {f.main_id}"
              + (f" and input vars {', '.join(ivs)}" if ivs else ""))
    passes: dict[str, list[str]] = dict(external)
    for level in range(max(levels.values(), default=0) + 1):
        prior = None
        if level:
            below = [n for ns in external.values() for n in ns]
            below += [v.name for v in f.entity_vars if v.name in levels and levels[v.name] < level]
            table = prior_vars_name(f, level) + suffix
            b.add(table, "pass", "table", var_table_query(f, passes, end_time, only=set(below)),
                  [f.id_graph, *passes], f.entity,
                  f"entity vars below level {level}, joined onto the rows of the vars that read them")
            prior = (table, below)
        for path, src in f.sources.items():
            variables = [v for v in f.entity_vars if v.source == path and levels.get(v.name) == level]
            if not variables:
                continue
            query, columns = pass_query(f, src, rows_of[path], variables, arg_min_max=arg_min_max, prior=prior)
            name = pass_name(f, src, level) + suffix
            passes[name] = [v.name for v in variables]
            details = [f"{c.var.name}: {c.how}" + (f" where {c.var.where_text.strip()}" if c.var.where_text else "")
                       for c in columns]
            reads = f", reading {prior[0]}" if prior else ""
            b.add(name, "pass", "table", query, [rows_of[path], *([prior[0]] if prior else [])], f.entity,
                  f"one scan of {path}, {len(variables)} vars in one GROUP BY {f.main_id}{reads}", details)
    return passes


def _external(f: EntityFeatures, names: set[str], grain: str | None, table_of: dict[str, str],
              done: dict[str, list[str]]) -> dict[str, list[str]]:
    """Tables of coarser grains holding vars that the vars `names` (at `grain`) read."""
    out: dict[str, list[str]] = {}
    for name in sorted(names):
        for dep in sorted(f.var(name).deps):
            dep_grain = coarser(grain, f.var(dep).grain)
            if dep_grain != grain:
                table = table_of[dep_grain]
                if dep not in out.setdefault(table, []):
                    out[table].append(dep)
    return {t: [n for n in done[t] if n in ns] for t, ns in out.items()}


def _plan_entity(b: _Builder, f: EntityFeatures, end_time: datetime, models: dict[str, SqlModelDef],
                 begin_time: datetime | None, at_grain: Callable[[str, str], EntityFeatures]) -> None:
    needed = vars_by_grain(f, _grained_output_vars(f))
    done: dict[str, list[str]] = {}  # grain table -> its vars
    table_of: dict[str, str] = {}  # grain -> table
    for grain in sorted((g for g in needed if g), key=GRAINS.index, reverse=True):
        names = needed[grain]
        fg, instant = at_grain(grain, f.entity), grain_boundary(grain, end_time)
        external = _external(f, names, grain, table_of, done)
        passes = _plan_passes(b, fg, instant, models, begin_time, names, external, f"_{grain}")
        table = table_of[grain] = grain_table_name(f, grain)
        done[table] = sorted(names, key=[v.name for v in f.entity_vars].index)
        b.add(table, "pass", "table", var_table_query(fg, passes, instant, only=names), [f.id_graph, *passes],
              f.entity, f"entity vars of time_grain {grain}, as of {instant:%Y-%m-%d %H:%M:%S}")
    names = needed.get(None, set())
    passes = _plan_passes(b, f, end_time, models, begin_time, names, _external(f, names, None, table_of, done))
    # every var of every grain, from its own grain's table (a table may also hold, at its grain,
    # vars of other grains that a coarser var or a grained cohort reads: those come from their own)
    own = {table_of[g]: [n for n in done[table_of[g]] if f.var(n).grain == g] for g in table_of}
    passes.update({t: ns for t, ns in own.items() if ns})
    derived = [v.name for v in f.entity_vars if v.is_derived and v.name in names]
    var_table = var_table_name(f)
    b.add(var_table, "var_table", "table", var_table_query(f, passes, end_time, derive=names),
          [f.id_graph, *passes], f.entity, f"every entity var of {f.entity}, defaults applied",
          [f"derived (dependency order): {', '.join(derived)}"] if derived else [])
    entity_features = feature_columns(f, None, visible_vars(f, None))
    view = feature_view_name(f)
    for table, _, columns in f.scores:
        if not b.adapter.table_exists(table):  # the view reads it before the first scoring fills it
            b.add(table, "scores_placeholder", "table", empty_scores_query(f.main_id, columns), [], f.entity,
                  f"no scores of {table} yet (its first scoring fills it)")
    shown = select_features(var_table, f.main_id, entity_features, end_time)
    b.add(view, "feature_view", "view", with_scores(shown, f.main_id, f.scores),
          [var_table, *[t for t, _, _ in f.scores]], f.entity,
          f"{f.main_id} and {len(entity_features) + sum(len(c) for _, c, _ in f.scores)} features")
    for id_type, name in f.using_ids:
        if id_type == f.main_id:  # pb accepts the main id here: the feature view under another name
            b.add(name, "id_view", "view", exp.select("*").from_(exp.to_table(view)), [view], f.entity,
                  f"features of {f.entity} keyed by {f.main_id} (the feature view {view})")
            continue
        b.add(name, "id_view", "view", id_view_query(f, view, id_type, entity_features), [view, f.id_graph],
              f.entity, f"features of {f.entity} keyed by {id_type} (one row per {id_type} value)")
    cohorts_by_name = {c.name: c for c in f.cohorts}
    for t in f.feature_tables:
        source, deps, as_of = var_table, [var_table], end_time
        if t.grain:  # as of the grain's boundary, from that grain's table
            source, as_of = table_of[t.grain], grain_boundary(t.grain, end_time)
            deps = [source]
            query = select_grain_features(source, f.main_id, t.features, as_of)
        else:
            query = select_features(var_table, f.main_id, t.features, end_time)
        if t.cohort and (cond := cohort_condition(f, cohorts_by_name[t.cohort])) is not None:
            query = query.where(cond)
        grain = f", time_grain {t.grain}, as of {as_of:%Y-%m-%d %H:%M:%S}" if t.grain else ""
        b.add(t.name, "feature_table", "table", query, deps, f.entity,
              f"feature table: {', '.join(t.features)}" + (f" (members of {t.cohort})" if t.cohort else "") + grain)
    by_name = {c.name: c for c in f.cohorts}
    for name in order({c.name: {c.parent} if c.parent else set() for c in f.cohorts}, "cohorts"):
        c = by_name[name]
        cols = feature_columns(f, c.name, visible_vars(f, c.name))
        parent = f"models/{c.parent}" if c.parent else f"{f.entity}/all"
        deps = [var_table] + ([c.parent] if c.parent else [])
        if c.grain:  # members and features as of the grain's boundary, from that grain's table
            instant = grain_boundary(c.grain, end_time)
            query = cohort_query(f, c, cols, instant, source=table_of[c.grain])
            deps = [table_of[c.grain]] + ([c.parent] if c.parent else [])
            what = f"cohort extending {parent}, time_grain {c.grain}: members and {len(cols)} features as of {instant:%Y-%m-%d %H:%M:%S}"
        else:
            query, what = cohort_query(f, c, cols, end_time), f"cohort extending {parent}: members and {len(cols)} features"
        b.add(c.name, "cohort", c.output_type, query, deps, f.entity, what)
        if c.main_view:
            b.add(c.main_view, "id_view", "view", exp.select("*").from_(exp.to_table(c.name)), [c.name],
                  f.entity, f"cohort {c.name} keyed by {f.main_id}")
        for id_type, view_name in c.feature_views:
            b.add(view_name, "id_view", "view", id_view_query(f, c.name, id_type, cols), [c.name, f.id_graph],
                  f.entity, f"cohort {c.name} keyed by {id_type}")
    _pb_views(b, f, view)


def _grained_output_vars(f: EntityFeatures) -> list[tuple[str, str]]:
    """(grain, var) for every var a cohort or feature table with a time_grain shows or filters on
    (a cohort's ancestors' filters too): they are computed at that grain's boundary."""
    by_name = {c.name: c for c in f.cohorts}
    out = [(t.grain, n) for t in f.feature_tables if t.grain for n in t.features if f.var(n) is not None]
    for c in f.cohorts:
        if not c.grain:
            continue
        chain, at = [], c
        while at is not None:
            chain.append(at)
            at = by_name.get(at.parent) if at.parent else None
        names = {n for x in chain for n in x.referenced_vars} | set(feature_columns(f, c.name, visible_vars(f, c.name)))
        out += [(c.grain, n) for n in sorted(names) if f.var(n) is not None]
    return out


def _pb_views(b: _Builder, f: EntityFeatures, view: str) -> None:
    """The views pb publishes beside ours, under pb's names, so what reads a pb project's outputs
    finds them: `<entity>_all` (every main id: pb's default cohort), and per cohort
    `<entity>_<cohort>` (its members' main ids) and `<cohort>_feature_view` (members and
    features; unless the cohort names its feature view). A name the project already uses wins."""
    taken = {s.name for s in b.steps}

    def add(name: str, query: exp.Select, source: str, what: str) -> None:
        if name not in taken:
            taken.add(name)
            b.add(name, "pb_view", "view", query, [source], f.entity, what)

    add(f"{f.entity}_all", exp.select(col(f.main_id)).from_(exp.to_table(view)), view,
        f"pb's default cohort {f.entity}/all: every {f.main_id}")
    for c in f.cohorts:
        add(f"{f.entity}_{c.name}", exp.select(col(f.main_id)).from_(exp.to_table(c.name)), c.name,
            f"pb's name for the members of cohort {c.name}")
        if not c.main_view:
            add(f"{c.name}_feature_view", exp.select("*").from_(exp.to_table(c.name)), c.name,
                f"pb's name for cohort {c.name} with its features")

