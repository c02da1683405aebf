"""`render`: the entry point for every SQL snippet, and the translation of failures into
`TemplateError`s that name where the snippet came from and which line failed."""

from __future__ import annotations

from types import TracebackType

import jinja2

from profiles_pipeline.errors import UserError
from profiles_pipeline.templating.context import TemplateContext
from profiles_pipeline.templating.errors import TemplateError
from profiles_pipeline.templating.pongo import PongoSyntaxError
from profiles_pipeline.templating.session import MAIN, Session

# Mistakes a template can make; anything else is a bug and keeps its traceback.
_USER_FAILURES = (jinja2.TemplateError, UserError, LookupError, TypeError, ValueError)


def render(text: str, ctx: TemplateContext, *, where: str | None = None) -> str:
    """Render pb template `text` (pongo2 or Jinja2 syntax) to SQL text."""
    return render_in(Session(ctx), text, where)


def render_in(session: Session, text: str, where: str | None) -> str:
    try:
        return session.render_pongo(text, MAIN)
    except PongoSyntaxError as exc:
        raise TemplateError(f"syntax error: {exc}", where, exc.line) from exc
    except _USER_FAILURES as exc:
        raise as_template_error(exc, session, where) from exc


def as_template_error(exc: BaseException, session: Session, where: str | None) -> TemplateError:
    frames = _template_frames(exc.__traceback__)
    line = next((ln for name, ln in frames if name == MAIN), None)
    problem = _describe(exc, session)
    inner = [(name, ln) for name, ln in frames if name != MAIN]
    if isinstance(exc, jinja2.TemplateSyntaxError):
        problem = f"syntax error: {exc.message}"
        if exc.name and exc.name != MAIN:
            inner.append((exc.name, exc.lineno))
        elif line is None:
            line = exc.lineno
    if inner:
        name, ln = inner[-1]
        problem = f"in {name.strip('<>')} (line {ln}): {problem}"
    return TemplateError(problem, where, line)


def _template_frames(tb: TracebackType | None) -> list[tuple[str, int]]:
    frames: list[tuple[str, int]] = []
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith("<") and filename != "<string>":
            frames.append((filename, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _describe(exc: BaseException, session: Session) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        message = exc.message or "undefined value"
        if message.startswith("'None' has no attribute"):
            return (
                f"{message}: the value is nil here (end_time is nil when the run has no "
                "end_time); guard it with {% if !(end_time|isnil) %}"
            )
        if message.endswith("is undefined"):
            ctx = session.ctx
            scope = [*ctx.entities, *ctx.inputs, *ctx.macros]
            scope += ["this", "warehouse", "end_time", "end_time_sql"]
            return f"{message}; names in scope: {', '.join(scope)}"
        return message
    if isinstance(exc, TemplateError):
        return exc.problem if exc.where is None else str(exc)
    return str(exc) or type(exc).__name__
