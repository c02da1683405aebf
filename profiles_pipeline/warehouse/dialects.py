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


def to_timestamp_text(node: exp.Expression) -> exp.Expression:
    """Snowflake `TO_TIMESTAMP(x)` / `TO_TIMESTAMP_NTZ(x)` parse text (or take epoch seconds);
    DuckDB's `to_timestamp` takes only epoch seconds. `TO_TIMESTAMP_TZ`/`_LTZ` likewise, to
    TIMESTAMPTZ. Text casts; a number (or numeric text) is epoch seconds."""
    if not isinstance(node, exp.Anonymous) or len(node.expressions) != 1:
        return node
    name = node.name.upper()
    target = {"TO_TIMESTAMP": "TIMESTAMP", "TO_TIMESTAMP_NTZ": "TIMESTAMP", "TO_TIMESTAMP_TZ": "TIMESTAMPTZ",
              "TO_TIMESTAMP_LTZ": "TIMESTAMPTZ"}.get(name)
    if target is None:
        return node
    arg = node.expressions[0]
    as_text = exp.TryCast(this=arg.copy(), to=exp.DataType.build(target))
    as_epoch = exp.cast(exp.Anonymous(this="to_timestamp", expressions=[
        exp.TryCast(this=arg.copy(), to=exp.DataType.build("DOUBLE"))]), target)
    return exp.Coalesce(this=as_text, expressions=[as_epoch])


def array_size_of_json(node: exp.Expression) -> exp.Expression:
    """`ARRAY_SIZE(PARSE_JSON(x))`: DuckDB's array_length does not take JSON; json_array_length does."""
    if isinstance(node, exp.ArraySize) and isinstance(node.this, exp.ParseJSON):
        return exp.Anonymous(this="json_array_length", expressions=[node.this.this.copy()])
    return node


def _flattened(join: exp.Join) -> tuple[exp.Expression, exp.TableAlias] | None:
    """(the JSON, alias) of a join `TABLE(FLATTEN(x)) f` or `LATERAL FLATTEN(input => x) f`."""
    source = join.this
    if isinstance(source, exp.TableFromRows | exp.Lateral) and isinstance(source.this, exp.Explode):
        arg = source.this.this
        if isinstance(arg, exp.Kwarg):
            arg = arg.expression
        alias = source.args.get("alias")
        if isinstance(alias, exp.TableAlias) and alias.this is not None:
            return arg, alias
    return None


def flatten_to_unnest(node: exp.Expression) -> exp.Expression:
    """Snowflake `FROM t, TABLE(FLATTEN(PARSE_JSON(x))) f` (or `LATERAL FLATTEN(input => ...)`),
    read through `f.value`: DuckDB unnests the JSON array as JSON values, `f(value)`; a key of a
    value (`f.value['sku']`, `f.value:sku`) is read as text, as Snowflake's VARIANT compares."""
    if not isinstance(node, exp.Select):
        return node
    aliases = set()
    for join in node.args.get("joins") or []:
        found = _flattened(join)
        if found is None:
            continue
        arg, alias = found
        json_arg = arg if isinstance(arg, exp.ParseJSON) else exp.ParseJSON(this=arg.copy())
        unnest = exp.Unnest(expressions=[exp.cast(json_arg.copy(), exp.DataType.build("JSON[]"))],
                            alias=exp.TableAlias(this=alias.this.copy(), columns=[exp.to_identifier("value")]))
        join.set("this", unnest)
        aliases.add(alias.name)
    if not aliases:
        return node

    def keys(n: exp.Expression) -> exp.Expression:
        if (isinstance(n, exp.Bracket) and isinstance(n.this, exp.Column) and n.this.table in aliases
                and n.this.name.lower() == "value" and len(n.expressions) == 1 and n.expressions[0].is_string):
            return exp.JSONExtractScalar(this=n.this.copy(), expression=exp.Literal.string(f"$.{n.expressions[0].name}"))
        return n

    return node.transform(keys)


def variant_key_as_text(node: exp.Expression) -> exp.Expression:
    """`v:key::string` reads the key's text in Snowflake; DuckDB's `CAST(v -> '$.key' AS TEXT)` keeps
    the JSON quotes. `->>` reads the text."""
    if (isinstance(node, exp.Cast) and isinstance(node.this, exp.JSONExtract)
            and node.to.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR)):
        inner = node.this
        return exp.JSONExtractScalar(this=inner.this.copy(), expression=inner.expression.copy())
    return node


FIXUPS: dict[tuple[str, str], list[Fixup]] = {
    ("snowflake", "duckdb"): [dateadd_keeps_date, to_char_format, to_timestamp_text, array_size_of_json,
                              flatten_to_unnest, variant_key_as_text],
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
