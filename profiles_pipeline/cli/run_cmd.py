"""`profiles run`: materialize the project through Dagster in this process, in one run."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from profiles_pipeline.cli.options import BeginTime, EndTime, ProjectDir, SiteconfigPath, Target
from profiles_pipeline.cli.output import console, err_console, handles_errors


@handles_errors
def run(
    project_dir: ProjectDir = Path("."),
    siteconfig_path: SiteconfigPath = None,
    target: Target = None,
    select: Annotated[list[str] | None, typer.Option("--select", "-s", "--model_refs", "-m", help="Only these models "
                      "(e.g. features/user, cohorts/known_users, user_id_stitcher). Repeatable.")] = None,
    end_time: EndTime = None,
    begin_time: BeginTime = None,
    rebase: Annotated[bool, typer.Option("--rebase", "--rebase_incremental", help="Rebuild everything from all stored "
                      "edges, every day from the first partition, in one run.")] = False,
) -> None:
    """Build the id graph, features, feature views and cohorts through Dagster, as of an instant:
    the latest event across the inputs unless --end-time says otherwise. A first run covers every
    day in one pass; later runs cover only what is new (the next day, late rows); a run with
    nothing new does nothing and says so.

    Example: profiles run -p config --end-time 2026-01-14T12:00:00
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import (
        open_project_adapter,
        parse_time_option,
        unpublished_run,
        writing,
    )
    from profiles_pipeline.pipeline.bad_values import naming_bad_values
    from profiles_pipeline.pipeline.input_days import read_input_days
    from profiles_pipeline.pipeline.leftovers import drop_leftovers
    from profiles_pipeline.pipeline.partition_span import PartitionSpan, remember_days
    from profiles_pipeline.pipeline.run_scope import plan_run

    loaded = project_loading.load(project_dir)
    end = parse_time_option(end_time, "--end-time")
    begin = parse_time_option(begin_time, "--begin-time", bare_date="start")
    while True:
        with writing(loaded, "profiles run") as previous:  # one writer: waits while another run writes
            if previous.get("released") is False:
                _report_interrupted(loaded, previous)
            adapter = open_project_adapter(loaded)
            try:
                if dropped := drop_leftovers(adapter):
                    console.print(f"[yellow]cleaned up after an interrupted run[/]: {', '.join(dropped)}",
                                  highlight=False)
                with naming_bad_values(adapter, loaded.project, loaded.project.inputs):
                    days = read_input_days(adapter, loaded.project)
                scope = plan_run(loaded.project, adapter, end_time=end, rebase=rebase, days=days, begin_time=begin,
                                 unfinished=unpublished_run(loaded))
            finally:
                adapter.close()
            remember_days(loaded.project, days)
            loaded.span = PartitionSpan(scope.first_partition, max((d.day for d in days if d.day), default=None))
            if scope.noop:
                console.print(_noop_text(loaded, scope))
                return
            with _instance(loaded) as instance:
                if not _launched_runs(loaded, instance):
                    _run(loaded, scope, select, instance)
                    return
        _wait_for_launched_runs(loaded)  # without the lock, which they wait for; then plan again


def _instance(loaded):
    from profiles_pipeline.orchestration.local_run import open_instance

    return open_instance(loaded.project.root)


def _launched_runs(loaded, instance) -> list:
    """Runs the Dagster daemon launched on this warehouse that are waiting for the lock this
    command holds (those whose process is gone are marked failed): the queue put them first."""
    from profiles_pipeline.orchestration.assets import pool_name
    from profiles_pipeline.orchestration.run_health import fail_dead_runs, other_active_runs

    _say_failed(fail_dead_runs(instance))
    return other_active_runs(instance, pool_name(loaded.graph))


def _wait_for_launched_runs(loaded) -> None:
    from profiles_pipeline.orchestration.assets import pool_name
    from profiles_pipeline.orchestration.run_health import wait_for_pool

    def waiting(active) -> None:
        err_console.print(f"[dim]waiting for {len(active)} Dagster run(s) the daemon launched on this warehouse: "
                          f"{', '.join(r.run_id[:8] for r in active)}[/]", highlight=False)

    with _instance(loaded) as instance:
        _say_failed(wait_for_pool(instance, pool_name(loaded.graph), waiting))


