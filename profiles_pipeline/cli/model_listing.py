"""`profiles show models`: each step of the graph with the relations it builds and their rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from profiles_pipeline.errors import UserError

#: Which relation of a features step is the one to look at first (as the Dagster assets do).
MAIN_FIRST = ("feature_view", "cohort", "id_view", "feature_table", "sql_model")


@dataclass
class ModelRow:
    path: str
    kind: str
    description: str
    upstream: list[str]
    relations: list[str] = field(default_factory=list)
    rows: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _relations(loaded, adapter, end_time: datetime) -> dict[str, list[str]]:
    from profiles_pipeline.features import plan_features
    from profiles_pipeline.pipeline.feature_steps import plan_step_key

    out: dict[str, list[str]] = {}
    plan = plan_features(loaded.project, adapter, end_time=end_time)
    rank = {k: i for i, k in enumerate(MAIN_FIRST)}
    for s in sorted(plan.steps, key=lambda s: rank.get(s.kind, len(rank))):
        out.setdefault("/".join(plan_step_key(s)), []).append(s.name)
    for step in loaded.graph.steps:
        if step.kind in ("edges", "id_graph"):
            name = step.key[1]
            out[step.path] = [name] if step.kind == "id_graph" else [f"{name}_edges"]
    return out


def model_rows(loaded, adapter, built: bool, end_time: datetime) -> list[ModelRow]:
    relations = _relations(loaded, adapter, end_time)
    rows = []
    for step in loaded.graph.steps:
        row = ModelRow(step.path, step.kind, step.description, ["/".join(u) for u in step.upstream],
                       relations.get(step.path, list(step.relations)))
        main = row.relations[0] if row.relations else None
        if built and main and adapter.table_exists(main):
            row.rows = adapter.row_count(main)
        rows.append(row)
    return rows


def select_rows(rows: list[ModelRow], names: list[str] | None) -> list[ModelRow]:
    """Rows whose path is, ends with or starts a name; an unknown name is a UserError."""
    if not names:
        return rows
    chosen: list[ModelRow] = []
    for name in names:
        hits = [r for r in rows if r.path == name or r.path.endswith("/" + name)
                or r.path.startswith(name + "/") or name in r.relations]
        if not hits:
            from difflib import get_close_matches

            near = get_close_matches(name, [r.path for r in rows], n=3, cutoff=0.4)
            hint = f"did you mean {', '.join(near)}?" if near else f"models: {', '.join(r.path for r in rows)}"
            raise UserError(f"no model {name!r} in this project; {hint}")
        chosen += [h for h in hits if h not in chosen]
    return chosen
