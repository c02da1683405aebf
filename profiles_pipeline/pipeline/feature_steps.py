"""Feature steps: sql_template models, an entity's features, feature views, feature tables and
cohorts. The graph's shape comes from the spec alone (so Dagster can load it before any data
exists); at run time each step plans the features as of its end_time and builds its share."""

from __future__ import annotations

import functools
from collections.abc import Callable

from profiles_pipeline.features import run_step
from profiles_pipeline.features.plan import PlanStep
from profiles_pipeline.features.snapshots import SnapshotSlice
from profiles_pipeline.pipeline.feature_checks import (
    cohort_checks,
    feature_view_checks,
    null_shares,
    record_cohort_size,
)
from profiles_pipeline.pipeline.graph import RunContext, Step, StepPart, StepResult
from profiles_pipeline.pipeline.linkage_checks import linkage_checks
from profiles_pipeline.pipeline.retention import apply_feature_retention
from profiles_pipeline.pipeline.run_cache import cached
from profiles_pipeline.pipeline.snapshots import SnapshotPlan, published_at, snapshot_plan
from profiles_pipeline.pipeline.tables import column_types, preview_markdown
from profiles_pipeline.spec.model_types import (
    EntityCohortModel,
    FeatureTableModel,
    IdStitcherModel,
    SqlTemplateModel,
)
from profiles_pipeline.spec.project import Project
from profiles_pipeline.spec.references import find_references, template_context
from profiles_pipeline.warehouse.base import WarehouseAdapter

Key = tuple[str, ...]


def plan_step_key(step: PlanStep) -> Key:
    """Which graph step builds a features plan step."""
    if step.kind == "sql_model":
        return ("models", step.name)
    if step.kind in ("rows", "pass", "var_table", "feature_view", "scores_placeholder"):
        return ("features", step.entity or "")
    if step.kind == "id_view":
        return ("feature_views", step.name)
    if step.kind == "feature_table":
        return ("feature_tables", step.name)
    if step.kind == "pb_view":  # built with what it renames: the entity's features, or its cohort
        return ("features", step.entity or "") if step.name == f"{step.entity}_all" else ("cohorts", step.depends_on[0])
    return ("cohorts", step.name)


class _Sources:
    """Upstream graph keys of a `from:` path, following ephemeral sql_template models; an id
    stitcher's is its id graph step."""

    def __init__(self, project: Project, id_graph_keys: dict[str, Key]):
        self.project = project
        self.ctx = template_context(project)
        self.id_graph_keys = id_graph_keys

    def keys(self, path: str, seen: frozenset[str] = frozenset()) -> set[Key]:
        target = self.project.resolve(path)
        if target is None or path in seen:
            return set()
        if isinstance(target, IdStitcherModel):
            graph = self.id_graph_keys.get(target.model_spec.entity_key)
            return {graph} if graph else set()
        if not isinstance(target, SqlTemplateModel):
            return {("inputs", target.name)}
        mat = target.model_spec.materialization
        if mat and mat.output_type in ("view", "table"):
            return {("models", target.name)}
        refs = find_references(target.model_spec.single_sql or "", self.ctx)
        return set().union(*[self.keys(r.name, seen | {path}) for r in refs if r.kind == "deref"] or [set()])

    def model_upstream(self, model: SqlTemplateModel) -> set[Key]:
        refs = find_references(model.model_spec.single_sql or "", self.ctx)
        return set().union(*[self.keys(r.name) for r in refs if r.kind == "deref"] or [set()])


def _scorings(project: Project, cohort: EntityCohortModel, sources: _Sources) -> set[Key]:
    """The scoring steps whose scores the cohort's filters (its ancestors' too) read."""
    entity = project.cohort_entity(cohort.name) or ""
    names = {r.name for c in project.cohort_chain(cohort.name)
             for r in find_references(c.model_spec.filter_sql() or "", sources.ctx) if r.kind == "var"}
    from profiles_pipeline.pipeline.prediction_steps import scoring_key

    return {scoring_key(model) for n in names if (model := project.prediction_output(entity, n))}


