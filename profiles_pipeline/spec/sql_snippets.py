"""Parse user SQL snippets with sqlglot in the project's dialect, templates replaced first.

`{{ ... }}` becomes a placeholder identifier and `{% ... %}` tags are removed (keeping only the
first branch of an if/else), so a snippet with templates still parses as SQL."""

from __future__ import annotations

import re
from typing import Literal

import sqlglot
from sqlglot.errors import ParseError, TokenError

from profiles_pipeline.spec.references import template_expressions

SnippetKind = Literal["expression", "condition", "statement", "order", "frame", "type"]

_TAG = re.compile(r"\{%-?\s*(?P<word>\w+)?.*?-?%\}|\{#.*?#\}", re.S)
_WRAP = {
    "expression": "SELECT {}",
    "condition": "SELECT 1 WHERE {}",
    "order": "SELECT 1 ORDER BY {}",
    "frame": "SELECT COUNT(1) OVER (ORDER BY 1 {})",
    "type": "SELECT CAST(NULL AS {})",
    "statement": "{}",
}


def strip_template(text: str) -> str:
    """Template-free SQL with the same line structure as `text`."""
    out, last = [], 0
    for n, (start, end, _) in enumerate(template_expressions(text)):
        out.append(text[last:start])
        out.append(f"__pb_tpl_{n}__")
        last = end
    out.append(text[last:])
    return _drop_tags("".join(out))


def _drop_tags(text: str) -> str:
    out, last, skip_depth, depth = [], 0, None, 0
    for m in _TAG.finditer(text):
        segment = text[last : m.start()]
        out.append(segment if skip_depth is None else "\n" * segment.count("\n"))
        out.append("\n" * m.group(0).count("\n"))
        word = (m.group("word") or "").lower()
        if word in ("if", "for"):
            depth += 1
        elif word in ("elif", "else") and skip_depth is None:
            skip_depth = depth
        elif word in ("endif", "endfor"):
            if skip_depth == depth:
                skip_depth = None
            depth -= 1
        last = m.end()
    if skip_depth is None:
        out.append(text[last:])
    return "".join(out)


def continue_with_clause(sql: str) -> str:
    """pb puts a model's DeRefs in a WITH clause before its single_sql, so a single_sql may begin
    with `, name AS (...)` to add its own CTEs; alone, that reads as `WITH name AS (...)`. Lines
    keep their numbers."""
    body = sql.lstrip()
    if not body.startswith(","):
        return sql
    return sql[: len(sql) - len(body)] + "WITH " + body[1:]


def parse_error(text: str, kind: SnippetKind, dialect: str) -> tuple[str, int] | None:
    """None if the snippet parses; else (message, 1-based line inside the snippet)."""
    body = strip_template(text).rstrip()
    sql = _WRAP[kind].format(continue_with_clause(body) if kind == "statement" else body)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        desc = first.get("description") or str(exc).splitlines()[0]
        context = (first.get("highlight") or "").strip()
        where = f" near '{context}'" if context else ""
        return f"{desc}{where}", int(first.get("line") or 1)
    except TokenError as exc:
        return str(exc).splitlines()[0], 1
    if kind == "statement" and len(statements) != 1:
        return f"expected one SQL statement, found {len(statements)}", 1
    return None
