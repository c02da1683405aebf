"""The project as a graph of steps, independent of Dagster.

`build_graph(project)` turns the spec into `Step`s (inputs, id-graph stages, features, feature
views, cohorts); each step knows its upstream keys and how to run itself against a warehouse
adapter for one day. The Dagster layer maps steps to assets one-to-one and the CLI runs the
same steps through Dagster, so neither holds SQL or engine logic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from profiles_pipeline.pipeline.partition_span import PartitionSpan
from profiles_pipeline.warehouse.base import WarehouseAdapter

StepKind = Literal["input", "edges", "id_graph", "sql_model", "features", "feature_view", "cohort", "prediction", "activation"]


def snapshot_definition(project, begin_time: datetime | None) -> str:
    """What snapshots are computed from: the project's files and the begin time (pb's)."""
    return f"{project.fingerprint()}|begin={begin_time or ''}"


@dataclass(frozen=True)
class RunContext:
    """What a step needs besides the warehouse: which partitions, as of when, and which run.

    A run covers the daily partitions `first_day` .. `day` (one or many) and is computed as of
    `end_time`, an instant on `day`: partition D holds its output as of the end of D, the last
    one as of `end_time`. `snapshot`: an explicit end time earlier than what is published, whose
    outputs are stored next to the published ones without replacing them. `begin_time`: the run
    reads only rows from then on (and rebuilds what it covers)."""

    day: date
    end_time: datetime
    run_id: str
    rebase: bool = False
    first_day: date | None = None
    snapshot: bool = False
    #: pb's begin_time: rows before it are not read by this run (None: every row).
    begin_time: datetime | None = None
    #: train the propensity models even when their last one is still valid
    retrain: bool = False

    def __post_init__(self) -> None:
        if self.end_time.date() != self.day:
            raise ValueError(f"end_time {self.end_time} is not on the run's last day {self.day}")
        if self.first_day is None:
            object.__setattr__(self, "first_day", self.day)
        if self.first_day > self.day:
            raise ValueError(f"first day {self.first_day} is after the last day {self.day}")

    def definition(self, project) -> str:
        return snapshot_definition(project, self.begin_time)

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range((self.day - self.first_day).days + 1)]


@dataclass
class StepResult:
    """What a step built: tables with row counts, plus metadata for the UI and the CLI."""

    tables: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Column name -> type of the step's main table, for Dagster column schemas.
    columns: dict[str, str] = field(default_factory=dict)
    #: A few rows of the main table as markdown, for previews.
    preview_markdown: str | None = None
    #: Extra files (e.g. an HTML report) written by the step.
    artifacts: dict[str, str] = field(default_factory=dict)
    #: Figures per `StepPart.column` (e.g. a feature's null share), for the parts' assets.
    part_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def row_count(self) -> int | None:
        return next(iter(self.tables.values()), None) if self.tables else None


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepCheck:
    """A data-quality check that runs after its step. Blocking checks stop downstream steps."""

    name: str
    description: str
    blocking: bool
    run: Callable[[WarehouseAdapter, RunContext, StepResult | None], CheckOutcome]


@dataclass(frozen=True)
class CodeRef:
    """Where a step is defined: a YAML file (absolute path), its line, and what is there."""

    file: str
    line: int | None
    label: str


@dataclass(frozen=True)
class StepPart:
    """One column of a step's output shown as an asset of its own (one feature of an entity).

    Parts are built by their step's single run, so the step's sources are still scanned once."""

    key: tuple[str, ...]
    column: str
    description: str


@dataclass(frozen=True)
class Step:
    """One node of the project graph (one Dagster asset)."""

    key: tuple[str, ...]
    kind: StepKind
    description: str
    group: str
    upstream: tuple[tuple[str, ...], ...]
    run: Callable[[WarehouseAdapter, RunContext], StepResult]
    checks: tuple[StepCheck, ...] = ()
    #: Set where the step's output at day D builds on its own output at day D-1.
    cumulative: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    parts: tuple[StepPart, ...] = ()
    #: A digest of the YAML definitions the step computes (changes when their meaning changes,
    #: not with comments or layout); Dagster shows an asset whose code changed since its last run.
    code_version: str | None = None
    code_refs: tuple[CodeRef, ...] = ()
    #: Times a failed run of the step is tried again (with growing, jittered delays): for steps
    #: that talk to other systems, whose failures often pass (an activation's destination).
    retries: int = 0
    #: The warehouse relations the step writes, main one first, where no plan lists them
    #: (the features planner and the stitcher name theirs): `profiles show models` reads them.
    relations: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return "/".join(self.key)


@dataclass(frozen=True)
class ProjectGraph:
    """Every step of a project in dependency order."""

    project_name: str
    steps: tuple[Step, ...]
    partitions: PartitionSpan
    warehouse_kind: str

    @property
    def partitions_start(self) -> date:
        return self.partitions.first

    def step(self, path: str) -> Step:
        for s in self.steps:
            if s.path == path:
                return s
        raise KeyError(path)
