"""The two Jinja2 environments (strict for rendering, lenient for recording references) with
pb's extras: the `isnil` filter, Django's `default`, and the `{% exec %}` tag."""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, StrictUndefined, Template, Undefined, nodes
from jinja2.ext import Extension
from jinja2.runtime import Context
from jinja2.utils import missing

if TYPE_CHECKING:
    from profiles_pipeline.templating.references import References

SESSION_KEY = "__profiles_session__"
RECORDING: ContextVar[References | None] = ContextVar("profiles_recording", default=None)
RECORDING_SESSION: ContextVar[Any] = ContextVar("profiles_recording_session")
# Attributes Jinja itself probes on values; never user references.
_JINJA_PROBES = frozenset({"jinja_pass_arg", "environmentfilter", "contextfunction"})


def isnil(value: Any) -> bool:
    """pongo2's `isnil`: true for nil (None) and for names that are not defined."""
    return value is None or isinstance(value, Undefined)


def django_default(value: Any, default: Any = "") -> Any:
    """pongo2/Django `default`: replaces any falsy value, not only undefined ones as Jinja does."""
    if isinstance(value, Undefined) or not value:
        return default
    return value


class ExecExtension(Extension):
    """pongo2 (rudderlabs fork) `{% exec %}body{% endexec %}`: render the body, then render the
    result again as a template in the same scope and output it. pb uses it to pull in SQL that
    itself holds template code, e.g. `{% exec %}{{ this.ReadFile("models/q.sql") }}{% endexec %}`."""

    tags = {"exec"}

    def parse(self, parser: Any) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endexec",), drop_needle=True)
        call = self.call_method("_exec", [nodes.DerivedContextReference()])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _exec(self, context: Context, caller: Any) -> str:
        session = context[SESSION_KEY]
        return session.render_text(caller(), "<exec>", dict(context.get_all()))


class _Context(Context):
    """Notes when a template reads `end_time` so `find_references` can report it."""

    def resolve_or_missing(self, key: str) -> Any:
        if key in ("end_time", "end_time_sql", "timestamp"):
            record = RECORDING.get()
            if record is not None:
                record.uses_end_time = True
        return super().resolve_or_missing(key)


class RecordingUndefined(Undefined):
    """An unknown name while recording: records how it was used instead of failing."""

    def _record(self) -> References | None:
        return RECORDING.get() if self._undefined_obj is missing else None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_") or attr in _JINJA_PROBES:
            raise AttributeError(attr)
        record = self._record()
        name = self._undefined_name or ""
        if attr == "Var":

            def var(v: str) -> str:
                if record is not None:
                    record.vars.add((name, v))
                return v

            return var
        if record is not None:
            record.vars.add((name, attr))
        return attr

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        record = self._record()
        if record is not None and self._undefined_name:
            record.macros.add(self._undefined_name)
            session = RECORDING_SESSION.get()
            for arg in [*args, *kwargs.values()]:
                session.argument(arg)
        return ""

    def __str__(self) -> str:
        record = self._record()
        if record is not None and self._undefined_name:
            record.vars.add((None, self._undefined_name))
            return self._undefined_name
        return ""

    def __bool__(self) -> bool:
        str(self)
        return False

    __hash__ = Undefined.__hash__


def _build(recording: bool) -> Environment:
    env = Environment(
        undefined=RecordingUndefined if recording else StrictUndefined,
        extensions=[ExecExtension],
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.context_class = _Context
    env.filters["isnil"] = isnil
    env.filters["default"] = django_default
    return env


_ENVS = {False: _build(False), True: _build(True)}


def environment(recording: bool) -> Environment:
    return _ENVS[recording]


@lru_cache(maxsize=2048)
def compile_template(recording: bool, source: str, name: str) -> Template:
    """Parse once per (mode, text): the same snippets are rendered for every run and partition."""
    env = _ENVS[recording]
    return env.template_class.from_code(env, env.compile(source, name, name), env.globals, None)
