"""Cycle checks: derived vars that depend on themselves, models that DeRef each other."""

from __future__ import annotations

from collections.abc import Hashable

from profiles_pipeline.errors import Location
from profiles_pipeline.spec.check_context import CheckContext
from profiles_pipeline.spec.model_types import EntityCohortModel, IdStitcherModel
from profiles_pipeline.spec.snippets import project_snippets


def find_cycles(edges: dict[Hashable, list[Hashable]]) -> list[list[Hashable]]:
    """One cycle per strongly connected component that has one, as [a, b, ..., a] (Tarjan)."""
    index: dict = {}
    low: dict = {}
    stack: list = []
    on_stack: set = set()
    cycles: list[list] = []
    counter = [0]

    def visit(v: Hashable) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, []):
                cycles.append(_cycle_in(set(component), edges))

    for node in list(edges):
        if node not in index:
            visit(node)
    return cycles


def _cycle_in(component: set, edges: dict) -> list:
    start = min(component, key=str)
    path, seen, node = [start], {start}, start
    while True:
        node = next(w for w in edges.get(node, []) if w in component)
        if node in seen:
            return path[path.index(node):] + [node]
        path.append(node)
        seen.add(node)


def check_cycles(ctx: CheckContext) -> None:
    p = ctx.project
    var_edges: dict = {}
    var_loc: dict = {}
    model_edges: dict = {}
    for snippet in project_snippets(p):
        refs = ctx.refs(snippet.text)
        if isinstance(refs, Exception):
            continue
        if snippet.var is not None:
            key = (snippet.var.entity, snippet.var.name)
            var_loc.setdefault(key, snippet.var.location)
            deps = var_edges.setdefault(key, [])
            deps += [(r.entity, r.name) for r in refs if r.kind == "var" and r.entity == snippet.var.entity]
        if snippet.model is not None:
            deps = model_edges.setdefault(snippet.model.path, [])
            deps += [_canonical(ctx, r.name) for r in refs if r.kind == "deref"]
    for model in p.models:
        deps = model_edges.setdefault(model.path, [])
        if isinstance(model, EntityCohortModel) and model.model_spec.extends:
            deps.append(_canonical(ctx, model.model_spec.extends))
        if isinstance(model, IdStitcherModel):
            deps += [_canonical(ctx, e.from_) for e in model.model_spec.edge_sources or []]
    for cycle in find_cycles(var_edges):
        names = " -> ".join(name for _, name in cycle)
        ctx.add(var_loc.get(cycle[0], Location()), f"vars depend on each other in a cycle: {names}",
                "a derived var cannot (indirectly) use itself; break the cycle", "cycle")
    for cycle in find_cycles(model_edges):
        first = p.resolve(cycle[0])
        names = " -> ".join(str(c) for c in cycle)
        ctx.add(first.location if first is not None else Location(), f"models depend on each other in a cycle: {names}",
                "a model cannot (indirectly) DeRef itself; break the cycle", "cycle")


def _canonical(ctx: CheckContext, path: str) -> str:
    target = ctx.project.resolve(path)
    if target is None:
        return path
    return getattr(target, "path", None) or f"inputs/{target.name}"
