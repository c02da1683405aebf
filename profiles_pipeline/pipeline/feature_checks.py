"""Checks on feature views and cohorts, and the cohort size history they compare against.

The history is a small warehouse table (`profiles_cohort_sizes`) so the check needs nothing
from Dagster's event log and works the same from the CLI."""

from __future__ import annotations

from profiles_pipeline.pipeline.graph import CheckOutcome, RunContext, StepCheck, StepResult
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter

HISTORY = "profiles_cohort_sizes"


def feature_view_checks(project: Project, entity: str) -> tuple[StepCheck, ...]:
    main_id = project.entity(entity).main_id_column
    view = f"{entity}_feature_view"
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
    """Append this run's size to the history; put the previous size in the step's metadata."""
    adapter.execute(
        f"CREATE TABLE IF NOT EXISTS {HISTORY} (cohort VARCHAR, day DATE, run_id VARCHAR, "
        "members BIGINT, recorded_at TIMESTAMP)"
    )
    previous = adapter.fetch(
        f"SELECT members FROM {HISTORY} WHERE cohort = '{table}' AND run_id <> '{ctx.run_id}' "
        "ORDER BY recorded_at DESC LIMIT 1"
    )
    members = result.tables.get(table, 0)
    adapter.execute(
        f"INSERT INTO {HISTORY} VALUES ('{table}', DATE '{ctx.day.isoformat()}', '{ctx.run_id}', "
        f"{int(members)}, CURRENT_TIMESTAMP)"
    )
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
