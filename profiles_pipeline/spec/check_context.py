"""Shared state of the cross-reference checks: the project, what failed earlier, the findings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from profiles_pipeline.errors import Location, Problem
from profiles_pipeline.spec.hints import did_you_mean
from profiles_pipeline.spec.model_types import EntityCohortModel, IdStitcherModel
from profiles_pipeline.spec.packages import missing_packages, package_entries
from profiles_pipeline.spec.project import AnyVar, Project
from profiles_pipeline.spec.references import Reference, find_references, template_context
from profiles_pipeline.templating import TemplateContext, TemplateError


@dataclass
class CheckContext:
    project: Project
    invalid_names: dict[str, set[str]] = field(default_factory=dict)
    incomplete: bool = False
    problems: list[Problem] = field(default_factory=list)
    _refs: dict[str, list[Reference] | TemplateError] = field(default_factory=dict)
    _template_context: TemplateContext | None = None

    def refs(self, text: str) -> list[Reference] | TemplateError:
        """References of a template text (cached); a TemplateError if it does not parse."""
        if text not in self._refs:
            if self._template_context is None:
                self._template_context = template_context(self.project)
            try:
                self._refs[text] = find_references(text, self._template_context)
            except TemplateError as exc:
                self._refs[text] = exc
        return self._refs[text]

    def add(self, where: Location, message: str, hint: str | None = None, code: str = "invalid") -> None:
        self.problems.append(Problem(where, message, hint, code))

    def rendered(self, text: str) -> str | None:
        """`text` rendered with names for vars, inputs and DeRefs; None if it does not render."""
        from profiles_pipeline.templating import find_references as render_recording

        if self._template_context is None:
            self._template_context = template_context(self.project)
        try:
            return render_recording(text, self._template_context).rendered
        except TemplateError:
            return None

    def unknown(self, where: Location, what: str, name: str, known: Iterable[str], code: str) -> None:
        """Report `name` as unknown with a did-you-mean hint, unless it failed validation already
        or a file could not be read (then "unknown" would only echo that first problem)."""
        if self.incomplete or name in self.invalid_names.get(code, set()):
            return
        hint = did_you_mean(name, known, "known")
        if missing := self.missing_packages:
            hint = f"{hint}; it may come from package {', '.join(missing)}, which is not on this machine (see its error)"
        self.add(where, f"unknown {what} '{name}'", hint, f"unknown_{code}")

    @cached_property
    def missing_packages(self) -> list[str]:
        """Names of the listed packages that are not on this machine (their models, inputs and
        id types are not here); looked up once per validation."""
        return [p.name for p in missing_packages(self.project)]

    @cached_property
    def listed_packages(self) -> set[str]:
        return {p.name for p in package_entries(self.project)}

    @property
    def id_type_names(self) -> set[str]:
        return {t.name for t in self.project.id_types}

    @property
    def entity_names(self) -> set[str]:
        return {e.name for e in self.project.entities}

    def all_vars(self) -> Iterator[AnyVar]:
        for group in self.project.var_groups:
            yield from group.variables

    def check_path(self, where: Location, path: str, allow: tuple[str, ...] = ("inputs", "models")) -> None:
        """A `from:`/DeRef path must name an existing input or model."""
        parts = path.strip().strip("/").split("/")
        kind = parts[0]
        if kind not in allow or len(parts) < 2:
            forms = " or ".join(f"{a}/<name>" for a in allow)
            self.add(where, f"'{path}' is not a valid reference", f"write {forms}", "bad_path")
            return
        if self.project.resolve(path) is not None:
            return
        name = parts[1]
        if kind == "models" and name in {self.project.stitcher_name(e.name) for e in self.project.entities}:
            return  # the id graph of the default stitcher
        if kind == "inputs":
            self.unknown(where, "input", name, self.project.inputs_by_name, "inputs")
        elif name not in self.invalid_names.get("inputs", set()):
            self.unknown(where, "model", name, self.project.models_by_name, "models")

    def stitcher_for(self, entity: str) -> IdStitcherModel | None:
        return self.project.stitcher_model(entity)

    def cohorts(self) -> list[EntityCohortModel]:
        return [m for m in self.project.models if isinstance(m, EntityCohortModel)]
