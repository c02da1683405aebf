"""Project + end_time + engine → `FeaturePlan` (ordered SQL steps)."""

from __future__ import annotations

from datetime import datetime

from profiles_pipeline.features.definitions import EntityFeatures, SqlModelDef
from profiles_pipeline.features.levels import prior_vars_name, var_levels
from profiles_pipeline.features.ordering import order
from profiles_pipeline.features.outputs import (
    cohort_condition,
    cohort_query,
    feature_columns,
    feature_view_name,
    id_view_query,
    select_features,
    var_table_name,
    var_table_query,
)
from profiles_pipeline.features.passes import pass_name, pass_query
from profiles_pipeline.features.plan import FeaturePlan, PlanStep
from profiles_pipeline.features.resolve import resolve_project, visible_vars
from profiles_pipeline.features.rows import rows_name, rows_query
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter

#: Engines with `arg_min_null`/`arg_max_null` (first/last value without a sort).
ARG_MIN_MAX_DIALECTS = frozenset({"duckdb"})


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
    for f in entities:
        _plan_entity(builder, f, end_time, models, begin_time)
    return FeaturePlan(end_time=end_time, dialect=adapter.dialect, steps=builder.steps)


def _graphs(project: Project, given: str | dict[str, str] | None) -> dict[str, str]:
    if isinstance(given, dict):
        return given
    if isinstance(given, str):
        return {e.name: given for e in project.entities}
    return {}


def _model_deps(m: SqlModelDef, models: dict[str, SqlModelDef]) -> list[str]:
    """Materialized models a model reads, looking through ephemeral ones."""
    out: list[str] = []
    for dep in sorted(m.deps):
        d = models[dep]
        out.extend([dep] if d.output_type != "ephemeral" else _model_deps(d, models))
    return out


class _Builder:
    def __init__(self, adapter: WarehouseAdapter):
        self.adapter = adapter
        self.steps: list[PlanStep] = []

    def add(self, name, kind, materialize, query, deps, entity, description, details=None) -> None:
        sql = query.sql(dialect=self.adapter.dialect, pretty=True)
        self.steps.append(PlanStep(name, kind, materialize, query, sql, list(deps), entity, description,
                                   details or []))


def _plan_passes(b: _Builder, f: EntityFeatures, end_time: datetime, models: dict[str, SqlModelDef],
                 begin_time: datetime | None) -> dict[str, list[str]]:
    """A rows view per source, then its scans: one per source for the vars that read no other
    entity var, and one more per level for those that do (see `levels`). Returns {pass: vars}."""
    arg_min_max = b.adapter.dialect in ARG_MIN_MAX_DIALECTS
    levels = var_levels(f)
    rows_of: dict[str, str] = {}
    for path, src in f.sources.items():
        rows = rows_of[path] = rows_name(f, src)
        model = models.get(src.name) if path.startswith("models/") else None
        src_deps = ([src.name] if model.output_type != "ephemeral" else _model_deps(model, models)) if model else []
        ivs = [v.name for v in f.input_vars if v.source == path]
        b.add(rows, "rows", "view", rows_query(f, src, end_time, begin_time), [f.id_graph, *src_deps], f.entity,
              f"rows of {path} as of end_time with {f.main_id}" + (f" and input vars {', '.join(ivs)}" if ivs else ""))
    passes: dict[str, list[str]] = {}
    for level in range(max(levels.values(), default=0) + 1):
        prior = None
        if level:
            below = [v.name for v in f.entity_vars if levels[v.name] < level]
            table = prior_vars_name(f, level)
            b.add(table, "pass", "table", var_table_query(f, passes, end_time, only=set(below)),
                  [f.id_graph, *passes], f.entity,
                  f"entity vars below level {level}, joined onto the rows of the vars that read them")
            prior = (table, below)
        for path, src in f.sources.items():
            variables = [v for v in f.entity_vars if v.source == path and levels[v.name] == level]
            if not variables:
                continue
            query, columns = pass_query(f, src, rows_of[path], variables, arg_min_max=arg_min_max, prior=prior)
            name = pass_name(f, src, level)
            passes[name] = [v.name for v in variables]
            details = [f"{c.var.name}: {c.how}" + (f" where {c.var.where_text.strip()}" if c.var.where_text else "")
                       for c in columns]
            reads = f", reading {prior[0]}" if prior else ""
            b.add(name, "pass", "table", query, [rows_of[path], *([prior[0]] if prior else [])], f.entity,
                  f"one scan of {path}, {len(variables)} vars in one GROUP BY {f.main_id}{reads}", details)
    return passes


def _plan_entity(b: _Builder, f: EntityFeatures, end_time: datetime, models: dict[str, SqlModelDef],
                 begin_time: datetime | None = None) -> None:
    passes = _plan_passes(b, f, end_time, models, begin_time)
    derived = [v.name for v in f.entity_vars if v.is_derived]
    var_table = var_table_name(f)
    b.add(var_table, "var_table", "table", var_table_query(f, passes, end_time), [f.id_graph, *passes], f.entity,
          f"every entity var of {f.entity}, defaults applied",
          [f"derived (dependency order): {', '.join(derived)}"] if derived else [])
    entity_features = feature_columns(f, None, visible_vars(f, None))
    view = feature_view_name(f)
    b.add(view, "feature_view", "view", select_features(var_table, f.main_id, entity_features, end_time), [var_table],
          f.entity, f"{f.main_id} and {len(entity_features)} features")
    for id_type, name in f.using_ids:
        b.add(name, "id_view", "view", id_view_query(f, view, id_type, entity_features), [view, f.id_graph],
              f.entity, f"features of {f.entity} keyed by {id_type} (one row per {id_type} value)")
    cohorts_by_name = {c.name: c for c in f.cohorts}
    for t in f.feature_tables:
        query = select_features(var_table, f.main_id, t.features, end_time)
        if t.cohort and (cond := cohort_condition(f, cohorts_by_name[t.cohort])) is not None:
            query = query.where(cond)
        b.add(t.name, "feature_table", "table", query, [var_table], f.entity,
              f"feature table: {', '.join(t.features)}" + (f" (members of {t.cohort})" if t.cohort else ""))
    by_name = {c.name: c for c in f.cohorts}
    for name in order({c.name: {c.parent} if c.parent else set() for c in f.cohorts}, "cohorts"):
        c = by_name[name]
        cols = feature_columns(f, c.name, visible_vars(f, c.name))
        parent = f"models/{c.parent}" if c.parent else f"{f.entity}/all"
        deps = [var_table] + ([c.parent] if c.parent else [])
        b.add(c.name, "cohort", c.output_type, cohort_query(f, c, cols, end_time), deps, f.entity,
              f"cohort extending {parent}: members and {len(cols)} features")
        for id_type, view_name in c.feature_views:
            b.add(view_name, "id_view", "view", id_view_query(f, c.name, id_type, cols), [c.name, f.id_graph],
                  f.entity, f"cohort {c.name} keyed by {id_type}")

