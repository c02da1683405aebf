"""Which columns of an input the project reads: its event time, id selects and `where`, its
contract columns, and the columns of the vars aggregated from it.

A landing-zone file lacking one of these (or holding it with another type than the other files)
is a bad file (see `warehouse.input_files`); validate checks them against the input's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from profiles_pipeline.errors import Location
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.project import Project
from profiles_pipeline.spec.sql_snippets import strip_template

_PLACEHOLDER = "__pb_tpl_"


@dataclass(frozen=True)
class ColumnUse:
    column: str  # lower case
    what: str  # "occurred_at_col", "id select 'anonymous_id'", "entity_var total_revenue"
    location: Location


def columns_used(snippet: str, dialect: str) -> set[str]:
    """Bare column names a SQL expression reads (templates removed first; `a.b` is a field of
    `a`, not a column `b`); empty if unparsable (the spec checks report those)."""
    try:
        tree = sqlglot.parse_one(f"SELECT {strip_template(snippet)}", read=dialect)
    except SqlglotError:
        return set()
    return {c.name.lower() for c in tree.find_all(exp.Column)
            if c.name and not c.table and not c.name.startswith(_PLACEHOLDER)}


def input_column_uses(project: Project, inp: Input) -> list[ColumnUse]:
    """Every column the project reads from `inp`, with what reads it and where that is written."""
    dialect = project.sql_dialect
    ad = inp.app_defaults
    uses: list[ColumnUse] = []
    if inp.occurred_at_written:
        key = "occurred_at_col"
        where = ad.loc_of(key) if ad.occurred_at_col else inp.loc_of(key)
        if inp.occurred_at_expression:
            uses += [ColumnUse(c, key, where) for c in sorted(columns_used(inp.occurred_at_expression, dialect))]
        else:
            uses.append(ColumnUse(inp.occurred_at_written.strip('"').lower(), key, where))
    for n, id_ in enumerate(ad.ids):
        uses += [ColumnUse(c, f"id select {id_.select!r}", ad.loc_of("ids", n))
                 for c in sorted(columns_used(id_.select, dialect))]
    for owner in (inp, ad):
        if owner.where:
            uses += [ColumnUse(c, "where", owner.loc_of("where")) for c in sorted(columns_used(owner.where, dialect))]
    for col in (inp.contract.with_columns or []) if inp.contract else []:
        if isinstance(col, dict) and col.get("name"):
            uses.append(ColumnUse(str(col["name"]).lower(), "contract.with_columns", inp.loc_of("contract")))
    var_names = {v.name.lower() for g in project.var_groups for v in g.variables}
    for group in project.var_groups:
        for var in group.variables:
            if not var.from_ or project.resolve(_input_path(var.from_)) is not inp:
                continue
            kind = "input_var" if type(var).__name__ == "InputVar" else "entity_var"
            for text, key in ((var.select, "select"), (var.where, "where")):
                if text:
                    uses += [ColumnUse(c, f"{kind} {var.name}", var.loc_of(key))
                             for c in sorted(columns_used(text, dialect) - var_names)]
    return uses


def _input_path(path: str) -> str:
    path = path.strip().strip("/")
    return path if "/" in path else f"inputs/{path}"


def input_columns(project: Project, inp: Input) -> tuple[str, ...]:
    """The distinct columns `input_column_uses` names, sorted."""
    return tuple(sorted({u.column for u in input_column_uses(project, inp)}))
