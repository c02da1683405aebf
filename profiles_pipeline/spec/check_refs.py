"""Reference checks: inputs/models in from, edge_sources, DeRef; vars in Var(); macros; cohorts,
feature tables and propensity inputs; stitchers that would have no edges."""

from __future__ import annotations

from profiles_pipeline.errors import Location
from profiles_pipeline.spec.check_context import CheckContext
from profiles_pipeline.spec.hints import did_you_mean
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.model_types import (
    ActivationModel,
    EntityCohortModel,
    FeatureTableModel,
    IdStitcherModel,
    PropensityModel,
    SqlTemplateModel,
)
from profiles_pipeline.spec.packages import missing_package_problem, missing_packages
from profiles_pipeline.spec.project import package_local_path
from profiles_pipeline.spec.snippets import Snippet, project_snippets

PB_PATHS = ("inputs", "models")


def check_refs(ctx: CheckContext) -> None:
    p = ctx.project
    _packages(ctx)
    for group in p.var_groups:
        for var in group.variables:
            if var.from_:
                ctx.check_path(var.loc_of("from"), var.from_)
            if var.dependencies:
                _dependencies(ctx, var)
            if var.tags and (tags := _available_tags(p)):
                for i, tag in enumerate(var.tags):
                    if tag not in tags:
                        ctx.unknown(var.loc_of("tags", i), f"tag of {var.kind.replace('_', ' ')} {var.name}", tag,
                                    sorted(tags), "available_tags")
    for model in p.models:
        spec = model.model_spec
        if isinstance(model, IdStitcherModel):
            _stitcher(ctx, model)
        elif isinstance(model, EntityCohortModel):
            _cohort(ctx, model)
        elif isinstance(model, FeatureTableModel):
            entity = p.feature_table_entity(model)
            if entity is None:
                continue
            known = {v.name for v in p.entity_vars_for(entity)}
            known |= {v.name for g in p.var_groups if model.cohort and g.entity_cohort
                      and g.entity_cohort.strip("/").split("/")[-1] == model.cohort for v in g.variables}
            for i, feature in enumerate(spec.features):
                if feature.strip("/").split("/")[-1] not in known:
                    ctx.unknown(spec.loc_of("features", i), f"feature (entity var of '{entity}')", feature, known, "vars")
        elif isinstance(model, PropensityModel):
            _propensity(ctx, model)
        elif isinstance(model, ActivationModel):
            _activation(ctx, model)
    for entity in p.entities:
        if entity.id_stitcher and p.stitcher_model(entity.name) is None:
            continue  # the id_stitcher path itself is reported as unknown or invalid
        if not ctx.incomplete and not p.edge_sources_for(entity.name):
            stitcher = p.stitcher_model(entity.name)
            where = stitcher.model_spec.loc_of("edge_sources") if stitcher else entity.location
            ctx.add(where, f"the id stitcher of entity '{entity.name}' has no edge sources",
                    "list inputs under edge_sources, or mark input ids with to_default_stitcher: true", "no_edges")
    for snippet in project_snippets(p):
        _template_refs(ctx, snippet)


def _available_tags(p) -> set[str]:
    """The tags pb_project.yaml's available_tags declares (none declared: any tag goes)."""
    return {str((t.model_extra or {}).get("name")) for t in p.config.available_tags if (t.model_extra or {}).get("name")}


def _packages(ctx: CheckContext) -> None:
    """pb fetches `packages:` from git; this engine reads a package from its local path or from
    its copy vendored at `packages/<name>/` (spec/packages.py)."""
    config = ctx.project.config
    for entry in missing_packages(ctx.project):
        ctx.problems.append(missing_package_problem(entry, config.loc_of("packages", entry.index)))


def _dependencies(ctx: CheckContext, var) -> None:
    """`dependencies:` names vars of the same entity (entity vars; input vars of its `from`)."""
    p = ctx.project
    known = {v.name for v in p.entity_vars_for(var.entity)} if var.entity else set()
    known |= {v.name for g in p.var_groups for v in g.variables if getattr(v, "kind", "") == "input_var"}
    for i, name in enumerate(var.dependencies):
        if name not in known:
            ctx.unknown(var.loc_of("dependencies", i), f"var in dependencies of {var.name}", name, known, "vars")


def _stitcher(ctx: CheckContext, model: IdStitcherModel) -> None:
    sources = model.model_spec.edge_sources
    for source in sources or []:
        ctx.check_path(source.location, source.from_)


