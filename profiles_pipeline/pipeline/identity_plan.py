"""Spec → `StitcherPlan`: the entity's edge sources with every snippet rendered and transpiled.

Snippets are rendered by the features layer's `SnippetRenderer` (one renderer for every
engine layer) and emitted in the canonical dialect, which is what the identity layer takes.
"""

from __future__ import annotations

from datetime import date, datetime

from profiles_pipeline.features.relations import input_relation_sql
from profiles_pipeline.features.render import SnippetRenderer
from profiles_pipeline.features.resolve_models import resolve_source, resolve_sql_models
from profiles_pipeline.identity import (
    EdgeSource,
    IdFilter,
    IdSelect,
    IdTypeRules,
    SqlList,
    StitcherPlan,
)
from profiles_pipeline.pipeline.partition_span import partition_span
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.model_types import SqlTemplateModel
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import CANONICAL_DIALECT, WarehouseAdapter


def stitcher_plan(
    project: Project, adapter: WarehouseAdapter, entity: str, end_time: datetime, since: datetime | None = None,
    days: tuple[date, date] | None = None,
) -> StitcherPlan:
    """Everything the identity layer needs to build `entity`'s id graph as of `end_time` (from
    the rows at or after `since`, pb's begin_time, when given); with `days`, a folder input is
    read from the files that may hold those days only."""
    ent = project.entity(entity)

    def canonical(tree) -> str:
        """A piece of the plan as canonical SQL text (the identity layer builds around it), its
        reserved-word names quoted for this engine."""
        return adapter.quote_reserved(tree.copy()).sql(dialect=CANONICAL_DIALECT)

    renderer = SnippetRenderer(project, end_time, CANONICAL_DIALECT)
    models = resolve_sql_models(project, adapter, renderer)
    model = project.stitcher_model(entity)
    owner = model.location if model else ent
    sources = []
    first_partition = None  # where rows without an event time sit (looked up once, if any)
    for path in project.edge_sources_for(entity):
        src = resolve_source(project, adapter, renderer, path, entity, ent.id_types, models, owner, days)
        if not src.occurred_at and first_partition is None:
            first_partition = partition_span(project, adapter).first
        sources.append(
            EdgeSource(
                name=src.name,
                relation_sql=f"SELECT * FROM {canonical(src.relation)}",
                occurred_at_col=src.occurred_at or "",
                untimed_day=None if src.occurred_at else first_partition,
                reread=isinstance(project.resolve(path), SqlTemplateModel),
                ids=tuple(IdSelect(canonical(e), t) for e, t in src.ids),
                where_sql=canonical(src.where) if src.where is not None else None,
                relation_key=_relation_key(project, path),
            )
        )
    id_types = {t: _rules(project, adapter, t) for t in ent.id_types}
    return StitcherPlan(
        name=project.stitcher_name(entity),
        entity=entity,
        edge_sources=tuple(sources),
        id_types=id_types,
        main_id_column=ent.main_id_column,
        main_id_type=model.model_spec.main_id_type if model else None,
        since=since,
    )


def _relation_key(project: Project, path: str) -> str:
    """An edge source's rows by where they are configured to be, not by the SQL over them."""
    target = project.resolve(path)
    if isinstance(target, Input):
        ad = target.app_defaults
        return f"{path}|{ad.table or ''}|{ad.view or ''}|{ad.path or ad.csv or ''}|{project.config.landing_zone}"
    if isinstance(target, SqlTemplateModel):
        # Its SQL holds the end time, so it differs every run; its rows are compared each run
        # instead (EdgeSource.reread), and only the days whose edges changed are extracted again.
        return f"{path}|read whole each run"
    return ""


def _rules(project: Project, adapter: WarehouseAdapter, id_type: str) -> IdTypeRules:
    spec = project.id_types_by_name.get(id_type)
    filters = []
    for f in project.id_type_filters(id_type):
        sql = None
        if f.sql is not None:
            target = project.resolve(f.sql.from_)
            relation = adapter.quote_reserved(input_relation_sql(adapter, project, target)).sql(dialect=CANONICAL_DIALECT)
            sql = SqlList(relation_sql=relation, column=f.sql.select)
        filters.append(IdFilter(type=f.type, value=f.value, regex=f.regex, sql=sql))
    return IdTypeRules(
        name=id_type,
        filters=tuple(filters),
        maximum_edges=spec.max_edges_map if spec else {},
        hub_threshold=spec.hub_threshold if spec else None,
        cluster_limit=spec.cluster_limit if spec else None,
        priority=spec.priority if spec else None,
        junk_values=tuple(v.strip().lower() for v in project.config.junk_ids.values),
        drop_control_characters=project.config.junk_ids.control_characters,
    )
