"""A step that fails on its inputs' values says which input, file, column and value, and what
was expected — not only the warehouse's words.

The engine reports a value it could not convert (`Could not convert string 'abc' to DOUBLE`), a
function given the wrong type (`sum(VARCHAR)`) or a column that is not there, without naming the
input or the file. `explaining` wraps a step: on such an error it looks the value up in the text
columns the project reads from the step's inputs (on DuckDB, file by file) and raises a
UserError that names them, with the var or key that reads the column and where it is written.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlglot import exp

from profiles_pipeline.errors import UserError, WarehouseError
from profiles_pipeline.pipeline.graph import RunContext, Step, StepResult
from profiles_pipeline.spec.input_columns import ColumnUse, input_column_uses
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter

_CONVERT = re.compile(r"Could not convert string '(?P<value>.*?)' to (?P<type>\w+)")
_TIMESTAMP = re.compile(r"(?:timestamp|date) field (?:format|value out of range): \"(?P<value>.*?)\"")
_FUNCTION = re.compile(r"No function matches the given name and argument types '(?P<fn>\w+)\((?P<args>[^)]*)\)'")
_COMPARE = re.compile(r"Cannot compare values of type (?P<a>\w+) and type (?P<b>\w+)")
_COLUMN = re.compile(r"Referenced column \"(?P<column>[^\"]+)\" not found")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_PLAIN = {"DOUBLE": "a number", "FLOAT": "a number", "DECIMAL": "a number", "BIGINT": "a whole number",
          "INT64": "a whole number", "INT32": "a whole number", "INTEGER": "a whole number",
          "TIMESTAMP": "a timestamp (YYYY-MM-DD HH:MM:SS)", "DATE": "a date (YYYY-MM-DD)",
          "BOOLEAN": "true or false"}


@dataclass(frozen=True)
class Found:
    input: Input
    use: ColumnUse
    file: str | None  # the file holding the value (folder inputs)


def explaining(project: Project, step: Step, inputs: list[Input]) -> Step:
    """`step`, whose warehouse errors about the values of `inputs` become UserErrors naming them."""
    if not inputs:
        return step
    inner = step.run

    def run(adapter: WarehouseAdapter, ctx: RunContext) -> StepResult:
        with naming_bad_values(adapter, project, inputs):
            return inner(adapter, ctx)

    return dataclasses.replace(step, run=run)


@contextmanager
def naming_bad_values(adapter: WarehouseAdapter, project: Project, inputs: list[Input]) -> Iterator[None]:
    """Turn a warehouse error about the values of `inputs` into a UserError that names them."""
    try:
        yield
    except WarehouseError as e:
        explained = explain(adapter, project, inputs, str(e))
        if explained is None:
            raise
        raise UserError(f"{explained}\n  (the warehouse said: {str(e).splitlines()[0]})") from None


def explain(adapter: WarehouseAdapter, project: Project, inputs: list[Input], message: str) -> str | None:
    """What is wrong, in the user's terms, or None when `message` is not about input values."""
    if m := _CONVERT.search(message):
        return _bad_value(adapter, project, inputs, m.group("value"), m.group("type").upper())
    if m := _TIMESTAMP.search(message):
        return _bad_value(adapter, project, inputs, m.group("value"), "TIMESTAMP")
    if m := _FUNCTION.search(message):
        return _bad_type(adapter, project, inputs, message, f"given to {m.group('fn').lower()}()", m.group("args"))
    if m := _COMPARE.search(message):
        return _bad_type(adapter, project, inputs, message, "compared with a value of another type",
                         f"{m.group('a')}, {m.group('b')}")
    if m := _COLUMN.search(message):
        return _missing_column(adapter, project, inputs, m.group("column").lower())
    return None


def _text_uses(adapter: WarehouseAdapter, project: Project, inp: Input) -> tuple[list[ColumnUse], dict[str, str]]:
    from profiles_pipeline.features.relations import input_relation_sql

    relation = input_relation_sql(adapter, project, inp)
    types = {c.name.lower(): c.type.upper() for c in adapter.describe_query(exp.select("*").from_(relation))}
    return [u for u in input_column_uses(project, inp) if types.get(u.column, "").startswith("VARCHAR")], types


