"""Every piece of user SQL/template text in a project, with its owner and where it is written."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from profiles_pipeline.errors import Location
from profiles_pipeline.spec.base import SpecModel
from profiles_pipeline.spec.model_types import (
    EntityCohortModel,
    PropensityModel,
    SqlTemplateModel,
    expression_sql,
)
from profiles_pipeline.spec.project import Project
from profiles_pipeline.spec.sql_snippets import SnippetKind
from profiles_pipeline.spec.var_models import EntityVar, InputVar


@dataclass
class Snippet:
    owner: SpecModel
    key: str
    text: str
    kind: SnippetKind
    index: int | None = None
    var: EntityVar | InputVar | None = None
    model: Any = None
    #: what holds the snippet, by name, for messages ("input identifies", "id type email")
    holder: str | None = None

    @property
    def subject(self) -> str | None:
        """The thing the snippet belongs to, named as a user names it."""
        if self.var is not None:
            return f"{self.var.kind.replace('_', ' ')} {self.var.name}"
        if self.model is not None:
            return f"model {self.model.name}"
        return self.holder

    @property
    def location(self) -> Location:
        return self.owner.loc_of(self.key, self.index)

    @property
    def raw_value(self) -> Any:
        """The ruamel scalar as written (to tell a `|` block from a one-line string)."""
        node = self.owner._node
        value = node.get(self.key) if node is not None else None
        if self.index is not None and isinstance(value, list):
            value = value[self.index]
        return value


def project_snippets(project: Project) -> Iterator[Snippet]:
    for inp in project.inputs:
        holder = f"input {inp.name}"
        if inp.where:
            yield Snippet(inp, "where", inp.where, "condition", holder=holder)
        if inp.app_defaults.where:
            yield Snippet(inp.app_defaults, "where", inp.app_defaults.where, "condition", holder=holder)
        for id_ in inp.app_defaults.ids:
            yield Snippet(id_, "select", id_.select, "expression", holder=holder)
    for id_type in project.id_types:
        for flt in id_type.filters:
            if flt.sql is not None:
                yield Snippet(flt.sql, "select", flt.sql.select, "expression", holder=f"id type {id_type.name}")
    for group in project.var_groups:
        for var in group.variables:
            yield from _var_snippets(var)
    for model in project.models:
        yield from _model_snippets(model)


def _var_snippets(var: EntityVar | InputVar) -> Iterator[Snippet]:
    yield Snippet(var, "select", var.select, "expression", var=var)
    if var.where:
        yield Snippet(var, "where", var.where, "condition", var=var)
    if var.window is not None:
        for i, item in enumerate(var.window.partition_by):
            yield Snippet(var.window, "partition_by", item, "expression", i, var=var)
        for i, item in enumerate(var.window.order_by):
            yield Snippet(var.window, "order_by", item, "order", i, var=var)
        if var.window.frame_clause:
            yield Snippet(var.window, "frame_clause", var.window.frame_clause, "frame", var=var)
    if getattr(var, "column_data_type", None):
        yield Snippet(var, "column_data_type", var.column_data_type, "type", var=var)


def _model_snippets(model: Any) -> Iterator[Snippet]:
    spec = model.model_spec
    if isinstance(model, SqlTemplateModel):
        if spec.single_sql:
            yield Snippet(spec, "single_sql", spec.single_sql, "statement", model=model)
        for id_ in spec.ids:
            yield Snippet(id_, "select", id_.select, "expression", model=model)
    elif isinstance(model, EntityCohortModel):
        for flt in spec.filter_pipeline:
            yield Snippet(flt, "value", flt.value, "condition", model=model)
        if spec.filter_expression is not None:
            yield Snippet(spec, "filter_expression", expression_sql(spec.filter_expression), "condition", model=model)
    elif isinstance(model, PropensityModel):
        for block in (spec.training, spec.prediction):
            if block.eligible_users and block.eligible_users.strip() != "*":
                yield Snippet(block, "eligible_users", block.eligible_users, "condition", model=model)
