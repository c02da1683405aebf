"""`build_graph`: the project spec → every step, in dependency order."""

from __future__ import annotations

from profiles_pipeline.pipeline.activation_steps import activation_steps
from profiles_pipeline.pipeline.bad_values import explaining
from profiles_pipeline.pipeline.code_versions import versioned
from profiles_pipeline.pipeline.feature_steps import feature_steps
from profiles_pipeline.pipeline.graph import ProjectGraph, Step
from profiles_pipeline.pipeline.identity_steps import identity_steps
from profiles_pipeline.pipeline.input_steps import input_step
from profiles_pipeline.pipeline.partition_span import PartitionSpan, partition_span
from profiles_pipeline.pipeline.prediction_steps import prediction_steps
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.connections import resolve_connection


def build_graph(project: Project, warehouse_kind: str | None = None, span: PartitionSpan | None = None) -> ProjectGraph:
    """Steps for every input, id-graph stage, features, feature view, cohort, activation of `project`;
    partitioned by day over `span` (default: see `partition_span`)."""
    kind = warehouse_kind or resolve_connection(project.root, project.config.connection).config.type
    steps: list[Step] = [input_step(project, i) for i in project.inputs]
    graph_keys = {}
    for entity in project.entities:
        if not project.edge_sources_for(entity.name):
            continue
        entity_steps = identity_steps(project, entity.name, reports_dir(project))
        graph_keys[entity.name] = entity_steps[-1].key
        steps += entity_steps
    steps += feature_steps(project, graph_keys)
    steps += prediction_steps(project)
    steps += activation_steps(project)
    steps = versioned(project, _explained(project, steps))
    return ProjectGraph(
        project_name=project.name,
        steps=tuple(_in_dependency_order(steps)),
        partitions=span or partition_span(project),
        warehouse_kind=kind,
    )


def _explained(project: Project, steps: list[Step]) -> list[Step]:
    """Each step names the input, file, column and value its warehouse errors are about (see
    `bad_values`): the inputs it reads are those upstream of it."""
    by_key = {s.key: s for s in steps}
    inputs = {i.name: i for i in project.inputs}

    def read_by(step: Step, seen: set) -> set[str]:
        if step.key in seen:
            return set()
        seen.add(step.key)
        found = {step.key[1]} if step.kind == "input" else set()
        for up in step.upstream:
            if up in by_key:
                found |= read_by(by_key[up], seen)
            elif up[0] == "inputs":
                found.add(up[1])
        return found

    return [explaining(project, s, [inputs[n] for n in sorted(read_by(s, set())) if n in inputs]) for s in steps]


def reports_dir(project: Project):
    return project.root / "data" / "reports"


def _in_dependency_order(steps: list[Step]) -> list[Step]:
    by_key = {s.key: s for s in steps}
    done: dict[tuple[str, ...], Step] = {}

    def visit(step: Step) -> None:
        if step.key in done:
            return
        for up in step.upstream:
            if up in by_key and up != step.key:
                visit(by_key[up])
        done[step.key] = step

    for s in steps:
        visit(s)
    return list(done.values())