def feature_steps(project: Project, id_graph_keys: dict[str, Key]) -> list[Step]:
    sources = _Sources(project, id_graph_keys)
    steps: list[Step] = []
    for m in project.models_of_type("sql_template"):
        mat = m.model_spec.materialization
        if mat and mat.output_type in ("view", "table"):
            steps.append(_step(project, ("models", m.name), "sql_model", f"sql_template model {m.name} "
                               f"({mat.output_type})", "models", sources.model_upstream(m)))
    for entity in project.entities:
        features_key = ("features", entity.name)
        upstream = {id_graph_keys[entity.name]} if entity.name in id_graph_keys else set()
        for var in project.entity_vars_for(entity.name) + project.input_vars_for(entity.name):
            if var.from_:
                upstream |= sources.keys(var.from_)
        parts = _feature_parts(project, entity.name)
        steps.append(_step(project, features_key, "features", f"{len(parts)} features of {entity.name} "
                           f"(entity vars, input vars) and {entity.feature_view_name}, as of the "
                           "partition's end.", "features", upstream,
                           checks=feature_view_checks(project, entity.name)
                           + linkage_checks(project, entity.name, entity.feature_view_name), parts=parts,
                           after=functools.partial(_describe_features, parts)))
        for id_type, view_name in entity.using_id_views():
            steps.append(_step(project, ("feature_views", view_name), "feature_view",
                               f"Features of {entity.name} keyed by {id_type}.", "features",
                               {features_key, id_graph_keys.get(entity.name, features_key)},
                               checks=linkage_checks(project, entity.name, view_name,
                                                     None if id_type == entity.main_id_column else id_type)))
        for m in project.models_of_type("feature_table_model"):
            assert isinstance(m, FeatureTableModel)
            if (project.feature_table_entity(m) or entity.name) == entity.name:
                steps.append(_step(project, ("feature_tables", m.name), "features",
                                   f"Feature table {m.name}: {', '.join(m.model_spec.features)}.",
                                   "features", {features_key}, checks=linkage_checks(project, entity.name, m.name)))
    for m in project.models_of_type("entity_cohort"):
        assert isinstance(m, EntityCohortModel)
        entity = project.cohort_entity(m.name) or ""
        parent = m.model_spec.extends or ""
        upstream = {("features", entity)} | _scorings(project, m, sources)
        if parent.startswith("models/"):
            upstream.add(("cohorts", parent.split("/")[1]))
        steps.append(_step(project, ("cohorts", m.name), "cohort", _cohort_description(m), "cohorts",
                           upstream, checks=cohort_checks(project, m.name) + linkage_checks(project, entity, m.name),
                           after=record_cohort_size))
        if m.model_spec.feature_view_name:
            steps.append(_step(project, ("feature_views", m.model_spec.feature_view_name), "feature_view",
                               f"Members of cohort {m.name} keyed by the main id.", "cohorts", {("cohorts", m.name)}))
        for view in m.model_spec.feature_views:
            steps.append(_step(project, ("feature_views", view.name), "feature_view",
                               f"Members of cohort {m.name} keyed by {view.id}.", "cohorts",
                               {("cohorts", m.name), id_graph_keys.get(entity, ("cohorts", m.name))},
                               checks=linkage_checks(project, entity, view.name, view.id)))
    return steps


def _feature_parts(project: Project, entity: str) -> tuple[StepPart, ...]:
    """One asset per `is_feature` entity var, keyed features/<entity>/<var>."""
    parts = []
    for var in project.entity_vars_for(entity):
        if var.is_feature:
            source = f" from {var.from_}" if var.from_ else " (derived)"
            text = var.description or f"entity_var {var.name}: {var.select}{source}"
            parts.append(StepPart(("features", entity, var.name), var.name, text))
    return tuple(parts)