def _bad_value(adapter: WarehouseAdapter, project: Project, inputs: list[Input], value: str, target: str) -> str | None:
    for inp in inputs:
        uses, _ = _text_uses(adapter, project, inp)
        for column in dict.fromkeys(u.column for u in uses):
            hit = _find_value(adapter, project, inp, column, value)
            if hit is None:
                continue
            readers = [u for u in uses if u.column == column]
            where = f" in file {hit}" if hit != "" else ""
            return (f"input {inp.name}: column {column} holds {value!r}{where}, which cannot be read as "
                    f"{_PLAIN.get(target, target)} ({target}); read by " + _readers(readers)
                    + f". Fix the value in the input, or skip such values with TRY_CAST({column} AS {target})")
    return None


def _find_value(adapter: WarehouseAdapter, project: Project, inp: Input, column: str, value: str) -> str | None:
    """The file (folder inputs) or "" (tables) holding `value` in `column`, None if not found."""
    from profiles_pipeline.features.relations import input_relation_sql, input_source
    from profiles_pipeline.warehouse.inputs import input_files

    files = input_files(adapter, input_source(project, inp))
    match = exp.cast(exp.column(column), "VARCHAR").eq(exp.Literal.string(value))
    if files is not None and files.good:
        listing = exp.Array(expressions=[exp.Literal.string(str(f.path)) for f in files.good])
        reader = exp.func("read_parquet", listing, exp.EQ(this=exp.column("filename"), expression=exp.true()),
                          exp.EQ(this=exp.column("union_by_name"), expression=exp.true()))
        rows = adapter.fetch(exp.select(exp.column("filename")).from_(reader).where(match).limit(1))
        return str(rows[0][0]) if rows else None
    relation = input_relation_sql(adapter, project, inp)
    return "" if adapter.fetch(exp.select(exp.Literal.number(1)).from_(relation).where(match).limit(1)) else None


def _bad_type(adapter: WarehouseAdapter, project: Project, inputs: list[Input], message: str, how: str,
              types_given: str) -> str | None:
    """Text where the SQL needs another type: the text columns the failing SQL names where the
    engine points (its `LINE` excerpt), else those read by a snippet calling the function."""
    if "VARCHAR" not in types_given.upper():
        return None
    pointed = _pointed_words(message)
    for inp in inputs:
        uses, types = _text_uses(adapter, project, inp)
        culprits = [u for u in uses if u.column in pointed]
        if not culprits and (fn := _FUNCTION.search(message)):
            call = re.compile(rf"\b{re.escape(fn.group('fn'))}\s*\(", re.I)
            culprits = [u for u in uses if call.search(_var_text(project, u) or "")]
        if culprits:
            cols = sorted({u.column for u in culprits})
            return (f"input {inp.name}: column {', '.join(cols)} is text ({types[cols[0]]}) but is {how}; read by "
                    + _readers(culprits) + f". Write it as a number in the input, or cast it where it is read, "
                    f"e.g. TRY_CAST({cols[0]} AS DOUBLE)")
    return None


def _pointed_words(message: str) -> set[str]:
    """Identifiers under the engine's carets (`LINE 1: ...` then a line of `^`)."""
    lines = message.splitlines()
    for i, line in enumerate(lines[:-1]):
        m = re.match(r"LINE \d+: ", line)
        carets = lines[i + 1]
        if m and "^" in carets:
            start, end = carets.index("^"), carets.rindex("^") + 1
            return {w.lower() for w in _WORD.findall(line[start:end])}
    return set()


def _var_text(project: Project, use: ColumnUse) -> str | None:
    name = use.what.split(" ", 1)[1] if " " in use.what else ""
    for group in project.var_groups:
        for var in group.variables:
            if var.name == name:
                return f"{var.select} {var.where or ''}"
    return None


def _missing_column(adapter: WarehouseAdapter, project: Project, inputs: list[Input], column: str) -> str | None:
    for inp in inputs:
        readers = [u for u in input_column_uses(project, inp) if u.column == column]
        if readers:
            _, types = _text_uses(adapter, project, inp)
            if column not in types:
                return (f"input {inp.name} has no column {column}, read by {_readers(readers)}; its columns: "
                        + ", ".join(sorted(types)))
    return None


def _readers(uses: list[ColumnUse]) -> str:
    return "; ".join(f"{u.what} ({u.location})" for u in uses[:5])
