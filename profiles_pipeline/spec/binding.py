"""Validate one YAML item with pydantic, translate errors to Problems with file:line, and attach
each resulting model object to its ruamel node (so it knows its Location)."""

from __future__ import annotations

import copy
import functools
import typing
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from profiles_pipeline.errors import Location, Problem
from profiles_pipeline.spec.base import SpecModel
from profiles_pipeline.spec.hints import did_you_mean
from profiles_pipeline.spec.yaml_io import node_line, resolve, to_plain, yaml_path


@functools.cache
def _adapter(target: Any) -> TypeAdapter:
    return TypeAdapter(target)


#: pb model types implemented in Python (pb's `python_model`, and the types Python packages listed
#: in `python_requirements` register, e.g. profiles_rudderstack_pysql's `py_sql_model`).
PYTHON_MODEL_TYPES = {"python_model", "py_sql_model", "llm_email_gen", "llm_prompt_response",
                      "training_model", "prediction_model"}


def validate_item(target: Any, node: Any, file: str, path: tuple) -> tuple[Any, list[Problem]]:
    """Validate `node` as `target` (a model class or annotated union). On unknown keys, report
    them and retry without them, so one typo does not hide the object from later checks."""
    raw = to_plain(node)
    adapter = _adapter(target)
    try:
        obj = adapter.validate_python(raw)
    except ValidationError as exc:
        subject = _subject(raw, path)
        problems = [_named(translate_error(err, target, node, file, path), subject) for err in exc.errors()]
        extras = [tuple(e["loc"]) for e in exc.errors() if e["type"] == "extra_forbidden"]
        if not extras or len(extras) != len(exc.errors()):
            return None, problems
        cleaned = _without(raw, extras)
        try:
            obj = adapter.validate_python(cleaned)
        except ValidationError:
            return None, problems
        attach(obj, node, file, path)
        return obj, problems
    attach(obj, node, file, path)
    return obj, []


_SECTION_NOUNS = {"inputs": "input", "models": "model", "macros": "macro", "var_groups": "var_group"}


def _subject(raw: Any, path: tuple) -> str | None:
    """The item being validated, named as a user names it: "input identifies", "entity var x"."""
    if not isinstance(raw, dict):
        return None
    if "vars" in path and len(raw) == 1:  # a var entry: {entity_var: {name: ...}}
        [(kind, body)] = raw.items()
        name = body.get("name") if isinstance(body, dict) else None
        return f"{str(kind).replace('_', ' ')} {name}" if name else None
    noun = _SECTION_NOUNS.get(str(path[0])) if path else None
    name = raw.get("name")
    return f"{noun} {name}" if noun and name else None


def _named(problem: Problem, subject: str | None) -> Problem:
    if subject is None or problem.message.startswith(subject):
        return problem
    return Problem(problem.location, f"{subject}: {problem.message}", problem.hint, problem.code, problem.extra)


def _without(raw: Any, locs: list[tuple]) -> Any:
    out = copy.deepcopy(raw)
    for loc in locs:
        parent, parts = out, [p for p in loc[:-1]]
        for part in parts:
            if isinstance(parent, dict) and part in parent:
                parent = parent[part]
            elif isinstance(parent, list) and isinstance(part, int) and part < len(parent):
                parent = parent[part]
        if isinstance(parent, dict):
            parent.pop(loc[-1], None)
    return out


def attach(obj: Any, node: Any, file: str, path: tuple, outer: Any = None, outer_path: tuple = ()) -> None:
    """Give every SpecModel in `obj` its Location and ruamel node, following field aliases.
    `outer`: the parent's node, where a key moved in by an early layout was written (schema 40's
    `ids:` beside `app_defaults:`)."""
    if not isinstance(obj, SpecModel):
        return
    obj._location = Location(file, node_line(node), yaml_path(path))
    obj._node = node
    for name, info in type(obj).model_fields.items():
        key = info.alias or name
        value = getattr(obj, name)
        child = node.get(key) if isinstance(node, dict) else None
        at = path
        if child is None and isinstance(outer, dict) and isinstance(value, SpecModel | list):
            child, at = outer.get(key), outer_path
        if child is None:
            continue
        if at is not path:
            if isinstance(value, list) and isinstance(child, list):
                for i, item in enumerate(value[: len(child)]):
                    attach(item, child[i], file, (*at, key, i))
            continue
        if isinstance(value, SpecModel):
            attach(value, child, file, (*path, key), node, path)
        elif isinstance(value, list) and isinstance(child, list):
            for i, item in enumerate(value):
                if i < len(child):
                    attach(item, child[i], file, (*path, key, i))
        elif isinstance(value, list) and len(value) == 1 and isinstance(child, dict):
            attach(value[0], child, file, (*path, key))  # one item written as a mapping (pb's `ids:`)