def _say_failed(run_ids: list[str]) -> None:
    if run_ids:
        console.print(f"[yellow]marked failed (their process is gone)[/]: run {', '.join(run_ids)}", highlight=False)


def _report_interrupted(loaded, previous: dict) -> None:
    """The last writer died holding the lock: say so, and mark its Dagster run failed."""
    from profiles_pipeline.orchestration.run_health import fail_dead_runs

    console.print(f"[yellow]the last writer ({previous.get('owner', '?')}, pid {previous.get('pid', '?')}) "
                  "was interrupted[/]; this run starts clean", highlight=False)
    with _instance(loaded) as instance:
        _say_failed(fail_dead_runs(instance))


def _run(loaded, scope, select: list[str] | None, instance) -> None:
    from profiles_pipeline.orchestration.local_run import run_local, selected_steps

    n_steps = sum(1 + len(s.parts) for s in selected_steps(loaded.graph, select))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"running {loaded.project.name}", total=n_steps)

        def on_step(path: str, day: date) -> None:
            progress.update(task, advance=1, description=path)

        result = run_local(loaded.project.root, loaded.graph, scope.first_day, scope.end_time, select=select,
                           rebase=scope.rebase, snapshot=scope.snapshot, begin_time=scope.begin_time,
                           project=loaded.project, on_step=on_step, instance=instance)
        progress.update(task, completed=n_steps)
    console.print(_steps_table(result, scope))
    console.print(_headline(loaded, result, scope))


def _covered(scope) -> str:
    from profiles_pipeline.instants import format_instant

    days = (f"{scope.days} day(s), {scope.first_day} → {scope.last_day}" if scope.days > 1
            else f"1 day, {scope.last_day}")
    return f"{days}, as of {format_instant(scope.end_time)} ({scope.end_from})"


def _noop_text(loaded, scope) -> str:
    from profiles_pipeline.instants import format_instant

    return (f"[bold green]Nothing to do[/]: {scope.reason}; published as of {format_instant(scope.published)}. "
            f"Nothing was written.\n"
            f"  to rebuild anyway: profiles run -p {loaded.project.root} --rebase; as of a later instant: --end-time")


def _steps_table(result, scope) -> Table:
    table = Table(title=f"Models, {_covered(scope)}")
    for col, justify in (("model", "left"), ("rows", "right"), ("seconds", "right"), ("what it did", "left")):
        table.add_column(col, justify=justify)
    for step in result.steps:
        if step.path.count("/") == 2 and step.path.startswith("features/"):
            continue  # one asset per feature: the features step's row stands for them
        table.add_row(step.path, "" if step.rows is None else f"{step.rows:,}", f"{step.seconds:.2f}", _did(step))
    return table


def _did(step) -> str:
    m = step.metadata
    if "sync_mode" in m:
        return m.get("skipped") or f"{m['sync_mode']}: {m.get('sent', 0):,} row(s) sent in {m.get('batches', 0)} batch(es)"
    if "mode" in m:
        text = {"full": "rebuilt, history of every day in one pass", "range": "rebuilt, history of the run's days",
                "incremental": "merged the new day(s) incrementally", "window": "recomputed the run's days; head unchanged",
                "snapshot": "added a snapshot; head unchanged", "noop": "nothing new"}.get(m["mode"], m["mode"])
        return f"{m['mode']}: {text}"
    if "days_extracted" in m:
        return f"{m['days_extracted']} day(s) extracted"
    if "published" in m:
        snapshot = any(str(r).endswith("_var_table") for r in m.get("relations_built", []))
        if not m["published"]:
            return "snapshot stored, not published" if snapshot else "not published (a later snapshot is)"
        return "snapshot as of the end time, published" if snapshot else "rebuilt from the published snapshot"
    if "rows_in_run" in m:
        return f"{m.get('days_with_rows', 0)} day(s) with rows"
    return ""


