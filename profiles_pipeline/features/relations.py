"""Where an input's rows are, as a FROM-able expression (the warehouse layer finds them)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import CANONICAL_DIALECT, WarehouseAdapter
from profiles_pipeline.warehouse.inputs import InputSource, input_relation


def input_relation_sql(adapter: WarehouseAdapter, project: Project, inp: Input) -> exp.Expression:
    """The input's rows (no filters) as a table or table-function expression."""
    ad = inp.app_defaults
    source = InputSource(
        name=inp.name,
        table=ad.table,
        view=ad.view,
        path=(project.root / (ad.path or ad.csv)).resolve() if (ad.path or ad.csv) else None,
        landing_zone=project.landing_zone_path,
        occurred_at_col=inp.occurred_at,
    )
    sql = input_relation(adapter, source)
    tree = sqlglot.parse_one(f"SELECT * FROM {sql}", read=CANONICAL_DIALECT)
    relation = tree.find(exp.From).this
    # Re-parse in the engine's dialect so the whole query renders in one dialect.
    text = relation.sql(dialect=adapter.dialect)
    return sqlglot.parse_one(f"SELECT * FROM {text}", read=adapter.dialect).find(exp.From).this