def _cohort(ctx: CheckContext, model: EntityCohortModel) -> None:
    spec = model.model_spec
    parent = spec.extends
    if parent is None:
        return
    parts = parent.strip("/").split("/")
    if parts[0] == "models":
        target = ctx.project.resolve(parent)
        if target is None:
            ctx.unknown(spec.loc_of("extends"), "cohort", parts[-1] if len(parts) > 1 else parent,
                        [c.name for c in ctx.cohorts()], "models")
        elif not isinstance(target, EntityCohortModel):
            ctx.add(spec.loc_of("extends"), f"'{parent}' is not an entity_cohort model", None, "bad_path")
    elif parts[0] in ctx.invalid_names.get("entities", set()) or ctx.incomplete:
        return
    elif len(parts) != 2 or parts[1] != "all" or parts[0] not in ctx.entity_names:
        options = [f"{e}/all" for e in ctx.entity_names] + [f"models/{c.name}" for c in ctx.cohorts()]
        ctx.add(spec.loc_of("extends"), f"cohort '{model.name}' extends unknown cohort '{parent}'",
                did_you_mean(parent, options, "cohorts"), "unknown_models")


def _activation(ctx: CheckContext, model: ActivationModel) -> None:
    """The source is a cohort, a feature table or an entity's feature view; the identifier is one
    of its entity's id types or its main id."""
    spec, p = model.model_spec, ctx.project
    found = p.activation_source(spec.source)
    entity = found[2] if found else None
    if entity is None:
        options = [f"models/{c.name}" for c in ctx.cohorts()] + [f"models/{m.name}" for m in p.models_of_type(
            "feature_table_model")] + [e.feature_view_name for e in p.entities]
        ctx.add(spec.loc_of("source"), f"activation {model.name}: source '{spec.source}' is not a cohort, feature "
                "table or feature view", did_you_mean(spec.source, options, "sources"), "unknown_models")
        return
    ent = p.entity(entity)
    choices = [*ent.id_types, ent.main_id_column]
    if spec.identifier not in choices:
        ctx.add(spec.loc_of("identifier"), f"activation {model.name}: identifier '{spec.identifier}' is not an id "
                f"type of entity {entity} nor its main id", did_you_mean(spec.identifier, choices, "identifiers"),
                "unknown_id_type")


def _propensity(ctx: CheckContext, model: PropensityModel) -> None:
    spec = model.model_spec
    training = spec.training
    refs = [(training.loc_of("predict_var"), training.predict_var)]
    refs += [(spec.loc_of("inputs", i), path) for i, path in enumerate(spec.inputs)]
    refs += [(training.loc_of("ignore_features", i), path) for i, path in enumerate(training.ignore_features)
             if "/" in path]
    for where, path in refs:
        if (path := _in_package(ctx, where, path)) is None:
            continue
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "entity":
            entity, name = parts[1], parts[2]
            if entity not in ctx.entity_names:
                ctx.unknown(where, "entity", entity, ctx.entity_names, "entities")
            elif ctx.project.var(entity, name) is None:
                ctx.unknown(where, f"var of entity '{entity}'", name, [v.name for v in ctx.project.vars_for(entity)], "vars")
        elif parts[0] in PB_PATHS:
            ctx.check_path(where, path)
        else:
            ctx.add(where, f"'{path}' is not a var path", "write entity/<entity>/<var_name>", "bad_path")
    _propensity_sql(ctx, model)
    dates = training.new_materialisations_config
    for i, pair in enumerate(dates.dates if dates.strategy == "manual" else []):
        from datetime import date

        try:
            feature_day, label_day = (date.fromisoformat(p.strip()[:10]) for p in str(pair).split(","))
        except ValueError:
            ctx.add(dates.loc_of("dates", i), f"{pair!r} is not '<feature date>,<label date>' in YYYY-MM-DD")
            continue
        if (label_day - feature_day).days != training.predict_window_days:
            ctx.add(dates.loc_of("dates", i), f"the dates {pair!r} are {(label_day - feature_day).days} day(s) "
                    f"apart; the label date is predict_window_days ({training.predict_window_days}) after the "
                    "feature date")
    outputs = spec.prediction.output_columns
    taken = {v.name for v in ctx.project.vars_for(spec.entity_key)} if spec.entity_key in ctx.entity_names else set()
    for key, column in (("percentile", outputs.percentile), ("score", outputs.score)):
        if column.name in taken:
            ctx.add(outputs.loc_of(key), f"output column {column.name!r} of propensity {model.name} is already a var "
                    f"of entity {spec.entity_key}; give the {key} another name")


