"""Checks that need the warehouse: the connection opens, every input's rows are found, and the
columns the YAML names (event time, id selects, where, contract columns) exist in them.

Independent of typer and rich (returns `Problem`s), so the Dagster layer could run it too."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field

from profiles_pipeline.errors import Location, Problem, ProfilesError
from profiles_pipeline.spec import Input, Project
from profiles_pipeline.spec.input_columns import input_column_uses
from profiles_pipeline.warehouse.connections import reading_warehouse

#: How long validate waits for a run that writes the DuckDB file.
READ_WAIT_SECONDS = 30.0


@dataclass
class InputFinding:
    relation: str | None = None
    columns: list[str] = field(default_factory=list)


@dataclass
class WarehouseReport:
    engine: str
    location: str
    problems: list[Problem] = field(default_factory=list)
    inputs: dict[str, InputFinding] = field(default_factory=dict)
    #: The earliest event's day and the latest event: the first partition and a run's default end.
    first_day: object = None
    latest_event: object = None
    #: An input without an event time (a run then computes as of now).
    untimed_input: str | None = None

    def as_dict(self) -> dict:
        return {"engine": self.engine, "location": self.location,
                "first_day": str(self.first_day) if self.first_day else None,
                "latest_event": str(self.latest_event) if self.latest_event else None,
                "inputs": {n: {"relation": f.relation, "columns": len(f.columns)} for n, f in self.inputs.items()}}


def short_relation(relation: str, width: int = 72) -> str:
    """A relation for people: the file glob of a read_parquet/read_csv call, else the name."""
    text = relation
    if "(" in relation and "'" in relation:
        text = relation.split("'")[1]
    return text if len(text) <= width else "..." + text[-(width - 3):]


def _connection_location(project: Project, connection) -> Location:
    if connection.siteconfig:
        return Location(str(connection.siteconfig), None, f"connections.{connection.name}")
    return Location("pb_project.yaml", None, "connection")


def check_warehouse(project: Project, connection) -> WarehouseReport:
    """Every warehouse problem of `project` at once (never raises for a user mistake)."""
    cfg = connection.config
    where = str(getattr(cfg, "path", None) or f"snowflake {getattr(cfg, 'account', '')}")
    report = WarehouseReport(cfg.type, where)
    with ExitStack() as opened:
        try:
            adapter, _ = opened.enter_context(reading_warehouse(connection, wait_seconds=READ_WAIT_SECONDS))
        except ProfilesError as e:
            report.problems.append(Problem(_connection_location(project, connection),
                                           f"cannot open the warehouse: {e}", code="connection"))
            return report
        except Exception as e:  # noqa: BLE001 - e.g. a DuckDB file another program holds
            report.problems.append(Problem(_connection_location(project, connection),
                                           f"cannot open the warehouse {where}: {type(e).__name__}: {e}",
                                           code="connection"))
            return report
        for inp in project.inputs:
            found = len(report.problems)
            report.inputs[inp.name] = _check_input(project, adapter, inp, report.problems)
            if len(report.problems) == found:
                _check_files(project, adapter, inp, report.problems)
                _check_event_times(project, adapter, inp, report)
        _check_shared_rows(project, report)
    return report


def _check_shared_rows(project: Project, report: WarehouseReport) -> None:
    """Two inputs naming different sources whose rows this warehouse finds in one place (on
    DuckDB, `a.IDENTIFIES` and `b.IDENTIFIES` both come from the table or landing folder
    `identifies`): each would read the other's rows."""
    first: dict[str, Input] = {}
    for inp in project.inputs:
        relation = report.inputs.get(inp.name, InputFinding()).relation
        if not relation:
            continue
        other = first.setdefault(relation, inp)
        if other is not inp and other.source != inp.source:
            report.problems.append(Problem(
                inp.loc_of("app_defaults"),
                f"input {inp.name} ({inp.source}) and input {other.name} ({other.source}) both read "
                f"{short_relation(relation)} on this warehouse, so each would read the other's rows",
                "give one of them its own `path:` (a file or folder), or a table whose last name part differs",
                code="shared_rows"))


def _check_files(project: Project, adapter, inp: Input, problems: list[Problem]) -> None:
    """Bad Parquet files of a folder input (the run of their day fails on them)."""
    from profiles_pipeline.features.relations import input_source
    from profiles_pipeline.warehouse.inputs import input_files

    files = input_files(adapter, input_source(project, inp))
    for bad in files.bad if files else ():
        problems.append(Problem(inp.loc_of("app_defaults"), f"input {inp.name}: bad file {bad.describe()}",
                                "other days run without it; the run of its own day fails until it is fixed",
                                code="bad_file"))


def _check_event_times(project: Project, adapter, inp: Input, report: WarehouseReport) -> None:
    """Read the input's days as a run does first: an event time column that is not a timestamp
    fails here, not in the run. Records the data's span for the summary."""
    from profiles_pipeline.pipeline.input_days import first_day, latest_event, read_input_days

    try:
        days = read_input_days(adapter, project, [inp.name])
    except ProfilesError as e:
        key = "occurred_at_col"
        loc = inp.app_defaults.loc_of(key) if inp.app_defaults.occurred_at_col else inp.loc_of(key)
        report.problems.append(Problem(loc, f"input {inp.name}: its event times ({inp.occurred_at}) cannot be "
                                       f"read as timestamps: {str(e).splitlines()[0]}",
                                       "occurred_at_col must name a timestamp column (or text a timestamp can be "
                                       "cast from)", code="bad_event_time"))
        return
    if any(d.day is None for d in days):
        report.untimed_input = report.untimed_input or inp.name
    first, latest = first_day(days), latest_event(days)
    if first and (report.first_day is None or first < report.first_day):
        report.first_day = first
    if latest and (report.latest_event is None or latest > report.latest_event):
        report.latest_event = latest


def _check_input(project: Project, adapter, inp: Input, problems: list[Problem]) -> InputFinding:
    from profiles_pipeline.features.relations import input_relation_sql

    finding = InputFinding()
    try:
        rel = adapter.to_sql(input_relation_sql(adapter, project, inp, event_time=False))
        cols, _ = adapter.fetch_with_columns(f"SELECT * FROM {rel} AS _input LIMIT 0", read=adapter.dialect)
    except ProfilesError as e:
        problems.append(Problem(inp.loc_of("app_defaults"), str(e), code="input_not_found"))
        return finding
    finding.relation, finding.columns = rel, cols
    have = set(cols)
    for use in input_column_uses(project, inp):
        if use.column not in have:
            problems.append(Problem(use.location, f"input {inp.name}: {use.what} uses column {use.column!r}, "
                                    f"which its rows ({short_relation(rel)}) do not have",
                                    f"its columns: {', '.join(cols)}", code="missing_column"))
    return finding
