"""Public entry points: `validate_project` (never raises for user mistakes) and `load_project`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from profiles_pipeline.errors import Problem, SpecError
from profiles_pipeline.spec.check_context import CheckContext
from profiles_pipeline.spec.check_names import check_names
from profiles_pipeline.spec.check_refs import check_refs
from profiles_pipeline.spec.check_sql import check_sql
from profiles_pipeline.spec.graph_cycles import check_cycles
from profiles_pipeline.spec.loader import read_project
from profiles_pipeline.spec.model_types import EntityCohortModel
from profiles_pipeline.spec.project import Project


@dataclass
class ValidationReport:
    """Result of validating a project: the project (None when unreadable), every problem, counts."""

    project: Project | None
    problems: list[Problem] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.project is not None and not self.problems

    def raise_for_problems(self) -> Project:
        if not self.ok:
            raise SpecError(self.problems)
        return self.project  # type: ignore[return-value]


def validate_project(path: str | Path) -> ValidationReport:
    """Load and check a project, collecting all problems instead of stopping at the first."""
    loaded = read_project(path)
    project = loaded.project
    problems = list(loaded.problems)
    if project is not None:
        _bind_vars(project)
        ctx = CheckContext(project, loaded.invalid_names, incomplete=bool(loaded.unreadable_files))
        for check in (check_names, check_refs, check_cycles, check_sql):
            check(ctx)
        problems += ctx.problems
    problems = list({(str(p), p.code): p for p in problems}.values())
    problems.sort(key=lambda p: (p.location.file or "", p.location.line or 0))
    return ValidationReport(project, problems, summarize(project) if project else {})


def load_project(path: str | Path) -> Project:
    """The validated project, or `SpecError` carrying every problem (file, line, hint)."""
    return validate_project(path).raise_for_problems()


def _bind_vars(project: Project) -> None:
    """Tell each var its var_group and entity (a cohort's var_group belongs to the cohort's entity)."""
    for group in project.var_groups:
        entity = group.entity_key
        if entity is None and group.entity_cohort:
            entity = project.cohort_entity(group.entity_cohort.strip("/").split("/")[-1])
        for var in group.variables:
            var._var_group = group.name
            var._entity = entity


def summarize(project: Project) -> dict:
    all_vars = [v for g in project.var_groups for v in g.variables]
    cohorts = [m for m in project.models if isinstance(m, EntityCohortModel)]
    views = sum(len(e.feature_views.using_ids) for e in project.entities)
    views += sum(len(c.model_spec.feature_views) for c in cohorts)
    return {
        "entities": len(project.entities),
        "id_types": len(project.id_types),
        "inputs": len(project.inputs),
        "models": dict(Counter(m.model_type for m in project.models)),
        "vars": dict(Counter(v.kind for v in all_vars)),
        "macros": len(project.macros),
        "cohorts": len(cohorts),
        "feature_views": views,
        "files": len(project.files),
        **({"ignored_ids": ignored} if (ignored := ignored_ids(project)) else {}),
    }


def ignored_ids(project: Project) -> list[str]:
    """Ids whose type their entity does not list in its id_types: pb leaves them out of the id
    graph and of every join, and so does this engine (`<input>.<select> (<type>)`)."""
    listed = {e.name: set(e.id_types) for e in project.entities}
    sources = [(i.name, i.app_defaults.ids) for i in project.inputs]
    sources += [(m.name, m.model_spec.ids) for m in project.models if m.model_type == "sql_template"]
    return [f"{name}.{i.select} ({i.type}, entity {i.entity})" for name, ids in sources for i in ids
            if i.entity in listed and listed[i.entity] and i.type not in listed[i.entity]]
