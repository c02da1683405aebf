"""Name checks: duplicates, id types, entities, the SQL dialect and id-type regexes."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlglot.dialects.dialect import Dialects

from profiles_pipeline.errors import Location
from profiles_pipeline.spec.check_context import CheckContext
from profiles_pipeline.spec.hints import did_you_mean
from profiles_pipeline.spec.model_types import (
    EntityCohortModel,
    FeatureTableModel,
    IdStitcherModel,
    PropensityModel,
    SqlTemplateModel,
)

DIALECTS = sorted(d.value for d in Dialects if d.value)


def check_names(ctx: CheckContext) -> None:
    p = ctx.project
    _duplicates(ctx, "entity", p.entities)
    _duplicates(ctx, "id type", p.id_types)
    _duplicates(ctx, "input", p.inputs)
    _duplicates(ctx, "model", p.models)
    _duplicates(ctx, "macro", p.macros, same=lambda a, b: (a.inputs, a.value) == (b.inputs, b.value))
    for entity in p.entities:
        _duplicates(ctx, f"var of entity '{entity.name}'", p.vars_for(entity.name))
    _dialect(ctx)
    _id_types(ctx)
    _entities(ctx)
    _relation_names(ctx)


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _is_plain_name(name: str) -> bool:
    """Whether `name` can be a table name as generated SQL writes it: a plain identifier (a
    reserved word such as `order` is one: generated SQL quotes it, `WarehouseAdapter.quote_reserved`)."""
    return bool(_PLAIN.match(name))


def _plain(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_") or "model"


def _relation_names(ctx: CheckContext) -> None:
    """Models and views become tables and views named after them: a name with spaces or dashes
    is not one the SQL built around it can hold."""
    p = ctx.project
    for model in p.models:
        if not _is_plain_name(model.name):
            ctx.add(model.loc_of("name"), f"model '{model.name}': the name is not usable as a table name "
                    "(not a plain identifier: letters, digits and _)", f"rename it, e.g. {_plain(model.name)}", "bad_name")
    for model in p.models:
        name = getattr(model.model_spec, "feature_view_name", None)
        if name and not _is_plain_name(name):
            ctx.add(model.model_spec.loc_of("feature_views"), f"feature view '{name}' of cohort '{model.name}': the "
                    "name is not usable as a view name (not a plain identifier: letters, digits and _)",
                    f"rename it, e.g. {_plain(name)}", "bad_name")
    for entity in p.entities:
        names = [entity.feature_view_name, *(n for _, n in entity.using_id_views())]
        for name in names:
            if not _is_plain_name(name):
                ctx.add(entity.loc_of("feature_views"), f"feature view '{name}' of entity '{entity.name}': the name "
                        "is not usable as a view name (not a plain identifier: letters, digits and _)",
                        f"rename it, e.g. {_plain(name)}", "bad_name")


def _duplicates(ctx: CheckContext, what: str, items: Iterable, same=None) -> None:
    """Two items with one name are an error, unless `same` says they are the same definition
    (a macro declared twice alike, as pb's sample projects do, is one macro)."""
    first: dict[str, object] = {}
    for item in items:
        if item.name in first and same is not None and same(first[item.name], item):
            continue
        if item.name in first:
            earlier = first[item.name].location  # type: ignore[attr-defined]
            ctx.add(
                item.location,
                f"duplicate {what} '{item.name}' (first declared at {earlier.file}:{earlier.line})",
                "names must be unique; rename or remove one of them",
                "duplicate",
            )
        else:
            first[item.name] = item


def _dialect(ctx: CheckContext) -> None:
    config = ctx.project.config
    if config.sql_dialect not in DIALECTS:
        ctx.add(
            config.loc_of("sql_dialect"),
            f"unknown sql_dialect '{config.sql_dialect}'",
            did_you_mean(config.sql_dialect, DIALECTS, "sqlglot dialects"),
            "unknown_dialect",
        )


def _id_type(ctx: CheckContext, where: Location, name: str, allowed: Iterable[str] | None = None) -> None:
    known = set(allowed) if allowed is not None else ctx.id_type_names
    if name not in known:
        ctx.unknown(where, "id type", name, known, "id_types")


def _id_types(ctx: CheckContext) -> None:
    for id_type in ctx.project.id_types:
        if id_type.extends:
            _id_type(ctx, id_type.loc_of("extends"), id_type.extends)
        for i, item in enumerate(id_type.maximum_edges):
            for other in item:
                _id_type(ctx, id_type.loc_of("maximum_edges", i), other)
        for flt in id_type.filters:
            if flt.regex is not None:
                try:
                    re.compile(flt.regex)
                except re.error as exc:
                    ctx.add(flt.loc_of("regex"), f"bad regex {flt.regex!r} in id type '{id_type.name}': {exc}",
                            "regexes use the warehouse's POSIX-like syntax; escape special characters with \\", "bad_regex")
            if flt.sql is not None:
                ctx.check_path(flt.sql.loc_of("from"), flt.sql.from_)


def _entities(ctx: CheckContext) -> None:
    p = ctx.project
    for entity in p.entities:
        for i, name in enumerate(entity.id_types):
            _id_type(ctx, entity.loc_of("id_types", i), name)
        for view, (_, view_name) in zip(entity.feature_views.using_ids, entity.using_id_views(), strict=True):
            if view.id not in entity.id_types and view.id != entity.main_id_column:
                ctx.add(view.loc_of("id"), f"feature view '{view_name}' uses id '{view.id}', which is not an id type of entity '{entity.name}'",
                        did_you_mean(view.id, entity.id_types, f"id types of {entity.name}"), "unknown_id_types")
        if entity.id_stitcher:
            target = p.resolve(entity.id_stitcher)
            if target is None:
                ctx.check_path(entity.loc_of("id_stitcher"), entity.id_stitcher, ("models",))
            elif not isinstance(target, IdStitcherModel):
                ctx.add(entity.loc_of("id_stitcher"), f"'{entity.id_stitcher}' is not an id_stitcher model", None, "bad_path")
    for inp in p.inputs:
        for id_ in inp.app_defaults.ids:
            _input_id(ctx, id_)
    for model in p.models:
        spec = model.model_spec
        if isinstance(model, SqlTemplateModel):
            for id_ in spec.ids:
                _input_id(ctx, id_)
        if isinstance(model, FeatureTableModel) and spec.entity_key is None:
            if spec.entity_cohort is None:
                ctx.add(spec.location, f"model {model.name}: a feature_table_model needs entity_key or entity_cohort",
                        "e.g. entity_key: user", "missing_key")
            elif model.cohort not in {m.name for m in p.models_of_type("entity_cohort")}:
                ctx.unknown(spec.loc_of("entity_cohort"), "cohort", spec.entity_cohort,
                            [f"models/{m.name}" for m in p.models_of_type("entity_cohort")], "models")
        elif isinstance(model, IdStitcherModel | FeatureTableModel | PropensityModel) and spec.entity_key not in ctx.entity_names:
            ctx.unknown(spec.loc_of("entity_key"), "entity", spec.entity_key, ctx.entity_names, "entities")
        if isinstance(model, IdStitcherModel) and spec.main_id_type:
            entity_types = _entity_types(ctx, spec.entity_key)
            _id_type(ctx, spec.loc_of("main_id_type"), spec.main_id_type, entity_types)
        if isinstance(model, EntityCohortModel):
            entity = p.cohort_entity(model.name)
            for view in spec.feature_views:
                _id_type(ctx, view.loc_of("id"), view.id, _entity_types(ctx, entity) if entity else None)
    for group in p.var_groups:
        if group.entity_key is None and group.entity_cohort is None:
            ctx.add(group.location, f"var_group '{group.name}' needs entity_key (or entity_cohort)", None, "missing_key")
        elif group.entity_key and group.entity_key not in ctx.entity_names:
            ctx.unknown(group.loc_of("entity_key"), "entity", group.entity_key, ctx.entity_names, "entities")
        elif group.entity_cohort:
            ctx.check_path(group.loc_of("entity_cohort"), group.entity_cohort, ("models",))


def _entity_types(ctx: CheckContext, entity: str | None) -> list[str] | None:
    match = [e for e in ctx.project.entities if e.name == entity]
    return match[0].id_types if match else None


def _input_id(ctx: CheckContext, id_) -> None:
    if id_.entity not in ctx.entity_names:
        ctx.unknown(id_.loc_of("entity"), "entity", id_.entity, ctx.entity_names, "entities")
        return
    if id_.type not in ctx.id_type_names:
        _id_type(ctx, id_.loc_of("type"), id_.type)
    # An id of a type the entity does not list is ignored, as pb ignores it (validate's summary
    # lists them: `ignored_ids`).
