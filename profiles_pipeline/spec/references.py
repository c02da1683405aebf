"""Find `Var(...)`, `{{entity.var}}`, `DeRef(...)` and macro calls inside pb template text.

A small regex scanner so the spec layer can check references without rendering templates. The
templating layer renders; this only needs to know names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

_VAR_CALL = re.compile(r"\b(?P<entity>\w+)\s*\.\s*Var\(\s*\\?[\"'](?P<name>[^\"'\\]+)\\?[\"']\s*\)")
_DOT_VAR = re.compile(r"(?<![\w.])(?P<entity>\w+)\.(?P<name>\w+)\b(?!\s*\()")
_DEREF = re.compile(r"\bDeRef\(\s*\\?[\"'](?P<path>[^\"'\\]+)\\?[\"']\s*\)")
_CALL = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*)\s*\(")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")

# Callables that are not user macros (pongo2/pb builtins usable at the start of an expression).
BUILTIN_CALLS = frozenset({"DeRef", "Var", "ReadFile", "range", "len", "lower", "upper"})


@dataclass(frozen=True)
class Reference:
    """One reference in a template: a var of an entity, a model/input path, or a macro call."""

    kind: Literal["var", "deref", "macro"]
    name: str
    entity: str | None = None


def template_expressions(text: str) -> Iterator[tuple[int, int, str]]:
    """Outermost `{{ ... }}` blocks (nesting allowed, as pb writes `'{{user.Var("x")}}'` inside
    macro calls) as (start, end, inner text)."""
    i, n = 0, len(text)
    while i < n:
        start = text.find("{{", i)
        if start < 0:
            return
        depth, j = 0, start
        while j < n:
            if text.startswith("{{", j):
                depth, j = depth + 1, j + 2
            elif text.startswith("}}", j):
                depth, j = depth - 1, j + 2
                if depth == 0:
                    break
            else:
                j += 1
        if depth != 0:
            return
        yield start, j, text[start + 2 : j - 2]
        i = j


def find_references(text: str | None, entities: Iterable[str] = ()) -> list[Reference]:
    """Every reference in `text`, in order of appearance, duplicates kept out."""
    if not text:
        return []
    entity_names = set(entities)
    found: list[Reference] = []
    for m in _VAR_CALL.finditer(text):
        found.append(Reference("var", m.group("name"), m.group("entity")))
    for m in _DEREF.finditer(text):
        found.append(Reference("deref", m.group("path")))
    for _, _, inner in template_expressions(text):
        bare = _STRING.sub("''", inner)
        for m in _DOT_VAR.finditer(bare):
            if m.group("entity") in entity_names and m.group("name") != "Var":
                found.append(Reference("var", m.group("name"), m.group("entity")))
        for m in _CALL.finditer(bare):
            if m.group("name") not in BUILTIN_CALLS:
                found.append(Reference("macro", m.group("name")))
    return list(dict.fromkeys(found))
