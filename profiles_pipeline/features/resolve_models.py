"""Sources (inputs, sql_template models), cohorts and feature tables → resolved definitions."""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from profiles_pipeline.errors import UserError
from profiles_pipeline.features.definitions import CohortDef, FeatureTableDef, Source, SqlModelDef
from profiles_pipeline.features.grains import boundary as grain_boundary
from profiles_pipeline.features.grains import normalize as normalize_grain
from profiles_pipeline.features.ordering import order
from profiles_pipeline.features.relations import input_relation_sql
from profiles_pipeline.features.render import SOURCE_ALIAS, SnippetRenderer, replace_derefs
from profiles_pipeline.features.snippets import timestamp_literal
from profiles_pipeline.spec.input_models import Input, InputId
from profiles_pipeline.spec.model_types import (
    EntityCohortModel,
    FeatureTableModel,
    IdStitcherModel,
    SqlTemplateModel,
)
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter


def point_in_time(relation: exp.Expression, occurred_at: str | None, r: SnippetRenderer) -> exp.Expression:
    """The relation's rows as of end_time, from begin_time when set (rows without an event time
    column are all kept)."""
    if not occurred_at:
        return relation
    cond = exp.LTE(this=exp.column(occurred_at), expression=timestamp_literal(r.end_time))
    if r.begin_time is not None:
        cond = exp.and_(cond, exp.GTE(this=exp.column(occurred_at), expression=timestamp_literal(r.begin_time)))
    return exp.select("*").from_(_as_from(relation)).where(cond).subquery()


def _as_from(relation: exp.Expression) -> exp.Expression:
    rel = relation.copy()
    if isinstance(rel, exp.Subquery) and not rel.alias:
        rel.set("alias", exp.TableAlias(this=exp.to_identifier("rows_")))
    return rel


def resolve_sql_models(
    project: Project, adapter: WarehouseAdapter, r: SnippetRenderer, *, inline: bool = False,
    id_graphs: dict[str, str] | None = None,
) -> dict[str, SqlModelDef]:
    """Every sql_template model, DeRefs replaced by relations, in dependency order. `inline`:
    every model is read as a subquery (ephemeral); `id_graphs`: stitcher name -> the id graph
    relation a DeRef of it reads (the graph as of end_time)."""
    models = [m for m in project.models if isinstance(m, SqlTemplateModel)]
    rendered, deps = {}, {}
    for m in models:
        spec = m.model_spec
        if spec.single_sql is None:
            raise UserError(f"{m.location}: sql_template {m.name} uses multi_sql, which this engine "
                            "does not run yet; write it as single_sql")
        out = _renderer(r, m).render(spec.single_sql, m.loc_of("model_spec"), f"single_sql of {m.name}",
                                     statement=True)
        rendered[m.name] = out
        deps[m.name] = {p.split("/")[-1] for p in out.derefs.values() if p.startswith("models/")}
    ordered = order(deps, "sql_template models (this.DeRef)", lambda n: str(project.models_by_name[n].location))
    defs: dict[str, SqlModelDef] = {}
    for name in ordered:
        m = project.models_by_name[name]
        relations = {ph: _deref(project, adapter, _renderer(r, m), path, defs, m, id_graphs or {})
                     for ph, path in rendered[name].derefs.items()}
        mat = m.model_spec.materialization
        query = (common_column_union(adapter, m, list(relations.values())) if m.model_spec.union_inputs
                 else replace_derefs(rendered[name].tree, relations))
        defs[name] = SqlModelDef(
            name=name,
            query=query,
            output_type="ephemeral" if inline else (mat.output_type if mat and mat.output_type else "ephemeral"),
            deps=deps[name],
            location=m.location,
        )
    return defs


def common_column_union(adapter: WarehouseAdapter, m: SqlTemplateModel, relations: list[exp.Expression]) -> exp.Expression:
    """pb's common_column_union: the relations' rows over the columns every one of them has (by
    name, case-insensitively, in the first one's order), as its Python model computes it."""
    first, *others = [adapter.fetch_with_columns(exp.select("*").from_(_as_from(r)).limit(0))[0] for r in relations]
    other_names = [{c.casefold() for c in columns} for columns in others]
    shared = [c for c in first if all(c.casefold() in names for names in other_names)]
    if not shared:
        raise UserError(f"{m.location}: common_column_union {m.name}: its inputs "
                        f"({', '.join(m.model_spec.union_inputs or [])}) have no column in common")
    selects = [exp.select(*(exp.column(c, quoted=True) for c in shared)).from_(_as_from(r)) for r in relations]
    query = selects[0]
    for select in selects[1:]:
        query = exp.union(query, select, distinct=False)
    return query


def _renderer(r: SnippetRenderer, m: SqlTemplateModel) -> SnippetRenderer:
    """`r`, or `r` as of the model's time grain boundary when it declares one."""
    grain = m.model_spec.time_grain
    return r.at(grain_boundary(grain, r.end_time)) if grain else r


def model_relation(model: SqlModelDef) -> exp.Expression:
    if model.output_type == "ephemeral":
        return exp.Subquery(this=model.query.copy())
    return exp.to_table(model.name)


