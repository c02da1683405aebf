"""The blocking check that outputs point at people the id graph has.

A feature view, feature table or cohort whose main ids are not all in the id graph (or an id
view whose ids are not) would send an activation or a lookup to a person who does not exist:
the run that built it publishes nothing (see `orchestration.run_envelope`), so readers keep the
previous consistent state. Built as sqlglot trees, rendered in the engine's dialect.
"""

from __future__ import annotations

from sqlglot import exp

from profiles_pipeline.pipeline.graph import CheckOutcome, RunContext, StepCheck, StepResult
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter

CHECK_NAME = "ids_in_id_graph"
#: How many missing ids a failing check lists.
EXAMPLES = 5


def _missing(adapter: WarehouseAdapter, relation: str, column: str, graph: str, graph_column: str,
             id_type: str | None) -> exp.Select:
    """Rows of `relation` whose `column` is not among the graph's `graph_column` values."""
    inner = (exp.select(exp.Literal.number(1)).from_(adapter.table_expr(graph).as_("g"))
             .where(exp.column(graph_column, "g").eq(exp.column(column, "r"))))
    if id_type is not None:
        inner = inner.where(exp.column("other_id_type", "g").eq(exp.Literal.string(id_type)))
    return (exp.select(exp.column(column, "r")).from_(adapter.table_expr(relation).as_("r"))
            .where(exp.column(column, "r").is_(exp.null()).not_())
            .where(exp.Exists(this=inner).not_()))


def linkage_checks(project: Project, entity: str, relation: str, id_type: str | None = None) -> tuple[StepCheck, ...]:
    """The check for an output of `entity` (none when the entity has no id graph)."""
    if not project.edge_sources_for(entity):
        return ()
    return (ids_in_graph_check(project, entity, relation, id_type),)


def ids_in_graph_check(project: Project, entity: str, relation: str, id_type: str | None = None) -> StepCheck:
    """Every main id of `relation` is a main id of `entity`'s id graph; with `id_type`, every id
    in the column named `id_type`'s id column is an id of that type in the graph."""
    ent = project.entity(entity)
    graph, main_id = project.stitcher_name(entity), ent.main_id_column
    # an id view keys by a column named after its id type (pb's shape)
    column, graph_column = (main_id, main_id) if id_type is None else (id_type, "other_id")
    what = f"{main_id}" if id_type is None else f"{id_type} id"

    def run(adapter: WarehouseAdapter, ctx: RunContext, _: StepResult | None) -> CheckOutcome:
        if not adapter.table_exists(graph) or not adapter.table_exists(relation):
            return CheckOutcome(False, f"{relation} or the id graph {graph} is missing", {})
        missing = _missing(adapter, relation, column, graph, graph_column, id_type)
        count = int(adapter.fetch_one(exp.select(exp.func("COUNT", exp.Star())).from_(missing.subquery("m"))))
        examples = [r[0] for r in adapter.fetch(missing.limit(EXAMPLES))] if count else []
        text = (f"every {what} in {relation} is in the id graph {graph}" if not count else
                f"{count} {what} value(s) in {relation} are not in the id graph {graph}, e.g. "
                + ", ".join(map(str, examples)))
        return CheckOutcome(count == 0, text, {"ids_missing_from_graph": count})

    return StepCheck(CHECK_NAME, f"Every {what} in {relation} exists in the id graph {graph} (blocking: "
                     "otherwise the run publishes nothing).", True, run)

