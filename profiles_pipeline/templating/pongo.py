"""Rewrite pongo2 (pb's template language) into Jinja2 source, keeping every line where it was.

Only the inside of `{{ }}` and `{% %}` is touched, token by token, so string literals (which may
themselves hold templates, as in `{{ m('{{ user.Var("x") }}') }}`) are never altered:

- `!x` → `not x`, `&&` → `and`, `||` → `or`, `<>` → `!=`
- `x|filter:arg` → `x|filter(arg)`
- `forloop.Counter`/`Counter0`/`Revcounter`/`Revcounter0`/`First`/`Last` → Jinja's `loop.*`
- `{% with a = x b = y %}` → `{% with a = x, b = y %}`; `{% with x as a %}` → `{% with a = x %}`
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<op>&&|\|\||==|!=|<>|<=|>=|[!|:=(),.\[\]{}<>+\-*/%~])
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_FORLOOP = {
    "Counter": "index",
    "Counter0": "index0",
    "Revcounter": "revindex",
    "Revcounter0": "revindex0",
    "First": "first",
    "Last": "last",
}
_OPEN = re.compile(r"\{\{|\{%|\{#")
_CLOSE = {"{{": "}}", "{%": "%}"}


class PongoSyntaxError(ValueError):
    """An unterminated tag; carries the 1-based line where it starts."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


@lru_cache(maxsize=4096)
def to_jinja(text: str) -> str:
    """Translate pongo2 template text to equivalent Jinja2 text (same number of lines)."""
    out: list[str] = []
    pos = 0
    while True:
        opened = _OPEN.search(text, pos)
        if not opened:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : opened.start()])
        opener = opened.group()
        line = text.count("\n", 0, opened.start()) + 1
        if opener == "{#":
            end = text.find("#}", opened.end())
            if end < 0:
                raise PongoSyntaxError("comment '{#' is never closed with '#}'", line)
            out.append(text[opened.start() : end + 2])
            pos = end + 2
            continue
        body, pos = _scan_tag(text, opened.end(), _CLOSE[opener], line)
        inner = _rewrite_tag(body) if opener == "{%" else _rewrite_expr(body)
        out.append(opener + inner + _CLOSE[opener])


def _scan_tag(text: str, start: int, closer: str, line: int) -> tuple[str, int]:
    """Return the tag body up to `closer` (skipping string literals) and the index after it."""
    i = start
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            lit = _TOKEN.match(text, i)
            if lit is None or lit.lastgroup != "string":
                raise PongoSyntaxError(f"string starting with {ch} is never closed", line)
            i = lit.end()
        elif text.startswith(closer, i):
            return text[start:i], i + len(closer)
        else:
            i += 1
    raise PongoSyntaxError(f"'{closer[::-1]}' opened here is never closed with '{closer}'", line)


def _tokens(body: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(body)]


def _rewrite_expr(body: str) -> str:
    toks = _tokens(body)
    out: list[str] = []
    for i, (kind, val) in enumerate(toks):
        if kind == "op" and val == "!":
            out.append(" not ")
        elif kind == "op" and val == "&&":
            out.append(" and ")
        elif kind == "op" and val == "||":
            out.append(" or ")
        elif kind == "op" and val == "<>":
            out.append("!=")
        elif kind == "name" and val == "forloop" and _forloop_field(toks, i):
            out.append("loop")
        elif kind == "name" and i >= 2 and toks[i - 2] == ("name", "forloop") and val in _FORLOOP:
            out.append(_FORLOOP[val])
        elif kind == "op" and val == ":" and _after_filter_name(toks, i):
            arg, end = _filter_argument(toks, i + 1)
            out.append("(" + arg + ")")
            toks[i + 1 : end] = [("space", "")] * (end - i - 1)
        else:
            out.append(val)
    return "".join(out)


def _forloop_field(toks: list[tuple[str, str]], i: int) -> bool:
    return i + 2 < len(toks) and toks[i + 1] == ("op", ".") and toks[i + 2][1] in _FORLOOP


def _after_filter_name(toks: list[tuple[str, str]], i: int) -> bool:
    """True when toks[i] is the `:` of `|name:arg` (not a slice or dict colon)."""
    j = i - 1
    return j >= 1 and toks[j][0] == "name" and toks[j - 1] == ("op", "|")


def _filter_argument(toks: list[tuple[str, str]], start: int) -> tuple[str, int]:
    """A pongo2 filter argument is one literal or one dotted variable path."""
    end = start
    if end < len(toks) and toks[end][0] in ("string", "number"):
        return toks[end][1], end + 1
    parts: list[str] = []
    while end < len(toks) and (toks[end][0] == "name" or toks[end] == ("op", ".")):
        parts.append(toks[end][1])
        end += 1
    return "".join(parts), end


def _rewrite_tag(body: str) -> str:
    """Split off Jinja's whitespace-control markers (`{%-`, `-%}`), then rewrite the tag."""
    m = re.fullmatch(r"([-+]?)(\s*)(.*?)(\s*)([-+]?)", body, re.DOTALL)
    assert m is not None
    lead, pre, core, post, trail = m.groups()
    if re.match(r"with\b", core):
        core = _rewrite_with(core[4:])
    else:
        core = _rewrite_expr(core)
    return lead + pre + core + (post or " ") + trail


def _rewrite_with(args: str) -> str:
    """pongo2 separates `with` assignments by spaces; Jinja needs commas."""
    toks = _tokens(args)
    words = [(k, v) for k, v in toks if k != "space"]
    if len(words) == 3 and words[1] == ("name", "as"):
        return f"with {words[2][1]} = {_rewrite_expr(words[0][1])}"
    depth = 0
    starts: list[int] = []
    for i, (kind, val) in enumerate(toks):
        if kind == "op" and val in "([{":
            depth += 1
        elif kind == "op" and val in ")]}":
            depth -= 1
        elif kind == "name" and depth == 0 and _next_is_assign(toks, i):
            starts.append(i)
    pieces = [v for _, v in toks]
    for begin in starts[1:]:
        prev = begin - 1
        while prev >= 0 and toks[prev][0] == "space":
            prev -= 1
        if prev >= 0 and toks[prev] != ("op", ","):
            pieces[prev] += ","
    return "with" + _rewrite_expr("".join(pieces))


def _next_is_assign(toks: list[tuple[str, str]], i: int) -> bool:
    j = i + 1
    while j < len(toks) and toks[j][0] == "space":
        j += 1
    return j < len(toks) and toks[j] == ("op", "=")
