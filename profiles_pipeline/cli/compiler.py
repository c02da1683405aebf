"""`profiles compile`: every model's SQL in dependency order, one file per step, plus an index.

The features layer gives its whole plan as SQL. The identity layer builds the id graph with
iterative SQL whose rounds depend on the data (connected components until convergence), so
what can be written ahead of time is each edge source's query (the ids read from each row);
the file says so, and names the tables the stitcher writes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlglot

from profiles_pipeline.warehouse.base import CANONICAL_DIALECT

INDEX = "index.json"


@dataclass
class CompiledStep:
    file: str
    name: str
    kind: str
    model: str
    depends_on: list[str] = field(default_factory=list)


@dataclass
class CompileResult:
    out_dir: Path
    dialect: str
    end_time: datetime
    steps: list[CompiledStep]
    plan_text: str


def compile_project(loaded, adapter, end_time: datetime, out_dir: Path) -> CompileResult:
    from profiles_pipeline.features import plan_features
    from profiles_pipeline.pipeline.feature_steps import plan_step_key

    out_dir = Path(out_dir)
    _clear_previous(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    steps: list[CompiledStep] = []
    for entity in loaded.project.entities:
        if loaded.project.edge_sources_for(entity.name):
            steps.append(_identity_file(loaded.project, adapter, entity.name, end_time, out_dir, len(steps) + 1))
    plan = plan_features(loaded.project, adapter, end_time=end_time)
    for s in plan.steps:
        file = f"{len(steps) + 1:02d}_{s.name}.sql"
        kind = "TABLE" if s.materialize == "table" else "VIEW"
        (out_dir / file).write_text(f"-- {s.kind}: {s.description}\n"
                                    + "".join(f"--   {d}\n" for d in s.details)
                                    + f"CREATE OR REPLACE {kind} {s.name} AS\n{s.sql};\n", encoding="utf-8")
        steps.append(CompiledStep(file, s.name, s.kind, "/".join(plan_step_key(s)), list(s.depends_on)))
    index = {"project": loaded.project.name, "dialect": adapter.dialect, "end_time": end_time.isoformat(),
             "steps": [vars(s) for s in steps]}
    (out_dir / INDEX).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return CompileResult(out_dir, adapter.dialect, end_time, steps, plan.describe())


def _clear_previous(out_dir: Path) -> None:
    """Remove the files of an earlier compile (only where our index shows it was ours)."""
    index = out_dir / INDEX
    if not index.is_file():
        return
    for old in json.loads(index.read_text(encoding="utf-8")).get("steps", []):
        (out_dir / old["file"]).unlink(missing_ok=True)
    index.unlink()


def edge_source_sql(src, end_time: datetime, dialect: str) -> str:
    """The ids one edge source yields per row as of end_time (canonical SQL transpiled)."""
    occ = src.occurred_at_col
    ids = ", ".join(f"CAST(({i.select_sql}) AS VARCHAR) AS id_{n}_{i.type}" for n, i in enumerate(src.ids))
    where = f" AND ({src.where_sql})" if src.where_sql else ""
    sql = (f"SELECT CAST({occ} AS TIMESTAMP) AS occurred_at, {ids} FROM ({src.relation_sql}) AS _src "
           f"WHERE {occ} <= TIMESTAMP '{end_time:%Y-%m-%d %H:%M:%S}'{where}")
    return sqlglot.transpile(sql, read=CANONICAL_DIALECT, write=dialect, pretty=True)[0]


def _identity_file(project, adapter, entity: str, end_time: datetime, out_dir: Path, n: int) -> CompiledStep:
    from profiles_pipeline.identity import StitcherTables
    from profiles_pipeline.pipeline.identity_plan import stitcher_plan

    plan = stitcher_plan(project, adapter, entity, end_time)
    t = StitcherTables.of(plan)
    lines = [f"-- id graph {plan.name} of entity {entity}: the ids each edge source yields per row.",
             "-- Every pair of ids in one row is an edge; the stitcher stores them per day (one pass over",
             "-- a run's days), applies the id type rules below, and finds connected components with",
             "-- iterative SQL whose number of rounds depends on the data (so it is not compiled ahead).",
             f"-- It writes {t.graph} ({plan.main_id_column}, other_id, other_id_type, valid_at, first_seen_at), "
             f"{t.history} (the same per id over the kept days), {t.edges}, {t.merges}, {t.audit}."]
    for id_type in plan.all_id_types():
        rules = plan.rules(id_type)
        filters = "; ".join(f"{f.type} " + (repr(f.value) if f.value is not None else f"regex {f.regex}" if f.regex else "sql list")
                            for f in rules.filters) or "none"
        limits = ", ".join(f"{k} <= {v}" for k, v in rules.maximum_edges.items()) or "none"
        lines.append(f"--   {id_type}: filters {filters}; maximum_edges {limits}; "
                     f"hub threshold {plan.hub_threshold(id_type)}")
    body = [f"-- edge source {src.name}\n{edge_source_sql(src, end_time, adapter.dialect)};"
            for src in plan.edge_sources]
    file = f"{n:02d}_{plan.name}__edge_sources.sql"
    (out_dir / file).write_text("\n".join(lines) + "\n\n" + "\n\n".join(body) + "\n", encoding="utf-8")
    return CompiledStep(file, plan.name, "id_graph", f"identity/{plan.name}/id_graph",
                        sorted({s.name for s in plan.edge_sources}))