def _deref(project, adapter, r, path: str, defs: dict[str, SqlModelDef], owner, id_graphs: dict[str, str]) -> exp.Expression:
    target = project.resolve(path)
    if isinstance(target, Input):
        return _input_rows(target, input_relation_sql(adapter, project, target), r)
    if isinstance(target, SqlTemplateModel) and target.name in defs:
        return model_relation(defs[target.name])
    if isinstance(target, IdStitcherModel):
        return exp.to_table(id_graphs.get(target.name, target.name))
    raise UserError(f"{owner.location}: {owner.name}: this.DeRef(\"{path}\") names nothing this engine "
                    "can read (use inputs/<name> or models/<sql_template or id_stitcher name>)")


def _input_rows(target: Input, relation: exp.Expression, r: SnippetRenderer) -> exp.Expression:
    """An input's rows as `this.DeRef("inputs/x")` reads them: its `where:` applied (pb's
    meaning: an input's rows are the filtered ones), as of end_time."""
    if target.where_sql:
        cond = r.render(target.where_sql, target.location, f"where of input {target.name}").tree
        source = relation.copy()
        alias = exp.TableAlias(this=exp.to_identifier(SOURCE_ALIAS))
        source.set("alias", alias)
        relation = exp.select("*").from_(source).where(cond).subquery()
    return point_in_time(relation, target.occurred_at, r)


def resolve_source(
    project: Project, adapter: WarehouseAdapter, r: SnippetRenderer, path: str, entity: str,
    id_types: list[str], models: dict[str, SqlModelDef], owner_location, days: tuple[date, date] | None = None,
    id_graph: str | None = None,
) -> Source:
    """The rows a var or the id stitcher reads from `path` (with `days`, a folder input's files
    that may hold those days only); `id_graph`: the relation of the entity's id graph, which a
    var may aggregate over (`from: models/<its id stitcher>`)."""
    target = project.resolve(path)
    stitcher = project.stitcher_name(entity)
    if path.strip().strip("/").split("/")[-1] == stitcher and not isinstance(target, Input | SqlTemplateModel):
        return Source(path=f"models/{stitcher}", name=stitcher, relation=exp.to_table(id_graph or stitcher),
                      occurred_at=None, ids=[], where=None, location=owner_location, keyed_by_main_id=True)
    if isinstance(target, Input):
        rel, occurred, ids, where_text = (input_relation_sql(adapter, project, target, days), target.occurred_at,
                                          target.ids_for(entity), target.where_sql)
        name, where_loc = target.name, target.location
    elif isinstance(target, SqlTemplateModel) and target.name in models:
        spec = target.model_spec
        rel, occurred, ids, where_text = model_relation(models[target.name]), spec.occurred_at_col, [
            i for i in spec.ids if i.entity == entity], None
        name, where_loc = target.name, target.location
    else:
        raise UserError(f"{owner_location}: `from: {path}` is not an input or sql_template model "
                        f"(inputs: {', '.join(i.name for i in project.inputs) or 'none'})")
    if not ids:
        raise UserError(f"{where_loc}: {path} has no ids of entity {entity}, so its rows cannot be "
                        f"joined to {entity} (add ids with `entity: {entity}`)")
    return Source(
        path=path if path.startswith(("inputs/", "models/")) else f"inputs/{name}",
        name=name,
        relation=rel,
        occurred_at=occurred,
        ids=_ids(r, ids, id_types, where_loc),
        where=r.render(where_text, where_loc, f"where of {name}").tree if where_text else None,
        location=where_loc,
    )


def _ids(r: SnippetRenderer, ids: list[InputId], id_types: list[str], where) -> list[tuple[exp.Expression, str]]:
    rank = {t: i for i, t in enumerate(id_types)}
    # an id of a type the entity does not list is left out, as pb leaves it out
    ordered = sorted((i for i in ids if not rank or i.type in rank), key=lambda i: rank[i.type] if rank else 0)
    return [(r.render(i.select, where, f"ids select {i.select}").tree, i.type) for i in ordered]


def resolve_cohort(project: Project, r: SnippetRenderer, m: EntityCohortModel, entity: str) -> CohortDef:
    spec = m.model_spec
    parent = None
    if spec.extends and spec.extends.startswith("models/"):
        parent = spec.extends.split("/")[-1]
        if not isinstance(project.models_by_name.get(parent), EntityCohortModel):
            raise UserError(f"{m.loc_of('model_spec')}: cohort {m.name} extends {spec.extends}, "
                            "which is not an entity_cohort model")
    elif spec.extends and spec.extends.strip("/") != f"{entity}/all":
        raise UserError(f"{m.loc_of('model_spec')}: cohort {m.name} extends {spec.extends}; "
                        f"use {entity}/all or models/<cohort>")
    text = spec.filter_sql()
    rendered = r.render(text, m.loc_of("model_spec"), f"filters of cohort {m.name}") if text else None
    mat = spec.materialization
    return CohortDef(
        name=m.name,
        parent=parent,
        condition=rendered.tree if rendered else None,
        feature_views=[(fv.id, fv.name) for fv in spec.feature_views],
        output_type=mat.output_type if mat and mat.output_type in ("view", "table") else "table",
        location=m.location,
        referenced_vars={n for e, n in rendered.vars if e in (entity, None)} if rendered else set(),
        main_view=spec.feature_view_name,
        grain=normalize_grain(spec.time_grain) if spec.time_grain else None,
    )


def resolve_feature_table(m: FeatureTableModel) -> FeatureTableDef:
    names = [f.strip("/").split("/")[-1] for f in m.model_spec.features]
    grain = normalize_grain(m.model_spec.time_grain) if m.model_spec.time_grain else None
    return FeatureTableDef(name=m.name, features=names, location=m.location, cohort=m.cohort, grain=grain)
