"""Run the project's assets through Dagster in this process, as `profiles run` does.

One Dagster run covers the run's partitions (a range of days is one run: every asset has a
single-run backfill policy), so a year of history costs one pass, not one run per day. Runs are
recorded in the project's Dagster instance (`<project>/data/dagster_home` or $DAGSTER_HOME), so
they show up in `profiles ui`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import dagster as dg

from profiles_pipeline.errors import ProfilesError, UserError, WarehouseError
from profiles_pipeline.orchestration.definitions import build_definitions
from profiles_pipeline.orchestration.instance_home import dagster_home_for
from profiles_pipeline.orchestration.jobs import DAILY_JOB
from profiles_pipeline.orchestration.partitions import (
    BEGIN_TIME_TAG,
    END_TIME_TAG,
    FIRST_DAY_TAG,
    REBASE_TAG,
    SNAPSHOT_TAG,
)
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
    #: failed non-blocking checks, with what they said (the latest day's, once per check)
    checks_warned: dict[str, str] = field(default_factory=dict)

    def last(self, path: str) -> StepRun | None:
        found = [s for s in self.steps if s.path == path]
        return found[-1] if found else None


@contextmanager
def open_instance(project_dir: Path):
    """The project's Dagster instance, with run history written without syncs (below). One
    command opens it once: each open costs about half a second."""
    _fast_run_history()
    with dg.DagsterInstance.from_config(str(dagster_home_for(project_dir))) as instance:
        yield instance


def _fast_run_history() -> None:
    """Dagster records each event of a run in SQLite with a sync to disk (~25 ms an event, most
    of a small run's cost). `profiles run` writes its run history without the syncs: a power cut
    during a run can lose that run's history in `data/dagster_home`, never warehouse data (the
    warehouse is DuckDB's or Snowflake's own transactions). The UI's processes keep Dagster's
    default."""
    import sqlalchemy
    from sqlalchemy import event

    if getattr(_fast_run_history, "done", False):
        return

    @event.listens_for(sqlalchemy.engine.Engine, "connect")
    def _no_sync(dbapi_connection, _record) -> None:  # noqa: ANN001 - SQLAlchemy's hook signature
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

    _fast_run_history.done = True


def selected_steps(graph: ProjectGraph, select: list[str] | None = None) -> list[Step]:
    """The steps a run materializes (all of them, or those `--select` names)."""
    return _selected(graph, select)


def run_local(
    project_dir: Path,
    graph: ProjectGraph,
    first_day: date,
    end_time: datetime,
    *,
    select: list[str] | None = None,
    rebase: bool = False,
    snapshot: bool = False,
    begin_time: datetime | None = None,
    project=None,
    on_step: Callable[[str, date], None] | None = None,
    instance: dg.DagsterInstance | None = None,
) -> LocalRunResult:
    """Compute the partitions `first_day` .. day(`end_time`) as of `end_time` in one run that
    materializes the last of them (see `partitions`); raises the first failing step's error
    (model named). `instance`: the project's, when the caller has it open already."""
    if instance is None:
        with open_instance(project_dir) as opened:
            return run_local(project_dir, graph, first_day, end_time, select=select, rebase=rebase,
                             snapshot=snapshot, begin_time=begin_time, project=project, on_step=on_step,
                             instance=opened)
    last = end_time.date()
    defs = build_definitions(project_dir, project)
    job = defs.resolve_job_def(DAILY_JOB)
    steps = _selected(graph, select)
    tags = {END_TIME_TAG: end_time.isoformat(sep=" ")}
    if rebase:
        tags[REBASE_TAG] = "true"
    if snapshot:
        tags[SNAPSHOT_TAG] = "true"
    if begin_time is not None:
        tags[BEGIN_TIME_TAG] = begin_time.isoformat(sep=" ")
    if first_day != last:
        tags[FIRST_DAY_TAG] = first_day.isoformat()
    out = LocalRunResult(days=sorted({first_day, last}), steps=[], checks_failed=[], run_ids=[])
    result = job.execute_in_process(
        partition_key=last.isoformat(),
        instance=instance,
        run_config=QUIET_LOGS,
        asset_selection=[dg.AssetKey(list(k)) for s in steps for k in (s.key, *(p.key for p in s.parts))],
        tags=tags,
        raise_on_error=False,
    )
    out.run_ids.append(result.run_id)
    _collect(result, last, out, on_step)
    if not result.success:
        raise _failure(result, last)
    return out


def _selects(pattern: str, path: str) -> bool:
    """Whether `--select pattern` names step `path`: its path, or consecutive parts of it
    (`user_id_stitcher` names identity/user_id_stitcher/edges and …/id_graph); pb's
    `models/<name>` is `<name>`."""
    wanted = pattern.strip("/").removeprefix("models/").split("/")
    parts = path.split("/")
    return any(parts[i:i + len(wanted)] == wanted for i in range(len(parts) - len(wanted) + 1))


def _selected(graph: ProjectGraph, select: list[str] | None) -> list[Step]:
    if not select:
        return list(graph.steps)
    paths = {s.path: s for s in graph.steps}
    chosen = []
    for pattern in select:
        hits = [s for p, s in paths.items() if _selects(pattern, p)]
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
            if not data.passed and data.severity == dg.AssetCheckSeverity.WARN:
                out.checks_warned[f"{data.asset_key.to_user_string()}: {data.check_name}"] = data.description or ""
            elif not data.passed:
                out.checks_failed.append(
                    f"{day} {data.asset_key.to_user_string()}: {data.check_name}"
                )
    seen: set[str] = set()
    for event in result.get_asset_materialization_events():  # one per partition of a range: keep one
        mat = event.event_specific_data.materialization
        path = "/".join(mat.asset_key.path)
        if path in seen:
            continue
        seen.add(path)
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


def _blocking_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """What each failed blocking check said (Dagster's step error names only the check)."""
    out = []
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed and data.severity == dg.AssetCheckSeverity.ERROR:
                out.append(f"{data.check_name}: {data.description or 'failed'}")
    if out:
        out.append("nothing was published: readers keep the outputs of the last complete run")
    return out


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
        message = f"{model} ({day}): {text}" + "".join(f"\n  {line}" for line in _blocking_failures(result))
        cls = classes.get(error.cls_name or "")
        if cls is not None and issubclass(cls, UserError):
            return UserError(message)
        return WarehouseError(message)
    return WarehouseError(f"the run for {day} failed (Dagster run {result.run_id})")
