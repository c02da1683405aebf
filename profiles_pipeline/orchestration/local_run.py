"""Run the project's assets through Dagster in this process, as `profiles run` does.

Days before the last one only need the id graph brought forward (features are point in time
and computed once, for the last day), so each earlier day materializes the input and identity
assets and the last day materializes the selection. Runs are recorded in the project's Dagster
instance (`<project>/data/dagster_home` or $DAGSTER_HOME), so they show up in `profiles ui`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from profiles_pipeline.errors import ProfilesError, UserError, WarehouseError
from profiles_pipeline.orchestration.assets import REBASE_TAG
from profiles_pipeline.orchestration.definitions import build_definitions
from profiles_pipeline.orchestration.instance_home import dagster_home_for
from profiles_pipeline.orchestration.jobs import DAILY_JOB
from profiles_pipeline.pipeline.graph import ProjectGraph, Step

#: The CLI reports failures itself (model, day, message); Dagster's console logger stays quiet.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class StepRun:
    path: str
    day: date
    rows: int | None
    seconds: float
    metadata: dict = field(default_factory=dict)


@dataclass
class LocalRunResult:
    days: list[date]
    steps: list[StepRun]
    checks_failed: list[str]
    run_ids: list[str]

    def last(self, path: str) -> StepRun | None:
        found = [s for s in self.steps if s.path == path]
        return found[-1] if found else None


def days_to_run(graph: ProjectGraph, first: date | None, last: date) -> list[date]:
    start = max(first or graph.partitions_start, graph.partitions_start)
    if last < start:
        raise UserError(
            f"nothing to run: the last day {last} is before the first partition {start}"
        )
    return [start + timedelta(days=i) for i in range((last - start).days + 1)]


@contextmanager
def _instance(project_dir: Path):
    with dg.DagsterInstance.from_config(str(dagster_home_for(project_dir))) as instance:
        yield instance


def schedule(
    graph: ProjectGraph, days: list[date], select: list[str] | None = None
) -> list[tuple[date, list[Step]]]:
    """Which steps run on which day: earlier days only what carries history, the last day all."""
    chosen = _selected(graph, select)
    history = [s for s in chosen if s.kind in ("input", "edges", "id_graph")]
    plan = [(day, chosen if day == days[-1] else history) for day in days]
    return [(day, steps) for day, steps in plan if steps]


def run_local(
    project_dir: Path,
    graph: ProjectGraph,
    days: list[date],
    *,
    select: list[str] | None = None,
    rebase: bool = False,
    on_step: Callable[[str, date], None] | None = None,
) -> LocalRunResult:
    """Materialize `days` in order; raises the first failing step's error (model named)."""
    defs = build_definitions(project_dir)
    job = defs.resolve_job_def(DAILY_JOB)
    out = LocalRunResult(days=days, steps=[], checks_failed=[], run_ids=[])
    with _instance(project_dir) as instance:
        for n, (day, steps) in enumerate(schedule(graph, days, select)):
            tags = {REBASE_TAG: "true"} if rebase and n == 0 else {}
            result = job.execute_in_process(
                partition_key=day.isoformat(),
                instance=instance,
                run_config=QUIET_LOGS,
                asset_selection=[
                    dg.AssetKey(list(k)) for s in steps for k in (s.key, *(p.key for p in s.parts))
                ],
                tags=tags,
                raise_on_error=False,
            )
            out.run_ids.append(result.run_id)
            _collect(result, day, out, on_step)
            if not result.success:
                raise _failure(result, day)
    return out


def _selected(graph: ProjectGraph, select: list[str] | None) -> list[Step]:
    if not select:
        return list(graph.steps)
    paths = {s.path: s for s in graph.steps}
    chosen = []
    for pattern in select:
        hits = [
            s
            for p, s in paths.items()
            if p == pattern or p.endswith("/" + pattern) or p.startswith(pattern + "/")
        ]
        if not hits:
            from difflib import get_close_matches

            near = get_close_matches(pattern, list(paths), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else f"; known: {', '.join(paths)}"
            raise UserError(f"--select {pattern!r} matches no model{hint}")
        chosen += [h for h in hits if h not in chosen]
    return [s for s in graph.steps if s in chosen]


def _collect(result, day: date, out: LocalRunResult, on_step) -> None:
    durations = {}
    for event in result.all_events:
        if event.event_type_value == "STEP_SUCCESS":
            durations[event.step_key] = event.event_specific_data.duration_ms / 1000
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                out.checks_failed.append(
                    f"{day} {data.asset_key.to_user_string()}: {data.check_name}"
                )
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        path = "/".join(mat.asset_key.path)
        rows = mat.metadata.get("dagster/row_count")
        meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        out.steps.append(
            StepRun(
                path, day, getattr(rows, "value", None), durations.get(event.step_key, 0.0), meta
            )
        )
        if on_step:
            on_step(path, day)


def _error_classes() -> dict[str, type[ProfilesError]]:
    found, todo = {}, [ProfilesError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def _failure(result: dg.ExecuteInProcessResult, day: date) -> ProfilesError:
    """The failed step's error with the model and day in front, keeping its exit code: a user
    mistake (a UserError raised in the step) stays a user error."""
    classes = _error_classes()
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        error = event.event_specific_data.error
        while error.cls_name not in classes and error.cause is not None:
            error = error.cause
        model = (event.step_key or "a step").replace("__", "/")
        text = error.message.strip()
        head, _, rest = text.partition(": ")
        if rest and head.endswith(error.cls_name or "\0"):
            text = rest
        message = f"{model} ({day}): {text}"
        cls = classes.get(error.cls_name or "")
        if cls is not None and issubclass(cls, UserError):
            return UserError(message)
        return WarehouseError(message)
    return WarehouseError(f"the run for {day} failed (Dagster run {result.run_id})")
