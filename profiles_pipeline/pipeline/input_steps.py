"""One step per input: check that the day's rows can be read and describe them."""

from __future__ import annotations

from datetime import timedelta

from profiles_pipeline.features.relations import input_relation_sql
from profiles_pipeline.pipeline.graph import RunContext, Step, StepResult
from profiles_pipeline.pipeline.tables import preview_markdown
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import CANONICAL_DIALECT, WarehouseAdapter


def input_step(project: Project, inp: Input) -> Step:
    def run(adapter: WarehouseAdapter, ctx: RunContext) -> StepResult:
        relation = input_relation_sql(adapter, project, inp).sql(dialect=CANONICAL_DIALECT)
        occ = inp.occurred_at
        day_rows = f"(SELECT * FROM {relation} AS _all"
        if occ:
            day_rows += (
                f" WHERE {occ} >= TIMESTAMP '{ctx.day.isoformat()}'"
                f" AND {occ} < TIMESTAMP '{(ctx.day + timedelta(days=1)).isoformat()}'"
            )
        day_rows += ") AS _day"
        count = int(adapter.fetch_one(f"SELECT COUNT(*) FROM {day_rows}"))
        total = int(adapter.fetch_one(f"SELECT COUNT(*) FROM {relation} AS _all"))
        types = {c.name: c.type for c in adapter.describe_query(f"SELECT * FROM {relation} AS _all")}
        return StepResult(
            tables={f"{inp.name} ({ctx.day})": count},
            metadata={"rows_this_day": count, "rows_all_days": total, "source": _describe(inp)},
            columns=types,
            preview_markdown=preview_markdown(adapter, day_rows),
        )

    return Step(
        key=("inputs", inp.name),
        kind="input",
        description=_description(inp),
        group="inputs",
        upstream=(),
        run=run,
        tags=_source_tags(inp),
    )


def _source_tags(inp: Input) -> dict[str, str]:
    """What the warehouse new-events sensor watches: the table and its event-time column."""
    tags = {}
    if inp.app_defaults.table:
        tags["profiles/source_table"] = inp.app_defaults.table
    if inp.occurred_at:
        tags["profiles/occurred_at"] = inp.occurred_at
    return tags


def _describe(inp: Input) -> str:
    ad = inp.app_defaults
    return ad.table or ad.view or str(ad.path or "")


def _description(inp: Input) -> str:
    ids = ", ".join(sorted({i.type for i in inp.app_defaults.ids})) or "no ids"
    return f"Input {inp.name} ({_describe(inp)}); ids: {ids}; event time: {inp.occurred_at or '-'}"