def translate_error(err: dict, target: Any, node: Any, file: str, base: tuple) -> Problem:
    """One pydantic error -> a Problem at the line of the offending key, with a hint."""
    loc = tuple(err["loc"])
    _, line, followed = resolve(node, loc)
    where = Location(file, line, yaml_path((*base, *followed)))
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    owner = _model_at(target, loc[:-1]) if loc else None
    key = loc[-1] if loc else None
    if kind == "extra_forbidden":
        allowed = _keys(owner)
        return Problem(where, f"unknown key '{key}'", did_you_mean(str(key), allowed, "allowed keys"), "unknown_key")
    if kind == "missing":
        return Problem(where, f"missing required key '{key}'", _allowed_hint(owner), "missing_key")
    if kind == "union_tag_invalid" and str(ctx.get("tag")) in PYTHON_MODEL_TYPES:
        return Problem(
            where,
            f"model_type '{ctx.get('tag')}' is a Python model type (pb runs it with RudderStack's Python "
            "library); this engine does not run Python models",
            "remove the model, or compute its output in a sql_template model",
            "python_model_type",
        )
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        return Problem(
            where,
            f"unknown {ctx.get('discriminator', 'type').strip(chr(39))} '{ctx.get('tag')}'",
            (did_you_mean(str(ctx.get("tag")), tags, "known model types") or "")
            + "; a type a Python package in python_requirements registers is a Python model type, "
            "which this engine does not run",
            "unknown_model_type",
        )
    if kind == "union_tag_not_found":
        return Problem(where, f"missing required key {ctx.get('discriminator')}", None, "missing_key")
    if kind == "literal_error":
        options = [o.strip(" '") for o in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        return Problem(
            where, f"'{value}' is not allowed for '{key}'", did_you_mean(str(value), options, "allowed values"), "bad_value"
        )
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        expected = {"list_type": "a list", "dict_type": "a mapping"}.get(kind, "a mapping")
        return Problem(
            where, f"'{key}' must be {expected}, got {_describe(value)}", _shape_hint(kind, key), "wrong_type"
        )
    if kind in ("string_type", "int_type", "bool_type", "float_type") and isinstance(value, dict | list):
        expected = {"string_type": "a text value", "int_type": "a whole number", "bool_type": "true or false",
                    "float_type": "a number"}[kind]
        what = f"'{loc[-2]}' item {key}" if isinstance(key, int) and len(loc) > 1 else f"'{key}'"
        early = isinstance(value, dict) and {"tablevar", "feature"} & set(value)
        hint = ("the early `tablevar:`/`feature:` items are not read here: write each as an entity_var in a "
                "var_group and list its name" if early else None)
        return Problem(where, f"{what} must be {expected}, got {_describe(value)}", hint, "wrong_type")
    message = err["msg"].removeprefix("Value error, ")
    keyed = key is not None and not isinstance(key, int) and not message.startswith(f"{key} ")
    return Problem(where, f"{key}: {message}" if keyed else message, None, "invalid")


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type(value).__name__} {value!r}"[:80]


def _shape_hint(kind: str, key: Any) -> str:
    if kind == "list_type":
        return f"write each item of '{key}' on its own line starting with '- '"
    return f"'{key}' takes nested keys, one per line, indented under it"


def _allowed_hint(owner: type | None) -> str | None:
    keys = _keys(owner)
    return f"keys of this object: {', '.join(sorted(keys))}" if keys else None


def _keys(owner: type | None) -> list[str]:
    if owner is None or not (isinstance(owner, type) and issubclass(owner, BaseModel)):
        return []
    return [info.alias or name for name, info in owner.model_fields.items()]


def _model_classes(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic model classes inside an annotation (through Optional, list, Union, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_model_classes(arg))
    return found


def _model_at(target: Any, loc: tuple) -> type[BaseModel] | None:
    """Which model class owns the keys at `loc` (follows fields and discriminated-union tags)."""
    candidates = _model_classes(target)
    for part in loc:
        if isinstance(part, int):
            continue
        tagged = [c for c in candidates if _tag(c) == part]
        if tagged:
            candidates = tagged
            continue
        nxt: list[type[BaseModel]] = []
        for cls in candidates:
            for name, info in cls.model_fields.items():
                if part in (name, info.alias):
                    nxt.extend(_model_classes(info.annotation))
        if nxt:
            candidates = nxt
    return candidates[0] if len(candidates) == 1 else None


def _tag(cls: type[BaseModel]) -> str | None:
    field = cls.model_fields.get("model_type")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None

