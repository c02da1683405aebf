"""Which YAML defines each step, and a version of it: Dagster's `code_version` (so the UI shows
which assets changed since they last ran) and code references (file and line of each definition).

A version digests what the definitions mean (their parsed values), not their text: a comment
or a re-indented file changes no version. Macros count for every step that renders SQL."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

from profiles_pipeline.pipeline.graph import CodeRef, Step
from profiles_pipeline.spec.project import Project


def _label(obj) -> str:
    kind = {"Input": "input", "VarGroup": "var group", "Entity": "entity", "IdType": "id type"}.get(
        type(obj).__name__, "model")
    return f"{kind} {getattr(obj, 'name', '')}".strip()


def _owner_of_view(project: Project, name: str):
    """The entity or cohort that declares the feature view `name`."""
    entity = next((e for e in project.entities
                   if name == e.feature_view_name or name in {v for _, v in e.using_id_views()}), None)
    if entity is not None:
        return entity
    for model in project.models:
        spec = getattr(model, "model_spec", None)
        views = getattr(spec, "feature_views", None) or []
        if name == getattr(spec, "feature_view_name", None) or name in {v.name for v in views}:
            return model
    return None


def definitions_of(project: Project, step: Step) -> list:
    """The spec objects whose values decide what `step` computes (its own definitions only:
    what it reads is versioned by its upstream assets)."""
    head, name = step.key[0], step.key[1] if len(step.key) > 1 else ""
    if head == "inputs":
        return [i for i in project.inputs if i.name == name]
    if head == "identity":
        entity = next((e for e in project.entities if project.stitcher_name(e.name) == name), None)
        if entity is None:
            return []
        model = project.stitcher_model(entity.name)
        types = [t for t in project.id_types if t.name in entity.id_types]
        return [model or entity, *types]
    if head == "features":
        groups = [g for g in project.var_groups if g.entity_key == name and not g.entity_cohort]
        entity = next((e for e in project.entities if e.name == name), None)
        return [*([entity] if entity else []), *groups]
    found = [m for m in project.models if m.name == name]
    found += [g for g in project.var_groups if g.entity_cohort and g.entity_cohort.split("/")[-1] == name]
    if not found and (owner := _owner_of_view(project, name)) is not None:
        found = [owner]
    return found


def _digest(objects: list) -> str:
    values = [[type(o).__name__, o.model_dump(mode="json", by_alias=True)] for o in objects]
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


def versioned(project: Project, steps: list[Step]) -> list[Step]:
    """`steps` with their code version and code references set."""
    macros = sorted(project.macros, key=lambda m: m.name)
    out = []
    for step in steps:
        found = definitions_of(project, step)
        if not found:
            out.append(step)
            continue
        renders_sql = step.kind not in ("input", "edges", "id_graph")
        refs = tuple(CodeRef(str((project.root / o.location.file).resolve()), o.location.line, _label(o))
                     for o in found if o.location.file)
        out.append(replace(step, code_version=_digest(found + (macros if renders_sql else [])), code_refs=refs))
    return out
