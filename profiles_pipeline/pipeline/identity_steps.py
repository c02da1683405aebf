"""Id-graph steps of one entity: the day's edges, then the stitched graph, with its checks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from profiles_pipeline.features.grains import graph_instant
from profiles_pipeline.identity import extract_edges, render_report_html, stale_days, stitch
from profiles_pipeline.identity.extract import dropped_ids, reread_sources_changed
from profiles_pipeline.identity.integrity import several_main_ids
from profiles_pipeline.identity.tables import StitcherTables
from profiles_pipeline.pipeline.graph import CheckOutcome, RunContext, Step, StepCheck, StepResult
from profiles_pipeline.pipeline.identity_plan import stitcher_plan
from profiles_pipeline.pipeline.run_cache import cached
from profiles_pipeline.pipeline.snapshots import graph_head
from profiles_pipeline.pipeline.stitch_quality import quality_metadata
from profiles_pipeline.pipeline.tables import column_types, preview_markdown
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter


def _input_key(path: str) -> tuple[str, str]:
    kind, name = path.strip("/").split("/")[:2]
    return ("inputs", name) if kind == "inputs" else ("models", name)


def identity_steps(project: Project, entity: str, reports_dir: Path) -> list[Step]:
    name = project.stitcher_name(entity)
    edges_key = ("identity", name, "edges")
    graph_key = ("identity", name, "id_graph")
    sources = tuple(_input_key(p) for p in project.edge_sources_for(entity))

    def plan_of(adapter: WarehouseAdapter, ctx: RunContext):
        at = graph_instant(project, entity, ctx.end_time)
        return cached(ctx.run_id, ("stitcher", entity, at),
                      lambda: stitcher_plan(project, adapter, entity, at, ctx.begin_time))

    def run_edges(adapter: WarehouseAdapter, ctx: RunContext) -> StepResult:
        plan = plan_of(adapter, ctx)
        # Days extracted under other filters or sources are extracted again, in the same pass.
        first = min([ctx.first_day, *(d for d in stale_days(adapter, plan) if d < ctx.first_day)])
        # Read only the files that may hold the days extracted (a day's run reads that day's files).
        days_plan = stitcher_plan(project, adapter, entity, ctx.end_time, ctx.begin_time, days=(first, ctx.day))
        r = extract_edges(adapter, days_plan, first, last_day=ctx.day)
        # Sources read whole each run (no event time: on the first partition; a sql_template
        # model: over all history as of the end time, as pb evaluates it): the days whose edges
        # changed are extracted again, and the graph is rebuilt from the first of them. Not for
        # an earlier end time than the graph's: that must leave the stored days alone.
        changed = None
        head = graph_head(adapter, project, entity)
        if head is None or ctx.end_time >= head:
            changed = reread_sources_changed(adapter, plan, first)
        if changed is not None:
            last = first - timedelta(days=1)
            extract_edges(adapter, stitcher_plan(project, adapter, entity, ctx.end_time, ctx.begin_time,
                                                 days=(changed, last)), changed, last_day=last)
        return StepResult(
            tables={r.table: r.stored_rows},
            metadata={
                "days_extracted": r.days,
                "days_extracted_again": str(changed) + " on" if changed else None,
                "rows_read": r.rows_read,
                "ids_before_filters": r.ids_before,
                "ids_after_filters": r.ids_after,
                "edges_before_filters": r.edges_before,
                "edges_after_filters": r.edges_after,
                "ids_dropped": ", ".join(f"{n:,} {why}" for why, n in dropped_ids(adapter, plan, first, ctx.day).items())
                or None,
            },
        )

    def run_graph(adapter: WarehouseAdapter, ctx: RunContext) -> StepResult:
        plan = plan_of(adapter, ctx)
        result = stitch(adapter, plan, end_time=graph_instant(project, entity, ctx.end_time), run_id=ctx.run_id,
                        rebase=ctx.rebase,
                        first_day=ctx.first_day, snapshot=ctx.snapshot, retention=project.config.retention)
        metadata = result.as_metadata()
        artifacts = {}
        if result.report is not None:
            report = result.report
            metadata.update(
                clusters=report.clusters,
                largest_cluster=report.largest[0].size if report.largest else 0,
                ids_by_type=report.ids_by_type,
                hubs=report.hubs,
                edges_dropped_hub=report.edges_dropped_hub,
                edges_dropped_maximum_edges=report.edges_dropped_maximum_edges,
                size_histogram=_histogram_markdown(report.size_histogram),
                edges_refused_cluster_rules=report.edges_refused_cluster_rules,
            )
            if report.several_values_of_unique_looking:
                metadata["several_values_of_unique_looking"] = report.several_values_of_unique_looking
            quality = quality_metadata(project, adapter, plan)
            metadata.update(quality)
            artifacts["id stitcher report"] = str(_write_html_report(report, reports_dir, name, quality))
        return StepResult(
            tables={result.graph_table: result.graph_rows},
            metadata=metadata,
            columns=column_types(adapter, result.graph_table),
            preview_markdown=preview_markdown(adapter, result.graph_table),
            artifacts=artifacts,
        )

    checks = _graph_checks(project, name, project.entity(entity).main_id_column)
    return [
        Step(edges_key, "edges", f"Edges of {name}, extracted per day of events in one pass over the "
             f"run's days (sources: {', '.join('/'.join(s) for s in sources)}).", "identity", sources, run_edges),
        Step(graph_key, "id_graph", f"The id graph of {entity}: every identifier mapped to one "
             f"{project.entity(entity).main_id_column} as of the end of each day, kept as history; "
             "a new day is merged incrementally.", "identity",
             (edges_key,), run_graph, checks=checks, cumulative=True),
    ]


def _histogram_markdown(bins: list[tuple[str, int]]) -> str:
    top = max((n for _, n in bins), default=0) or 1
    lines = ["| cluster size | clusters | |", "|---|---:|---|"]
    lines += [f"| {label} | {n:,} | {'█' * max(1 if n else 0, round(30 * n / top))} |" for label, n in bins]
    return "\n".join(lines)


def _write_html_report(report, reports_dir: Path, name: str, quality: dict | None = None) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / f"{name}_report.html"
    path.write_text(render_report_html(report, quality=quality), encoding="utf-8")
    return path


def _graph_checks(project: Project, table: str, main_id: str) -> tuple[StepCheck, ...]:
    limit = project.config.checks.max_cluster_size

    def one_main_id(adapter: WarehouseAdapter, ctx: RunContext, _: StepResult | None) -> CheckOutcome:
        bad, checked = several_main_ids(adapter, StitcherTables(table), ctx.run_id)
        return CheckOutcome(bad == 0, f"{bad} identifiers have more than one {main_id} "
                            f"({checked:,} written by this run checked)",
                            {"identifiers_with_several_main_ids": bad, "identifiers_checked": checked})

    def cluster_size(adapter: WarehouseAdapter, ctx: RunContext, result: StepResult | None) -> CheckOutcome:
        # the step's report measured the clusters of the same store a moment ago
        largest = result.metadata.get("largest_cluster") if result else None
        if largest is None:
            largest = adapter.fetch_one(
                f"SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM {table} GROUP BY {main_id}) AS c")
        largest = int(largest)
        return CheckOutcome(largest <= limit, f"largest cluster has {largest} ids (limit {limit})",
                            {"largest_cluster": largest, "limit": limit})

    def converged(adapter: WarehouseAdapter, ctx: RunContext, result: StepResult | None) -> CheckOutcome:
        ok = bool(result.metadata.get("converged", False)) if result else False
        passes = result.metadata.get("passes") if result else None
        return CheckOutcome(ok, f"connected components converged={ok} after {passes} passes",
                            {"passes": passes or 0})

    def unique_looking(adapter: WarehouseAdapter, ctx: RunContext, result: StepResult | None) -> CheckOutcome:
        several = dict(result.metadata.get("several_values_of_unique_looking") or {}) if result else {}
        bad = {t: n for t, n in several.items() if n}
        fix = "; ".join(f"{n} profiles hold several {t}: declare `unique: true` on id type {t} if a person has one"
                        for t, n in sorted(bad.items()))
        return CheckOutcome(not bad, fix or "no profile holds two values of an id type that looks unique",
                            {f"profiles_with_several_{t}": n for t, n in several.items()})

    return (
        StepCheck("one_main_id_per_identifier", "Every identifier maps to exactly one main id.", True, one_main_id),
        StepCheck("cluster_size_within_limit", f"No cluster holds more than {limit} identifiers "
                  "(checks.max_cluster_size in pb_project.yaml).", True, cluster_size),
        StepCheck("converged", "Connected components converged.", True, converged),
        StepCheck("one_value_of_unique_looking_id_types", "No profile holds two values of an id type "
                  "named like a per-person key (user_id, customer_id, ...) that sets no `unique` rule; "
                  "a warning only: pb's semantics allow it.", False, unique_looking),
    )
