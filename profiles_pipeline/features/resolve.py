"""Project → `EntityFeatures` for each entity, with every cross-reference checked."""

from __future__ import annotations

from datetime import datetime, time

from profiles_pipeline.errors import UserError
from profiles_pipeline.features.definitions import EntityFeatures, EntityVarDef, SqlModelDef
from profiles_pipeline.features.grains import normalize as normalize_grain
from profiles_pipeline.features.ordering import order
from profiles_pipeline.features.render import SnippetRenderer
from profiles_pipeline.features.resolve_models import (
    resolve_cohort,
    resolve_feature_table,
    resolve_source,
    resolve_sql_models,
)
from profiles_pipeline.features.resolve_vars import (
    main_id_aliases,
    resolve_entity_var,
    resolve_input_var,
    var_groups_of,
)
from profiles_pipeline.spec.model_types import EntityCohortModel, FeatureTableModel
from profiles_pipeline.spec.project import Project
from profiles_pipeline.spec.var_models import EntityVar, InputVar
from profiles_pipeline.warehouse.base import WarehouseAdapter


def resolve_project(
    project: Project, adapter: WarehouseAdapter, end_time: datetime, id_graphs: dict[str, str] | None = None,
    *, inline_models: bool = False, begin_time: datetime | None = None,
) -> tuple[dict[str, SqlModelDef], list[EntityFeatures]]:
    r = SnippetRenderer(project, end_time, adapter.dialect, begin_time)
    stitchers = {project.stitcher_name(e): g for e, g in (id_graphs or {}).items()}
    models = resolve_sql_models(project, adapter, r, inline=inline_models, id_graphs=stitchers)
    entities = [
        resolve_entity(project, adapter, r, e.name, (id_graphs or {}).get(e.name), models)
        for e in project.entities
    ]
    return models, entities


def resolve_entity(
    project: Project, adapter: WarehouseAdapter, r: SnippetRenderer, entity: str,
    id_graph: str | None, models: dict[str, SqlModelDef],
) -> EntityFeatures:
    ent = project.entity(entity)
    main_id, aliases = ent.main_id_column, main_id_aliases(entity, ent.main_id_column)
    groups = var_groups_of(project, entity)
    sources, input_vars, entity_vars = {}, [], []

    def source(path: str, where) -> str:
        if path not in sources:
            src = resolve_source(project, adapter, r, path, entity, ent.id_types, models, where,
                                 id_graph=id_graph or project.stitcher_name(entity))
            sources[path] = src
        return path

    iv_names: dict[str, set[str]] = {}
    for _, group in groups:
        for v in group.variables:
            if isinstance(v, InputVar):
                iv_names.setdefault(_norm(v.from_), set()).add(v.name)
    for cohort, group in groups:
        grain = normalize_grain(group.time_grain)
        for v in group.variables:
            if isinstance(v, InputVar):
                path = source(_norm(v.from_), v.loc_of("from"))
                input_vars.append(resolve_input_var(r, v, path, main_id, aliases, iv_names[_norm(v.from_)]))
            elif isinstance(v, EntityVar):
                path = source(_norm(v.from_), v.loc_of("from")) if v.from_ else None
                entity_vars.append(resolve_entity_var(r, v, entity, path, cohort, main_id, aliases, grain))
    _check_vars(entity_vars, entity)
    cohort_models = [m for m in project.models if isinstance(m, EntityCohortModel)
                     and project.cohort_entity(m.name) == entity]
    cohorts = [resolve_cohort(project, r, m, entity) for m in cohort_models]
    by_name = {c.name: c for c in cohorts}
    order({c.name: {c.parent} if c.parent else set() for c in cohorts}, "cohorts (extends)",
          lambda n: str(by_name[n].location))
    features = EntityFeatures(
        entity=entity,
        main_id=main_id,
        id_types=list(ent.id_types),
        id_graph=id_graph or project.stitcher_name(entity),
        sources=sources,
        input_vars=input_vars,
        entity_vars=entity_vars,
        using_ids=ent.using_id_views(),
        feature_view=ent.feature_view_name,
        cohorts=cohorts,
        feature_tables=[resolve_feature_table(m) for m in project.models
                        if isinstance(m, FeatureTableModel) and project.feature_table_entity(m) == entity],
        not_before=datetime.combine(project.config.believable_from, time.min),
        scores=_scores(project, entity),
    )
    _check_cohorts(features)
    _check_feature_tables(features)
    return features


def _norm(path: str) -> str:
    path = path.strip().strip("/")
    return path if "/" in path else f"inputs/{path}"


def visible_vars(features: EntityFeatures, cohort: str | None) -> set[str]:
    """Vars defined for a cohort: the entity's own vars plus those of the cohort and its ancestors."""
    chain, by_name = set(), {c.name: c for c in features.cohorts}
    while cohort is not None and cohort not in chain:
        chain.add(cohort)
        cohort = by_name[cohort].parent if cohort in by_name else None
    return {v.name for v in features.entity_vars if v.cohort is None or v.cohort in chain}


def _check_vars(entity_vars: list[EntityVarDef], entity: str) -> None:
    seen: dict[str, EntityVarDef] = {}
    for v in entity_vars:
        if v.name in seen:
            raise UserError(f"{v.location}: entity_var {v.name} is already defined at {seen[v.name].location}")
        seen[v.name] = v
    for v in entity_vars:
        for dep in sorted(v.deps):
            target = seen.get(dep)
            if target is None:
                raise UserError(f"{v.location}: entity_var {v.name} refers to {entity}.Var(\"{dep}\"), "
                                f"which is not defined (entity vars of {entity}: {', '.join(seen)})")
            if target.cohort is not None and target.cohort != v.cohort:
                raise UserError(f"{v.location}: entity_var {v.name} refers to {dep}, which is defined only "
                                f"for cohort {target.cohort}")
    order({v.name: v.deps for v in entity_vars}, f"entity vars of {entity}",
          lambda n: str(seen[n].location))


def _check_cohorts(features: EntityFeatures) -> None:
    for c in features.cohorts:
        parent_vars = visible_vars(features, c.parent)
        parent = f"models/{c.parent}" if c.parent else f"{features.entity}/all"
        scores = {n for _, _, cols in features.scores for n in cols}
        if c.grain and c.referenced_vars & scores:
            raise UserError(f"{c.location}: cohort {c.name} has a time_grain and filters on propensity scores "
                            f"({', '.join(sorted(c.referenced_vars & scores))}), which are only as of each run")
        for name in sorted(c.referenced_vars - parent_vars - scores):
            raise UserError(
                f"{c.location}: cohort {c.name} filters on var {name}, which is not defined for its "
                f"parent {parent} (vars defined there: {', '.join(sorted(parent_vars)) or 'none'})"
            )


def _check_feature_tables(features: EntityFeatures) -> None:
    defined = visible_vars(features, None)
    for t in features.feature_tables:
        for name in t.features:
            if name not in defined:
                raise UserError(f"{t.location}: feature_table_model {t.name} lists feature {name}, "
                                f"which is not an entity var of {features.entity}")


def _scores(project: Project, entity: str) -> list[tuple[str, list[str], list[str]]]:
    """The propensity models of `entity`: their scores tables and output columns (pb makes the
    outputs with is_feature features of the entity)."""
    return [(model, [c.name for c in columns if c.is_feature], [c.name for c in columns])
            for model, columns in project.prediction_outputs(entity)]