def _propensity_sql(ctx: CheckContext, model: PropensityModel) -> None:
    """eligible_users conditions parse, and name only vars of the entity."""
    import sqlglot
    from sqlglot import exp

    spec = model.model_spec
    if spec.entity_key not in ctx.entity_names:
        return
    known = {v.name.lower() for v in ctx.project.vars_for(spec.entity_key)}
    for holder, what in ((spec.training, "training"), (spec.prediction, "prediction")):
        condition = holder.eligible_users
        if not condition or not condition.strip():
            continue
        where = holder.loc_of("eligible_users")
        try:
            tree = sqlglot.parse_one(condition, read=ctx.project.sql_dialect)
        except sqlglot.errors.ParseError as e:
            ctx.add(where, f"{what}.eligible_users {condition!r} is not a SQL condition: {str(e).splitlines()[0]}")
            continue
        except ValueError:  # an unknown sql dialect: reported on its own key
            return
        for column in tree.find_all(exp.Column):
            if column.name.lower() not in known:
                ctx.unknown(where, f"var of entity '{spec.entity_key}' in {what}.eligible_users", column.name,
                            sorted(known), "vars")


def _in_package(ctx: CheckContext, where: Location, path: str) -> str | None:
    """A path into `packages/<name>/...` as the bare path to check (the package's items are the
    project's); None when there is nothing to check: the package is missing (its own error says
    so) or not listed (reported here)."""
    parts = path.strip().strip("/").split("/")
    if parts[0] != "packages":
        return path
    listed = ctx.listed_packages
    name = parts[1] if len(parts) > 2 else ""
    if name not in listed:
        ctx.add(where, f"'{path}' names package '{name}', which pb_project.yaml does not list",
                did_you_mean(name, listed, "packages listed") if listed else "list it under packages: in pb_project.yaml",
                "unknown_package")
        return None
    if name in ctx.missing_packages:
        return None
    return package_local_path(path)


def _readable_deref(ctx: CheckContext, snippet: Snippet, path: str) -> None:
    """A DeRef reads an input, a sql_template model or an id stitcher's graph: the features of a
    cohort, feature table or propensity model are built after the SQL models that would read them."""
    target = ctx.project.resolve(path)
    if target is None or isinstance(target, Input | SqlTemplateModel | IdStitcherModel):
        return
    ctx.add(snippet.location, f"{snippet.subject + ': ' if snippet.subject else ''}this.DeRef(\"{path}\"): {target.name} "
            f"is a model of type {target.model_type}, which this engine cannot read from a template (it is built after the "
            "sql_template models)", "DeRef inputs/<name>, models/<sql_template or id_stitcher name>, or read the "
            "cohort's or feature table's vars with {{<entity>.Var(\"name\")}}", "bad_path")


def _template_refs(ctx: CheckContext, snippet: Snippet) -> None:
    p = ctx.project
    refs = ctx.refs(snippet.text)
    if isinstance(refs, Exception):
        named = f"{snippet.subject}: " if snippet.subject else ""
        syntax = str(getattr(refs, "problem", "")).startswith("syntax error")
        ctx.add(snippet.location, f"{named}template {'does not parse' if syntax else 'fails'}: {refs}",
                "check {{ }} / {% %} pairs and quotes" if syntax else None, "bad_template")
        return
    for ref in refs:
        if ref.kind == "deref":
            if (path := _in_package(ctx, snippet.location, ref.name)) is None:
                continue
            kind = path.strip("/").split("/")[0]
            if kind in PB_PATHS:
                ctx.check_path(snippet.location, path)
                _readable_deref(ctx, snippet, path)
            elif kind not in ctx.entity_names:
                ctx.add(snippet.location, f"DeRef('{ref.name}') does not name an input or model", "write inputs/<name> or models/<name>", "bad_path")
        elif ref.kind == "macro":
            if ref.name not in p.macros_by_name:
                ctx.unknown(snippet.location, "macro", ref.name, p.macros_by_name, "macros")
        elif ref.kind == "input_var":
            on_source = [v.name for g in p.var_groups for v in g.variables
                         if getattr(v, "kind", "") == "input_var" and (v.from_ or "").strip("/").split("/")[-1] == ref.entity]
            if ref.name not in on_source:
                ctx.unknown(snippet.location, f"input var of '{ref.entity}'", ref.name, on_source, "input vars")
        elif ref.entity in ctx.entity_names and (owner := p.prediction_output(ref.entity, ref.name)) is not None:
            if not isinstance(snippet.model, EntityCohortModel):
                ctx.add(snippet.location, f"{ref.name} is an output of propensity model {owner}: a cohort's filter "
                        f"can use it, {snippet.subject or 'this'} cannot (vars are computed before the scores)",
                        "filter a cohort on it, or send it from the feature view", "scores_too_early")
        elif ref.entity in ctx.entity_names and p.var(ref.entity, ref.name) is None:
            ctx.unknown(snippet.location, f"var of entity '{ref.entity}'", ref.name, [v.name for v in p.vars_for(ref.entity)], "vars")
        elif ref.entity not in ctx.entity_names and ref.kind == "var":
            ctx.unknown(snippet.location, "entity", ref.entity or "", ctx.entity_names, "entities")
