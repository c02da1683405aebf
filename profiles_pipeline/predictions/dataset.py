"""Point-in-time rows: features as of T, the label as of T + predict_window_days.

Both sides read the entity's var-table snapshots (`features_as_of` computes a missing one from
the history, with the id graph as of that instant), so no feature sees an event after T. The
join, the eligibility filter and the sample bound run in the warehouse; only the sample leaves it.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlglot
from sqlglot import exp

from profiles_pipeline.errors import UserError
from profiles_pipeline.features.outputs import VALID_AT
from profiles_pipeline.predictions.plan import PredictionPlan
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.sqltree import literal

#: Columns the training frame adds next to the features.
LABEL, INSTANT = "__label", "__t"


def _col(name: str, table: str | None = None) -> exp.Column:
    """Unquoted, as the var tables' columns are written (upper-cased on Snowflake)."""
    return exp.column(name, table=table)


def eligible(condition: str | None, project: Project, model: str, key: str) -> exp.Expression | None:
    """An `eligible_users` condition as a tree, parsed in the project's dialect."""
    if not condition or not condition.strip():
        return None
    try:
        return sqlglot.parse_one(condition, read=project.sql_dialect)
    except sqlglot.errors.ParseError as e:
        raise UserError(f"propensity {model}: {key} {condition!r} is not a SQL condition ({e})") from None


def _rows_at(plan: PredictionPlan, table: str, t: datetime, label_at: datetime,
             condition: exp.Expression | None) -> exp.Select:
    """One instant's rows; `condition` sees every var as of T (not only the features)."""
    inner = (exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("f")),
                        exp.alias_(_col(plan.label_var, "l"), LABEL),
                        exp.alias_(literal(t), INSTANT))
             .from_(exp.to_table(table).as_("f"))
             .join(exp.to_table(table).as_("l"), on=exp.and_(_col(plan.main_id, "l").eq(_col(plan.main_id, "f")),
                                                             _col(VALID_AT, "l").eq(literal(label_at))))
             .where(_col(VALID_AT, "f").eq(literal(t))))
    outer = exp.select(*[_col(n) for n in (plan.main_id, *plan.features, LABEL, INSTANT)]).from_(inner.subquery("r"))
    return outer.where(condition.copy()) if condition is not None else outer


def _history_begins(adapter: WarehouseAdapter, project: Project, entity: str) -> datetime | None:
    """The id graph's first checkpoint: features as of an earlier instant have no graph to use."""
    from profiles_pipeline.identity import StitcherTables, history_store

    if not project.edge_sources_for(entity):
        return None
    found = history_store.checkpoint_instants(adapter, StitcherTables(project.stitcher_name(entity)))
    return found[0] if found else None


def training_frame(adapter: WarehouseAdapter, project: Project, plan: PredictionPlan, end_time: datetime,
                   begin: datetime | None) -> tuple[pd.DataFrame, dict]:
    """The training sample (features, `__label`, `__t`) and what it was drawn from."""
    # imported here: the pipeline imports this package
    from profiles_pipeline.pipeline.snapshots import features_as_of, var_table

    instants = plan.training_instants(end_time, begin, _history_begins(adapter, project, plan.entity))
    for t, label_at in instants:
        features_as_of(adapter, project, t, run_id=f"{plan.name}-training")
        features_as_of(adapter, project, label_at, run_id=f"{plan.name}-training")
    condition = eligible(plan.eligible_training, project, plan.name, "training.eligible_users")
    table = var_table(plan.entity)
    parts = [_rows_at(plan, table, t, label_at, condition) for t, label_at in instants]
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    counted = exp.select(exp.alias_(exp.Count(this=exp.Star()), "n"), _col(INSTANT)).from_(
        union.subquery("u")).group_by(_col(INSTANT))
    per_instant = {t: int(n) for n, t in adapter.fetch(counted)}
    available = sum(per_instant.values())
    query = exp.select("*").from_(union.subquery("u"))
    if available > plan.max_rows:  # a deterministic sample: the same rows on every retry
        key = exp.Concat(expressions=[exp.cast(_col(plan.main_id), "varchar"), exp.cast(_col(INSTANT), "varchar")])
        query = query.order_by(exp.MD5(this=key)).limit(plan.max_rows)
    frame = adapter.fetch_df(query)
    frame[INSTANT] = pd.to_datetime(frame[INSTANT])
    facts = {"instants": [(t.isoformat(sep=" "), label_at.isoformat(sep=" ")) for t, label_at in instants],
             "eligible_rows": available, "sampled_rows": len(frame),
             "rows_per_instant": {str(t): n for t, n in sorted(per_instant.items())}}
    return frame, facts


def scoring_frame(adapter: WarehouseAdapter, project: Project, plan: PredictionPlan, at: datetime) -> pd.DataFrame:
    """Every eligible member's features as of `at` (the published snapshot), for scoring."""
    from profiles_pipeline.pipeline.snapshots import var_table

    condition = eligible(plan.eligible_scoring, project, plan.name, "prediction.eligible_users")
    query = (exp.select(_col(plan.main_id), *[_col(n) for n in plan.features])
             .from_(exp.to_table(var_table(plan.entity))).where(_col(VALID_AT).eq(literal(at))))
    if condition is not None:
        query = query.where(condition)
    frame = adapter.fetch_df(query)
    frame[INSTANT] = pd.Timestamp(at)
    return frame
