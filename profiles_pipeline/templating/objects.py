"""The objects pb templates talk to: entities, inputs, `this`, `warehouse`, `end_time`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from profiles_pipeline.templating.golayout import go_format


class EntityRef:
    """`user` in `{{ user.Var("x") }}` and `{{ user.x }}`: an entity whose vars resolve to SQL."""

    def __init__(self, name: str, resolve: Callable[[str, str], str]):
        self._name = name
        self._resolve = resolve

    def Var(self, var: str) -> str:  # noqa: N802 (pb's method name)
        return self._resolve(self._name, var)

    def __getattr__(self, var: str) -> str:
        if var.startswith("_"):
            raise AttributeError(var)
        return self._resolve(self._name, var)

    def __str__(self) -> str:
        return self._name


class InputRef:
    """`rsTracks` in `{{ rsTracks.Var("iv") }}`; alone, `{{ rsTracks }}` is the input's relation alias."""

    def __init__(
        self, name: str, resolve_var: Callable[[str, str], str], resolve: Callable[[str], str]
    ):
        self._name = name
        self._resolve_var = resolve_var
        self._resolve = resolve

    def Var(self, var: str) -> str:  # noqa: N802
        return self._resolve_var(self._name, var)

    def __str__(self) -> str:
        return self._resolve(self._name)


class This:
    """`this`: the model being rendered. `DeRef` names another model or input and returns its SQL;
    `ReadFile` returns a project file's text (pb renders it with `{% exec %}`)."""

    def __init__(self, deref: Callable[[str], str], read_file: Callable[[str], str]):
        self._deref = deref
        self._read_file = read_file

    def ReadFile(self, path: str) -> str:  # noqa: N802
        return self._read_file(path)

    def DeRef(self, path: str = "", **options: object) -> str | None:  # noqa: N802
        """`pre_existing=true` asks for the model's previous materialization (pb's incremental
        sql_template models): None here, so the template takes its full branch, which pb's
        contract for such models (the same result with or without the previous state) makes
        equal. The other options name pb's checkpoints and contracts and change no rows."""
        if _incremental_options("DeRef", options):
            return None
        return self._deref(path)

    def DeRefOptional(self, path: str = "", **options: object) -> str | None:  # noqa: N802
        if _incremental_options("DeRefOptional", options):
            return None
        return self._deref(path)


#: pb's DeRef options (its DeRef reference): which checkpoint or contract a reference means.
DEREF_OPTIONS = frozenset({"pre_existing", "dependency", "checkpoint_name", "baseline_name", "prereqs",
                           "skip_dependency", "time_grain_spec", "contract"})
DEPENDENCIES = ("normal", "optional", "coercive")


def _incremental_options(method: str, options: dict[str, object]) -> bool:
    """Check pb's DeRef options by name; whether they ask for a previous materialization."""
    unknown = sorted(set(options) - DEREF_OPTIONS)
    if unknown:
        raise LookupError(f"this.{method}() has no option {', '.join(f'{k}=' for k in unknown)} (pb's options: "
                          f"{', '.join(sorted(DEREF_OPTIONS))})")
    dependency = options.get("dependency", "normal")
    if dependency not in DEPENDENCIES:
        raise LookupError(f"this.{method}(dependency={dependency!r}): dependency is one of {', '.join(DEPENDENCIES)}")
    return options.get("pre_existing") in (True, "true", "True")


class Contract:
    """pb's `BuildContract('{...}')`: what a model promises of a relation it is given (columns, an
    event stream); kept for what reads it, it changes no rows."""

    def __init__(self, text: object = ""):
        self.text = str(text)

    def __str__(self) -> str:
        return self.text


class Warehouse:
    """`warehouse`: pb's `warehouse.DatabaseType()` returns the lower-case engine name."""

    def __init__(self, kind: str):
        self._kind = kind

    def DatabaseType(self) -> str:  # noqa: N802
        return self._kind

    def DataType(self, name: str) -> str:  # noqa: N802
        """pb's `warehouse.DataType("float")`: a portable type name for a generic one (snippets are
        parsed in the project's dialect and transpiled, so standard names serve every engine)."""
        return DATA_TYPES.get(str(name).strip().lower(), str(name).strip().upper())


#: pb's generic type names -> standard SQL types.
DATA_TYPES = {
    "float": "FLOAT", "double": "DOUBLE", "number": "NUMERIC", "numeric": "NUMERIC", "decimal": "DECIMAL",
    "int": "BIGINT", "integer": "BIGINT", "bigint": "BIGINT", "string": "VARCHAR", "text": "VARCHAR",
    "varchar": "VARCHAR", "boolean": "BOOLEAN", "bool": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE",
}


class GoTime:
    """`end_time` when set: a datetime with Go's `Format(layout)` and `Unix()`."""

    def __init__(self, value: datetime):
        self.value = value

    def Format(self, layout: str) -> str:  # noqa: N802
        return go_format(self.value, layout)

    def Unix(self) -> int:  # noqa: N802
        return int(self.value.timestamp())

    def __str__(self) -> str:
        return self.value.strftime("%Y-%m-%d %H:%M:%S")


class EarlyTimestamp(str):
    """`timestamp` in a template: pb's early schemas' name for end_time (`{{timestamp.Format(...)}}`),
    and everywhere else what it always was, the column name `timestamp` (a bare macro argument,
    `{{timestamp}}` in SQL), so that meaning is kept."""

    def __new__(cls, end_time: datetime | None) -> EarlyTimestamp:
        made = super().__new__(cls, "timestamp")
        made.end_time = end_time
        return made

    def _time(self) -> GoTime:
        if self.end_time is None:
            import jinja2

            raise jinja2.UndefinedError("'None' has no attribute 'Format'")
        return GoTime(self.end_time)

    def Format(self, layout: str) -> str:  # noqa: N802
        return self._time().Format(layout)

    def Unix(self) -> int:  # noqa: N802
        return self._time().Unix()


def end_time_sql(end_time: datetime | None) -> str:
    """A Snowflake-dialect timestamp literal that sqlglot transpiles to every engine.

    `'2024-01-31 00:00:00'::timestamp` becomes `CAST('2024-01-31 00:00:00' AS TIMESTAMP)` in DuckDB.
    Without an end_time it is the current time, as pb does when `--end_time` is not given.
    """
    if end_time is None:
        return "current_timestamp()::timestamp"
    text = end_time.strftime("%Y-%m-%d %H:%M:%S")
    if end_time.microsecond:
        text += f".{end_time.microsecond:06d}"
    return f"'{text}'::timestamp"
