"""One step per input: read the run's days of it, record what they hold, describe them."""

from __future__ import annotations

from sqlglot import exp

from profiles_pipeline.features.relations import input_relation_sql, input_source
from profiles_pipeline.instants import start_of_day
from profiles_pipeline.pipeline.graph import RunContext, Step, StepResult
from profiles_pipeline.pipeline.input_days import event_window, read_input_days, record
from profiles_pipeline.pipeline.left_out import LeftOut, outside_rows, record_left_out
from profiles_pipeline.pipeline.partition_span import remember_days
from profiles_pipeline.pipeline.tables import preview_markdown
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.inputs import BadInputFilesError, input_files
from profiles_pipeline.warehouse.sqltree import literal


def input_step(project: Project, inp: Input) -> Step:
    def run(adapter: WarehouseAdapter, ctx: RunContext) -> StepResult:
        span = (ctx.first_day, ctx.day)
        files = input_files(adapter, input_source(project, inp))
        if files is not None and (own := files.bad_within(*span)):
            raise BadInputFilesError(inp.name, own, f"a file of the run's days ({_span(ctx)})")
        relation = input_relation_sql(adapter, project, inp, span)
        in_range = read_input_days(adapter, project, [inp.name], span)
        record(adapter, in_range, [inp.name], ctx.first_day, ctx.day)
        remember_days(project, in_range)
        left_out = _left_out(adapter, project, inp, files)
        record_left_out(adapter, inp.name, left_out, ctx.end_time)
        last_day = _rows_of_last_day(relation, inp.occurred_at, ctx)
        types = {c.name: c.type for c in adapter.describe_query(exp.select("*").from_(relation.copy()))}
        latest = max((d.latest for d in in_range if d.latest is not None), default=None)
        return StepResult(
            tables={f"{inp.name} ({_span(ctx)})": sum(d.rows for d in in_range)},
            metadata={
                "rows_in_run": sum(d.rows for d in in_range),
                "days_with_rows": sum(1 for d in in_range if d.day is not None),
                "latest_event": str(latest) if latest else None,
                "source": _describe(inp),
                "files_read": len(files.within(*span)) if files is not None else None,
                "left_out": [e.describe() for e in left_out] or None,
                "rows_left_out": sum(e.rows or 0 for e in left_out),
            },
            columns=types,
            preview_markdown=preview_markdown(adapter, last_day.subquery("_day")),
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


def _left_out(adapter: WarehouseAdapter, project: Project, inp: Input, files) -> list[LeftOut]:
    """Rows dated outside the believable span (read from the files that may hold them only)
    and bad files outside the run's days (left out of every relation)."""
    window = event_window(project)
    out = [LeftOut(inp.name, "bad file", None, detail=b.describe()) for b in (files.bad if files else ())]
    if not inp.occurred_at:
        return out
    if files is not None:
        suspects = [f for f in files.good if f.events is None or not (
            window.first <= f.events[0].date() and f.events[1].date() <= window.last)]
        if not suspects:
            return out
    relation = input_relation_sql(adapter, project, inp)
    return out + outside_rows(adapter, relation, inp.occurred_at, inp.name, window.first, window.last)


def _rows_of_last_day(relation: exp.Expression, occurred_at: str | None, ctx: RunContext) -> exp.Select:
    query = exp.select("*").from_(relation.copy())
    if not occurred_at:
        return query
    ts = exp.column(occurred_at)
    return query.where(exp.and_(ts.copy() >= literal(start_of_day(ctx.day)), ts.copy() <= literal(ctx.end_time)))


def _span(ctx: RunContext) -> str:
    return str(ctx.day) if ctx.first_day == ctx.day else f"{ctx.first_day} .. {ctx.day}"


def _source_tags(inp: Input) -> dict[str, str]:
    """What the warehouse new-events sensor watches: the table and its event-time column."""
    tags = {}
    if inp.app_defaults.table:
        tags["profiles/source_table"] = inp.app_defaults.table
    if inp.occurred_at:
        tags["profiles/occurred_at"] = inp.occurred_at_written
    return tags


def _describe(inp: Input) -> str:
    ad = inp.app_defaults
    return ad.table or ad.view or str(ad.path or ad.csv or "")


def _description(inp: Input) -> str:
    ids = ", ".join(sorted({i.type for i in inp.app_defaults.ids})) or "no ids"
    return f"Input {inp.name} ({_describe(inp)}); ids: {ids}; event time: {inp.occurred_at_written or '-'}"
