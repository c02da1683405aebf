"""Where an input's rows are, as a FROM-able expression (the warehouse layer finds them)."""

from __future__ import annotations

from datetime import date

import sqlglot
from sqlglot import exp

from profiles_pipeline.spec.input_models import Input
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
                       days: tuple[date, date] | None = None) -> exp.Expression:
    """The input's rows (no filters) as a table or table-function expression; with `days`, a
    folder input lists only the files that may hold rows of those days."""
    sql = input_relation(adapter, input_source(project, inp), days)
    tree = sqlglot.parse_one(f"SELECT * FROM {sql}", read=CANONICAL_DIALECT)
    relation = tree.find(exp.From).this
    # Re-parse in the engine's dialect so the whole query renders in one dialect.
    text = relation.sql(dialect=adapter.dialect)
    return sqlglot.parse_one(f"SELECT * FROM {text}", read=adapter.dialect).find(exp.From).this
