"""Where an input's rows are, as a FROM-able expression (the warehouse layer finds them)."""

from __future__ import annotations

from datetime import date

import sqlglot
from sqlglot import exp

from profiles_pipeline.spec.input_models import OCCURRED_AT_COLUMN, Input
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import CANONICAL_DIALECT, WarehouseAdapter
from profiles_pipeline.warehouse.inputs import InputSource, input_relation


def input_source(project: Project, inp: Input) -> InputSource:
    """What the warehouse layer needs to find the input's rows and judge its files."""
    from profiles_pipeline.spec.input_columns import input_columns

    ad = inp.app_defaults
    return InputSource(
        name=inp.name,
        table=ad.table,
        view=ad.view,
        path=(project.root / (ad.path or ad.csv)).resolve() if (ad.path or ad.csv) else None,
        landing_zone=project.landing_zone_path,
        occurred_at_col=inp.occurred_at,
        columns=input_columns(project, inp),
        allow_missing_columns=ad.allow_missing_columns,
    )


def input_relation_sql(adapter: WarehouseAdapter, project: Project, inp: Input,
                       days: tuple[date, date] | None = None, *, event_time: bool = True) -> exp.Expression:
    """The input's rows (no filters) as a table or table-function expression; with `days`, a
    folder input lists only the files that may hold rows of those days. `event_time=False`: the
    rows as stored, without an occurred_at_col expression computed (to list their own columns)."""
    sql = input_relation(adapter, input_source(project, inp), days)
    tree = sqlglot.parse_one(f"SELECT * FROM {sql}", read=CANONICAL_DIALECT)
    relation = tree.find(exp.From).this
    # Re-parse in the engine's dialect so the whole query renders in one dialect.
    text = adapter.to_sql(relation)
    rows = sqlglot.parse_one(f"SELECT * FROM {text}", read=adapter.dialect).find(exp.From).this
    return _with_event_time(adapter, project, inp, rows) if event_time else rows


def _with_event_time(adapter: WarehouseAdapter, project: Project, inp: Input, rows: exp.Expression) -> exp.Expression:
    """An `occurred_at_col` written as an expression (`to_timestamp(created)`) computed once into a
    column of the input's rows, so everything downstream reads a column, as for a named one."""
    written = inp.occurred_at_expression
    if not written:
        return rows
    from profiles_pipeline.warehouse.dialects import transpile_snippet

    key = "occurred_at_col"
    loc = inp.app_defaults.loc_of(key) if inp.app_defaults.occurred_at_col else inp.loc_of(key)
    sql = transpile_snippet(f"SELECT {written}", project.sql_dialect, adapter.dialect,
                            owner=f"input {inp.name} occurred_at_col", file=loc.file, line=loc.line)
    expression = sqlglot.parse_one(sql, read=adapter.dialect).expressions[0]
    query = exp.select(exp.Star(), exp.alias_(expression, OCCURRED_AT_COLUMN)).from_(rows)
    return query.subquery()
