"""A features plan: ordered SQL steps, printable as SQL (`profiles compile`) or as a summary
showing which vars share a pass."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlglot import exp

StepKind = Literal[
    "sql_model", "rows", "pass", "var_table", "feature_view", "id_view", "feature_table", "cohort", "pb_view",
]


@dataclass
class PlanStep:
    """Build one relation: `name` from `query`, as a table (atomic replace) or a view."""

    name: str
    kind: StepKind
    materialize: Literal["table", "view"]
    query: exp.Expression
    sql: str  # the query in the engine's dialect
    depends_on: list[str]
    entity: str | None
    description: str
    details: list[str] = field(default_factory=list)  # one line per var in a pass


@dataclass
class FeaturePlan:
    end_time: datetime
    dialect: str
    steps: list[PlanStep]

    def step(self, name: str) -> PlanStep:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def select(self, patterns: list[str] | None) -> list[PlanStep]:
        """Steps whose name or kind matches any glob pattern (all steps when None)."""
        if not patterns:
            return list(self.steps)
        return [s for s in self.steps if any(fnmatch.fnmatch(s.name, p) or s.kind == p for p in patterns)]

    def upstream(self, name: str) -> list[str]:
        """Every step `name` depends on, transitively, in plan order."""
        names = {s.name for s in self.steps}
        need, todo = set(), [name]
        while todo:
            for dep in self.step(todo.pop()).depends_on:
                if dep in names and dep not in need:
                    need.add(dep)
                    todo.append(dep)
        return [s.name for s in self.steps if s.name in need]

    def to_sql(self) -> str:
        """Every step's statement in dependency order, in the engine's dialect."""
        out = []
        for s in self.steps:
            kind = "TABLE" if s.materialize == "table" else "VIEW"
            out.append(f"-- {s.kind}: {s.description}\nCREATE OR REPLACE {kind} {s.name} AS\n{s.sql};")
        return "\n\n".join(out) + "\n"

    def describe(self) -> str:
        """Human plan: steps in order; for each pass, its source scan and the vars it computes."""
        lines = [f"features plan as of {self.end_time:%Y-%m-%d %H:%M:%S} ({self.dialect}), "
                 f"{len(self.steps)} steps"]
        for n, s in enumerate(self.steps, 1):
            deps = f"  <- {', '.join(s.depends_on)}" if s.depends_on else ""
            lines.append(f"{n:>3}. [{s.kind}] {s.name} ({s.materialize}): {s.description}{deps}")
            lines.extend(f"        - {d}" for d in s.details)
        return "\n".join(lines)