def _describe_features(
    parts: tuple[StepPart, ...], adapter: WarehouseAdapter, ctx: RunContext, view: str, result: StepResult
) -> None:
    """Per feature: its type and share of nulls in the feature view (one scan for all)."""
    types = result.columns
    names = [p.column for p in parts if p.column in types]
    for name, share in null_shares(adapter, view, names).items():
        result.part_metadata[name] = {"type": types[name], "null_share": share}


def _cohort_description(m: EntityCohortModel) -> str:
    parent = m.model_spec.extends or "the whole entity"
    filters = m.model_spec.filter_sql()
    return f"Cohort {m.name}: members of {parent}" + (f" where {filters}" if filters else "")


def _step(
    project: Project, key: Key, kind, description: str, group: str, upstream: set[Key],
    checks=(), after: Callable[[WarehouseAdapter, RunContext, str, StepResult], None] | None = None,
    parts: tuple[StepPart, ...] = (),
) -> Step:
    def run(adapter: WarehouseAdapter, ctx: RunContext) -> StepResult:
        snap = _run_plan(adapter, project, ctx, before_graphs=kind == "sql_model")
        mine = [s for s in snap.plan.steps if plan_step_key(s) == key]
        built = [s for s in mine if snap.builds(s.kind)]
        result = StepResult()
        seconds = {}
        for s in built:
            outcome = run_step(adapter, s, snap.slice, publishing=snap.publish)
            # A rows view is not counted: counting it would scan its source again.
            rows = outcome.rows if outcome.rows is not None or s.kind == "rows" else adapter.row_count(s.name)
            result.tables[s.name] = rows
            seconds[s.name] = round(outcome.seconds, 3)
            if s.kind == "var_table" and (gone := apply_feature_retention(adapter, project, s.entity or "")):
                result.metadata["snapshots_dropped_by_retention"] = len(gone)
        main = _main_table(built)
        if main:
            result.tables = {main: result.tables.pop(main), **result.tables}
        if main and adapter.table_exists(main):
            result.columns = column_types(adapter, main)
            result.preview_markdown = preview_markdown(adapter, main)
        result.metadata = {
            **result.metadata,
            "as_of": str(ctx.end_time),
            "published": snap.publish,
            "relations_built": list(result.tables), "seconds_by_relation": seconds,
            "plan": "\n".join(f"{s.kind} {s.name}: {'; '.join(s.details) or s.description}" for s in built),
        }
        if not snap.publish and mine:
            result.metadata["not_published"] = (
                f"a snapshot as of {ctx.end_time} was stored; the published outputs stay as of "
                f"{published_at(adapter, project)}")
        if after and main and snap.publish:
            after(adapter, ctx, main, result)
        return result

    return Step(key, kind, description, group, tuple(sorted(upstream)), run, checks=tuple(checks),
                parts=parts)


def _run_plan(adapter: WarehouseAdapter, project: Project, ctx: RunContext, *, before_graphs: bool = False) -> SnapshotPlan:
    """The run's features plan, made once per run (the first features step of the run asks);
    sql_template models, which may feed the id graphs, get theirs before the graphs are built."""
    days = None if ctx.snapshot else (ctx.first_day, ctx.day)
    where = SnapshotSlice(ctx.end_time, days, ctx.definition(project))
    return cached(ctx.run_id, ("features", ctx.end_time, before_graphs),
                  lambda: snapshot_plan(adapter, project, ctx.end_time, where, ctx.run_id, may_publish=not ctx.snapshot,
                                        begin_time=ctx.begin_time, before_graphs=before_graphs))


def _main_table(steps: list[PlanStep]) -> str | None:
    for kind in ("feature_view", "cohort", "id_view", "feature_table", "sql_model"):
        for s in steps:
            if s.kind == kind:
                return s.name
    return steps[-1].name if steps else None
