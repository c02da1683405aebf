"""Checks on feature views and cohorts, and the cohort size history they compare against.

The history is a small warehouse table (`profiles_cohort_sizes`, one row per cohort and
partition day) so the check needs nothing from Dagster's event log and works the same from the
CLI."""

from __future__ import annotations

from profiles_pipeline.identity.tables import ensure_table
from profiles_pipeline.pipeline.graph import CheckOutcome, RunContext, StepCheck, StepResult
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.sqltree import rows, run

HISTORY = "profiles_cohort_sizes"
HISTORY_COLUMNS = "cohort VARCHAR, day DATE, valid_at TIMESTAMP, members BIGINT"
HISTORY_COLUMN_NAMES = ("cohort", "day", "valid_at", "members")


def feature_view_checks(project: Project, entity: str) -> tuple[StepCheck, ...]:
    main_id = project.entity(entity).main_id_column
    view = project.entity(entity).feature_view_name
    bounds = dict(project.config.checks.max_null_rate)

    def unique(adapter: WarehouseAdapter, ctx: RunContext, _: StepResult | None) -> CheckOutcome:
        dupes = int(adapter.fetch_one(
            f"SELECT COUNT(*) FROM (SELECT {main_id} FROM {view} GROUP BY {main_id} HAVING COUNT(*) > 1) AS d"
        ))
        nulls = int(adapter.fetch_one(f"SELECT COUNT(*) FROM {view} WHERE {main_id} IS NULL"))
        return CheckOutcome(dupes == 0 and nulls == 0,
                            f"{dupes} duplicated and {nulls} null {main_id} values in {view}",
                            {"duplicated": dupes, "null": nulls})

    def null_rates(adapter: WarehouseAdapter, ctx: RunContext, _: StepResult | None) -> CheckOutcome:
        present = {c.name for c in adapter.columns(view)}
        names = sorted(c for c in present if c not in (main_id, "valid_at"))
        if not names:
            return CheckOutcome(True, "no feature columns", {})
        rates = null_shares(adapter, view, names)
        over = {n: rates.get(n) for n, limit in bounds.items() if n not in rates or rates[n] > limit}
        text = ("null rates within bounds" if not over else
                "over their max_null_rate: " + ", ".join(f"{n}={r}" for n, r in over.items()))
        return CheckOutcome(not over, text, {f"null_rate/{n}": r for n, r in rates.items()})

    return (
        StepCheck("unique_main_ids", f"{view} has one row per {main_id}.", True, unique),
        StepCheck("null_rates", "Share of nulls per feature; vars listed under checks.max_null_rate "
                  "in pb_project.yaml must stay within their bound.", False, null_rates),
    )


def null_shares(adapter: WarehouseAdapter, relation: str, columns: list[str]) -> dict[str, float]:
    """Share of rows where each column is null, in one scan."""
    if not columns:
        return {}
    exprs = ", ".join(f"AVG(CASE WHEN {n} IS NULL THEN 1.0 ELSE 0.0 END) AS {n}" for n in columns)
    row = adapter.fetch(f"SELECT {exprs} FROM {relation}")[0]
    return {n: round(float(r or 0.0), 4) for n, r in zip(columns, row, strict=True)}


def record_cohort_size(adapter: WarehouseAdapter, ctx: RunContext, table: str, result: StepResult) -> None:
    """Set this partition day's size in the history (a re-run replaces it); put the size of the
    latest earlier day in the step's metadata."""
    tab = {"sizes": HISTORY}
    if adapter.table_exists(HISTORY) and [c.name for c in adapter.columns(HISTORY)] != list(HISTORY_COLUMN_NAMES):
        adapter.drop(HISTORY)  # a log of an older version: one row per run, not per day
    ensure_table(adapter, HISTORY, HISTORY_COLUMNS)
    previous = rows(adapter, "SELECT members FROM sizes WHERE cohort = :c AND day < :d ORDER BY day DESC LIMIT 1",
                    tab, c=table, d=ctx.day)
    members = int(result.tables.get(table, 0))
    with adapter.transaction():
        run(adapter, "DELETE FROM sizes WHERE cohort = :c AND day = :d", tab, c=table, d=ctx.day)
        run(adapter, "INSERT INTO sizes VALUES (:c, :d, :t, :m)", tab, c=table, d=ctx.day, t=ctx.end_time, m=members)
    result.metadata["members"] = members
    result.metadata["previous_members"] = int(previous[0][0]) if previous else None


def cohort_checks(project: Project, cohort: str) -> tuple[StepCheck, ...]:
    bound = project.config.checks.max_cohort_change

    def size_change(adapter: WarehouseAdapter, ctx: RunContext, result: StepResult | None) -> CheckOutcome:
        members = (result.metadata.get("members") if result else None) or 0
        previous = result.metadata.get("previous_members") if result else None
        if previous is None:
            return CheckOutcome(True, f"first materialization: {members} members", {"members": members})
        change = abs(members - previous) / max(previous, 1)
        return CheckOutcome(change <= bound, f"{previous} → {members} members ({change:.0%} change, "
                            f"bound {bound:.0%})", {"members": members, "previous_members": previous,
                                                    "relative_change": round(change, 4)})

    return (StepCheck("size_change_within_bound", f"Cohort {cohort} did not change size by more than "
                      "checks.max_cohort_change since its previous materialization.", False, size_change),)