def _headline(loaded, result, scope) -> str:
    lines = [f"[bold green]Done[/]: {_covered(scope)}; {scope.reason}; {len(result.run_ids)} Dagster run."]
    if scope.snapshot:
        lines.append(f"  read this snapshot: profiles query -p {loaded.project.root} \"select * from "
                     f"<entity>_var_table where valid_at = '{scope.end_time}'\" (the published views are unchanged)")
    for step in loaded.graph.steps:
        if step.kind == "input" and (s := result.last(step.path)) and s.metadata.get("left_out"):
            lines.append(f"  [yellow]left out of {step.path}[/]: " + escape("; ".join(s.metadata["left_out"])))
        if step.kind == "edges" and (s := result.last(step.path)) and s.metadata.get("ids_dropped"):
            lines.append(f"  ids dropped before stitching ({step.path.split('/')[1]}, this run's days): "
                         f"{escape(s.metadata['ids_dropped'])}")
        if step.kind == "id_graph" and (s := result.last(step.path)):
            m = s.metadata
            lines.append(f"  people found: [bold]{m.get('clusters', '?'):,}[/]   identifiers: "
                         f"{m.get('graph_rows', 0):,}   largest cluster: {m.get('largest_cluster', '?')} ids")
            if "ground_truth/pairwise_precision" in m:
                lines.append(f"  stitching vs the sample's ground truth: pairwise precision "
                             f"{m['ground_truth/pairwise_precision']:.3f}, recall "
                             f"{m['ground_truth/pairwise_recall']:.3f} (B-cubed "
                             f"{m['ground_truth/bcubed_precision']:.3f} / {m['ground_truth/bcubed_recall']:.3f}; "
                             f"recall ceiling {m['ground_truth/bcubed_recall_ceiling']:.3f}, so "
                             f"{m['ground_truth/bcubed_recall_vs_ceiling']:.1%} of what the edges allow)")
            for label, path in s.metadata.items():
                if label == "id stitcher report":
                    lines.append(f"  id stitcher report: {path}")
    for entity in loaded.project.entities:
        n = sum(1 for v in loaded.project.entity_vars_for(entity.name) if v.is_feature)
        if (s := result.last(f"features/{entity.name}")) and s.metadata.get("published"):
            lines.append(f"  features computed: {n} per {entity.name} for {s.rows or 0:,} {entity.name}s "
                         f"({entity.name}_feature_view)")
    for step in loaded.graph.steps:
        if step.kind == "prediction" and (s := result.last(step.path)):
            m = s.metadata
            if "algorithm" in m:
                quality = next(f"{k.upper()} {m[k]:.3f}" for k in ("auc", "r2") if k in m)
                lines.append(f"  prediction {escape(step.key[1])}: {escape(str(m['algorithm']))}, holdout {quality}; "
                             f"retrained: {escape(str(m['retrained']))}")
                if path := m.get("prediction report"):
                    lines.append(f"  prediction report: {path}")
            elif "scored" in m:
                lines.append(f"  scored {escape(step.key[1])}: {m['scored']:,} (mean score {m['mean_score']:.3f})")
            elif m.get("skipped"):
                lines.append(f"  prediction {escape(step.key[1])}: {escape(str(m['skipped']))}")
        if step.kind == "activation" and (s := result.last(step.path)):
            m = s.metadata
            said = m.get("skipped") or (f"{m.get('added', 0):,} added, {m.get('changed', 0):,} changed, "
                                        f"{m.get('removed', 0):,} removed, {m.get('rejected', 0):,} rejected in "
                                        f"{m.get('batches', 0):,} batch(es), {m.get('retries', 0):,} retries")
            lines.append(f"  activation {escape(step.key[1])}: {escape(said)}")
    if result.checks_failed:
        lines.append(f"  [yellow]checks that failed[/]: {'; '.join(result.checks_failed)}")
    for check, said in result.checks_warned.items():
        lines.append(f"  [yellow]warning[/] {escape(check)}: {escape(said)}")
    lines.append(f"  warehouse: {loaded.warehouse_location}")
    lines.append(f"  look at it: profiles show models -p {loaded.project.root}   |   "
                 f"Dagster UI: profiles ui -p {loaded.project.root} (then http://127.0.0.1:3000)")
    return "\n".join(lines)
