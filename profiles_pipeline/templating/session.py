"""One render of one template: the names in scope and how macros are expanded."""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateRuntimeError, Undefined
from jinja2.utils import missing

from profiles_pipeline.templating.context import Macro, TemplateContext
from profiles_pipeline.templating.environment import (
    RECORDING,
    SESSION_KEY,
    compile_template,
)
from profiles_pipeline.templating.objects import (
    Contract,
    EarlyTimestamp,
    EntityRef,
    GoTime,
    InputRef,
    This,
    Warehouse,
    end_time_sql,
)
from profiles_pipeline.templating.pongo import to_jinja

MAIN = "<template>"


class MacroFn:
    """A project macro as a template callable: `{{ m(a, b) }}`, or `{{ m }}` when it has no inputs."""

    def __init__(self, macro: Macro, session: Session):
        self.macro = macro
        self.session = session

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        inputs = self.macro.inputs
        if len(args) > len(inputs):
            raise TemplateRuntimeError(
                f"macro {self.macro.name} takes {len(inputs)} input(s) ({', '.join(inputs)}), "
                f"got {len(args)}"
            )
        bound = dict(zip(inputs, args, strict=False))
        bound.update(kwargs)
        absent = [name for name in inputs if name not in bound]
        if absent:
            raise TemplateRuntimeError(
                f"macro {self.macro.name} needs input(s) {', '.join(absent)}; "
                f"call it as {self.macro.name}({', '.join(inputs)})"
            )
        values = {name: self.session.argument(value) for name, value in bound.items()}
        return self.session.expand(self.macro, values)

    def __str__(self) -> str:
        return self()


class Session:
    """Holds the globals of one `render` and renders nested texts (macros, arguments, exec)."""

    def __init__(self, ctx: TemplateContext, recording: bool = False):
        self.ctx = ctx
        self.recording = recording
        self.stack: list[str] = []
        self.globals = self._globals()

    def _globals(self) -> dict[str, Any]:
        ctx = self.ctx
        names: dict[str, Any] = {}
        for entity in ctx.entities:
            names[entity] = EntityRef(entity, ctx.var_resolver)
        for name in ctx.inputs:
            names[name] = InputRef(name, ctx.input_var_resolver, ctx.input_resolver)
        for name, macro in ctx.macros.items():
            names[name] = MacroFn(macro, self)
        names.update(
            this=This(ctx.deref, ctx.read_file),
            warehouse=Warehouse(ctx.warehouse_type),
            end_time=GoTime(ctx.end_time) if ctx.end_time is not None else None,
            end_time_sql=end_time_sql(ctx.end_time),
            BuildContract=Contract,
        )
        names["timestamp"] = EarlyTimestamp(ctx.end_time)
        names[SESSION_KEY] = self
        return names

    def render_text(self, jinja_text: str, name: str, extra: dict[str, Any] | None = None) -> str:
        template = compile_template(self.recording, jinja_text, name)
        return template.render({**self.globals, **(extra or {})})

    def render_pongo(self, text: str, name: str, extra: dict[str, Any] | None = None) -> str:
        return self.render_text(to_jinja(text), name, extra)

    def argument(self, value: Any) -> Any:
        """Macro arguments: a bare unknown name is a column name (pb's `array_agg(anonymous_id)`);
        a string holding template code is rendered first (`m('{{ user.Var("x") }}')`)."""
        if isinstance(value, Undefined) and value._undefined_obj is missing:
            return value._undefined_name
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            return self.render_pongo(value, "<macro argument>")
        return value

    def expand(self, macro: Macro, values: dict[str, Any]) -> str:
        if macro.name in self.stack:
            cycle = " -> ".join([*self.stack[self.stack.index(macro.name) :], macro.name])
            raise TemplateRuntimeError(f"macro cycle: {cycle}")
        record = RECORDING.get()
        if record is not None:
            record.macros.add(macro.name)
        self.stack.append(macro.name)
        try:
            return self.render_pongo(macro.value, f"<macro {macro.name}>", values)
        finally:
            self.stack.pop()
