"""User SQL snippets: parsed in the project's dialect, rendered in the engine's.

sqlglot does nearly all the work. Where it is wrong for our pair of dialects (checked by
executing both sides in tests), a small transform in `FIXUPS` repairs the tree between parse
and render. Anything sqlglot cannot express raises (`ErrorLevel.RAISE`) and becomes a
`SqlSnippetError` naming the snippet, its owner and file:line.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError
from sqlglot.time import format_time

from profiles_pipeline.errors import Location, SqlSnippetError

Fixup = Callable[[exp.Expression], exp.Expression]
_DATE_UNITS = frozenset(
    "DAY DAYS D WEEK WEEKS W MONTH MONTHS MM QUARTER Q YEAR YEARS Y YY YYYY".split()
)


def _is_date(node: exp.Expression) -> bool:
    if isinstance(node, exp.CurrentDate | exp.TsOrDsToDate | exp.Date | exp.DateFromParts):
        return True
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE)


def dateadd_keeps_date(node: exp.Expression) -> exp.Expression:
    """Snowflake `DATEADD(day, n, <date>)` is a DATE; DuckDB's `date + INTERVAL` is a TIMESTAMP."""
    if (
        isinstance(node, exp.DateAdd)
        and _is_date(node.this)
        and node.unit is not None
        and node.unit.name.upper() in _DATE_UNITS
        and not isinstance(node.parent, exp.Cast)
    ):
        return exp.cast(node.copy(), exp.DataType.Type.DATE)
    return node


def to_char_format(node: exp.Expression) -> exp.Expression:
    """Snowflake `TO_CHAR(ts, 'YYYY-MM-DD')` -> strftime with the format translated."""
    fmt = node.args.get("format") if isinstance(node, exp.ToChar) else None
    if isinstance(fmt, exp.Literal) and fmt.is_string:
        python_fmt = format_time(fmt.name, Snowflake.TIME_MAPPING, Snowflake.TIME_TRIE)
        return exp.TimeToStr(this=node.this, format=exp.Literal.string(python_fmt))
    return node


FIXUPS: dict[tuple[str, str], list[Fixup]] = {
    ("snowflake", "duckdb"): [dateadd_keeps_date, to_char_format],
}


def _where(owner: str, file: str | None, line: int | None) -> str:
    return f"{Location(file, line)} ({owner})"


def transpile_snippet(
    sql: str, read: str, write: str, *, owner: str, file: str | None, line: int | None
) -> str:
    """Transpile a user expression or statement from `read` to `write` (fix-ups applied)."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=read) if t is not None]
    except ParseError as e:
        raise SqlSnippetError(
            f"{_where(owner, file, line)}: cannot parse {read} SQL {sql!r}: {e.errors[0]['description'] if e.errors else e}"
        ) from None
    if not trees:
        raise SqlSnippetError(f"{_where(owner, file, line)}: empty SQL snippet")
    out = []
    for tree in trees:
        for fix in FIXUPS.get((read, write), []):
            tree = tree.transform(fix)
        try:
            out.append(tree.sql(dialect=write, unsupported_level=ErrorLevel.RAISE))
        except UnsupportedError as e:
            raise SqlSnippetError(
                f"{_where(owner, file, line)}: {read} SQL {sql!r} has no {write} equivalent: {e}"
            ) from None
    return ";\n".join(out)
