"""What a pb template refers to (vars, DeRef paths, macros), and where its `{{ }}` blocks are.

Finding references is delegated to `profiles_pipeline.templating.find_references`, so the spec
checks and the renderer agree on what a template means."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from profiles_pipeline.templating import Macro as TemplateMacro
from profiles_pipeline.templating import TemplateContext
from profiles_pipeline.templating import find_references as _find

if TYPE_CHECKING:
    from profiles_pipeline.spec.project import Project

@dataclass(frozen=True)
class Reference:
    """One reference in a template: a var of an entity, a model/input path, or a macro call."""

    kind: Literal["var", "deref", "macro"]
    name: str
    entity: str | None = None


def template_expressions(text: str) -> Iterator[tuple[int, int, str]]:
    """Outermost `{{ ... }}` blocks (nesting allowed, as pb writes `'{{user.Var("x")}}'` inside
    macro calls) as (start, end, inner text)."""
    i, n = 0, len(text)
    while i < n:
        start = text.find("{{", i)
        if start < 0:
            return
        depth, j = 0, start
        while j < n:
            if text.startswith("{{", j):
                depth, j = depth + 1, j + 2
            elif text.startswith("}}", j):
                depth, j = depth - 1, j + 2
                if depth == 0:
                    break
            else:
                j += 1
        if depth != 0:
            return
        yield start, j, text[start + 2 : j - 2]
        i = j


def find_references(text: str | None, context: TemplateContext) -> list[Reference]:
    """Every var, DeRef path and macro `text` uses, found by the templating layer (which renders
    with recording resolvers, so it sees exactly what a real render would). Raises TemplateError
    on template syntax errors."""
    if not text or ("{{" not in text and "{%" not in text):
        return []
    found = _find(text, context)
    refs = [Reference("var", name, entity) for entity, name in sorted(found.vars, key=str) if entity]
    refs += [Reference("deref", path) for path in sorted(found.derefs)]
    refs += [Reference("macro", name) for name in sorted(found.macros)]
    refs += [Reference("input_var", name, source) for source, name in sorted(found.input_vars)]
    return refs


def template_context(project: Project) -> TemplateContext:
    """A context that knows the project's names (end_time fixed: only names matter here)."""
    return TemplateContext(
        end_time=datetime(2000, 1, 1),
        warehouse_type=project.sql_dialect,
        entities=[e.name for e in project.entities],
        inputs=project.row_source_names(),
        macros={m.name: TemplateMacro(m.name, list(m.inputs), m.value) for m in project.macros},
        read_file=project.read_file,
    )
