"""`find_references`: what a template refers to, found by rendering it with recording
resolvers, so it agrees with `render` by construction and never fails on an unknown name."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from profiles_pipeline.templating.context import TemplateContext
from profiles_pipeline.templating.environment import RECORDING, RECORDING_SESSION
from profiles_pipeline.templating.render import render_in
from profiles_pipeline.templating.session import Session


@dataclass
class References:
    """Names a template uses. `vars` holds (entity, var); an unknown bare name `{{ x }}` is
    recorded as (None, "x") and an unknown `foo.Var("x")` as ("foo", "x")."""

    vars: set[tuple[str | None, str]] = field(default_factory=set)
    input_vars: set[tuple[str, str]] = field(default_factory=set)
    inputs: set[str] = field(default_factory=set)
    derefs: set[str] = field(default_factory=set)
    macros: set[str] = field(default_factory=set)
    uses_end_time: bool = False
    #: The text as rendered with names for vars, inputs and DeRefs (what validate parses when the
    #: text with templates blanked out does not parse, e.g. a template in a CAST type).
    rendered: str = ""


def find_references(
    text: str, ctx: TemplateContext | None = None, *, where: str | None = None
) -> References:
    """Render `text` recording every var, input var, input, DeRef, macro and end_time use.

    Give `ctx` (its entities, inputs, macros, end_time and warehouse_type are used; its resolvers
    are replaced) so names are classified and macro bodies are followed. Only the branches that
    `render` would take with the same ctx are seen. Syntax errors still raise `TemplateError`.
    """
    record = References()

    def var(entity: str, name: str) -> str:
        record.vars.add((entity, name))
        return name

    def input_var(input_name: str, name: str) -> str:
        record.input_vars.add((input_name, name))
        return name

    def input_alias(input_name: str) -> str:
        record.inputs.add(input_name)
        return input_name

    def deref(path: str) -> str:
        record.derefs.add(path)
        return path.rsplit("/", 1)[-1]

    base = ctx or TemplateContext()
    recording_ctx = replace(
        base,
        var_resolver=var,
        input_var_resolver=input_var,
        input_resolver=input_alias,
        deref=deref,
    )
    session = Session(recording_ctx, recording=True)
    token, session_token = RECORDING.set(record), RECORDING_SESSION.set(session)
    try:
        record.rendered = render_in(session, text, where)
    finally:
        RECORDING.reset(token)
        RECORDING_SESSION.reset(session_token)
    return record
