"""Render one snippet's template and parse it, recording what it refers to.

Entity vars and input vars render to their column names (the relations the planner builds
carry them as columns), `{{ input }}` to the source alias `src`, and `this.DeRef(path)` to a
placeholder table that `replace_derefs` later swaps for the referenced relation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp

from profiles_pipeline.errors import Location
from profiles_pipeline.features.snippets import parse_snippet, pin_now
from profiles_pipeline.spec.project import Project
from profiles_pipeline.templating import Macro, TemplateContext, render

SOURCE_ALIAS = "src"
_DEREF_PREFIX = "__deref_"


@dataclass
class Rendered:
    tree: exp.Expression
    text: str
    vars: set[tuple[str | None, str]] = field(default_factory=set)
    input_vars: set[tuple[str, str]] = field(default_factory=set)
    derefs: dict[str, str] = field(default_factory=dict)  # placeholder table -> path


class SnippetRenderer:
    """Renders and parses every snippet of one project for one engine and end_time."""

    def __init__(self, project: Project, end_time: datetime, engine_dialect: str, begin_time: datetime | None = None):
        self.project = project
        self.end_time = end_time
        #: pb's begin_time: rows before it are not read (None: every row up to end_time).
        self.begin_time = begin_time
        self.read = project.sql_dialect
        self.write = engine_dialect
        self.macros = {m.name: Macro(m.name, list(m.inputs), m.value) for m in project.macros}

    def at(self, end_time: datetime) -> SnippetRenderer:
        """The same renderer as of another end time (a model or var group of a coarser time grain)."""
        return SnippetRenderer(self.project, end_time, self.write, self.begin_time)

    def render(self, text: str, where: Location, what: str, *, statement: bool = False,
               var_column: Callable[[str, str], str] | None = None) -> Rendered:
        """`var_column(entity, name)`: the column an entity var reference reads (default: its name)."""
        out = Rendered(tree=exp.null(), text="")

        def var(entity: str, name: str) -> str:
            out.vars.add((entity, name))
            return var_column(entity, name) if var_column else name

        def input_var(input_name: str, name: str) -> str:
            out.input_vars.add((input_name, name))
            return name

        def deref(path: str) -> str:
            placeholder = f"{_DEREF_PREFIX}{len(out.derefs)}"
            out.derefs[placeholder] = path.strip()
            return placeholder

        ctx = TemplateContext(
            end_time=self.end_time,
            warehouse_type=self.write,
            entities=[e.name for e in self.project.entities],
            inputs=self.project.row_source_names(),
            macros=self.macros,
            var_resolver=var,
            input_var_resolver=input_var,
            input_resolver=lambda _name: SOURCE_ALIAS,
            deref=deref,
            read_file=self.project.read_file,
        )
        out.text = render(str(text), ctx, where=f"{where} ({what})")
        tree = parse_snippet(out.text, self.read, self.write, where, what, statement=statement)
        out.tree = pin_now(tree, self.end_time)
        return out


def replace_derefs(tree: exp.Expression, relations: dict[str, exp.Expression]) -> exp.Expression:
    """Swap DeRef placeholders (by placeholder name) for relations, keeping any alias."""

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name in relations:
            rel = relations[node.name].copy()
            alias = node.alias or node.name
            if isinstance(rel, exp.Table):
                rel.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
                return rel
            return exp.Subquery(this=_unwrap(rel), alias=exp.TableAlias(this=exp.to_identifier(alias)))
        return node

    return tree.transform(swap, copy=True)


def _unwrap(rel: exp.Expression) -> exp.Expression:
    return rel.this if isinstance(rel, exp.Subquery) else rel
