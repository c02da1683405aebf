"""Round-trip YAML loading that keeps line numbers, and lookups from a yaml path to a line.

ruamel's round-trip loader attaches `.lc` (line/column) to every mapping and sequence, which is
what lets every spec error name `file:line`."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import ReusedAnchorWarning
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from profiles_pipeline.errors import Location, Problem


@dataclass
class YamlDoc:
    """One parsed file: its path relative to the project and its ruamel root node."""

    rel_path: str
    root: Any


_TRAILING_BLANKS = re.compile(r"[ \t]+$", re.MULTILINE)


def load_yaml(path: Path, rel_path: str) -> tuple[YamlDoc | None, Problem | None]:
    """Parse one file; a syntax error becomes a Problem naming file, line and column."""
    yaml = YAML(typ="rt")
    try:
        text = path.read_text(encoding="utf-8")
        try:
            with warnings.catch_warnings():
                # YAML lets an anchor be defined again (the later one wins), and pb projects do it
                warnings.simplefilter("ignore", ReusedAnchorWarning)
                root = yaml.load(text)
        except MarkedYAMLError as exc:
            # pb's YAML reader takes a tab after a value (`model: gpt-4\t`); ruamel does not. Only
            # trailing blanks are dropped, so every line keeps its number.
            if "'\\t'" not in str(exc.problem) or text == (stripped := _TRAILING_BLANKS.sub("", text)):
                raise
            root = YAML(typ="rt").load(stripped)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        return None, Problem(
            Location(rel_path, line),
            f"YAML syntax error at line {line}, column {col}: {what}",
            "check indentation, unclosed quotes/brackets and that every key is followed by ':'",
            code="yaml_syntax",
        )
    except (YAMLError, UnicodeDecodeError) as exc:
        return None, Problem(Location(rel_path), f"cannot read YAML: {exc}", code="yaml_syntax")
    return YamlDoc(rel_path, root), None


def to_plain(node: Any) -> Any:
    """ruamel node tree -> plain dicts/lists/str/int/float/bool (what pydantic validates)."""
    if isinstance(node, dict):
        return {str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def node_line(node: Any) -> int | None:
    """1-based line where a mapping/sequence node starts."""
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def child_line(node: Any, key: Any) -> int | None:
    """1-based line of `key` in a mapping, or of item `key` in a sequence."""
    try:
        if isinstance(node, CommentedMap) and key in node:
            return node.lc.key(key)[0] + 1
        if isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            return node.lc.item(key)[0] + 1
    except (KeyError, IndexError, TypeError):
        return None
    return None


def resolve(root: Any, loc: tuple | list) -> tuple[Any, int | None, list]:
    """Follow `loc` (keys / indexes) into the tree as far as it exists.

    Returns the deepest node reached, the best line for `loc`, and the path actually followed;
    parts that are not in the tree (pydantic union tags, validator names) are skipped."""
    node, line, followed = root, node_line(root), []
    for part in loc:
        if isinstance(node, dict) and part in node:
            line = child_line(node, part) or line
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            line = child_line(node, part) or line
            node = node[part]
        else:
            continue
        followed.append(part)
    return node, line, followed


def yaml_path(parts: list | tuple) -> str:
    """('models', 0, 'model_spec') -> 'models[0].model_spec'."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
