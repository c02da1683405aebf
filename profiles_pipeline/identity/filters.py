"""Id filters as SQL predicates: blank values always go, then junk values (`null`, `undefined`,
...) and values with control characters, then the id type's pb filters in order."""

from __future__ import annotations

from profiles_pipeline.identity.plan import IdFilter, IdTypeRules
from profiles_pipeline.identity.sqlbits import lit


def _matches(f: IdFilter, x: str) -> str:
    if f.value is not None:
        return f"({x} = {lit(f.value)})"
    if f.regex is not None:
        # Anchored so DuckDB's partial match and Snowflake's REGEXP_LIKE mean the same: whole value.
        return f"regexp_matches({x}, {lit('^(' + f.regex + ')$')})"
    assert f.sql is not None
    return (
        f"({x} IN (SELECT CAST({f.sql.column} AS VARCHAR) FROM ({f.sql.relation_sql}) AS _l "
        f"WHERE {f.sql.column} IS NOT NULL))"
    )


def _passes(f: IdFilter, x: str) -> str:
    m = _matches(f, x)
    return m if f.type == "include" else f"(NOT {m})"


def _describe(f: IdFilter) -> str:
    what = (
        f"value {f.value!r}"
        if f.value is not None
        else f"regex {f.regex!r}"
        if f.regex is not None
        else f"sql list {f.sql.column}"  # type: ignore[union-attr]
    )
    return f"{f.type} {what}"


#: Anchored, so it means "no control character anywhere" on both engines ([[:cntrl:]] is
#: \x00-\x1f and \x7f in RE2 and in POSIX classes).
_NO_CONTROL = "^([^[:cntrl:]]*)$"


def _hygiene(rules: IdTypeRules, x: str) -> list[tuple[str, str]]:
    """(drop condition, reason) of the junk rules, in order."""
    out = []
    if rules.junk_values:
        values = ", ".join(lit(v) for v in rules.junk_values)
        out.append((f"(LOWER(TRIM({x})) IN ({values}))", "junk value"))
    if rules.drop_control_characters:
        out.append((f"(NOT regexp_matches({x}, {lit(_NO_CONTROL)}))", "control character"))
    return out


def keep_predicate(rules: IdTypeRules, x: str) -> str:
    """True when the non-null value `x` survives: not blank, not junk, and passes every filter."""
    parts = [f"(TRIM({x}) <> '')"] + [f"(NOT {cond})" for cond, _ in _hygiene(rules, x)]
    parts += [_passes(f, x) for f in rules.filters]
    return "(" + " AND ".join(parts) + ")"


def drop_reason(rules: IdTypeRules, x: str) -> str:
    """The first reason `x` is dropped (blank, junk, then filters in their listed order)."""
    whens = [f"WHEN TRIM({x}) = '' THEN 'blank'"] + [f"WHEN {cond} THEN {lit(why)}" for cond, why in _hygiene(rules, x)]
    for i, f in enumerate(rules.filters, 1):
        whens.append(f"WHEN NOT {_passes(f, x)} THEN {lit(f'filter {i}: {_describe(f)}')}")
    return "(CASE " + " ".join(whens) + " END)"
