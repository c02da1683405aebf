"""The one escaping of a value into SQL text, for the statements still written as text.

Statements built as sqlglot trees get literals from `sqltree.literal`; text that pastes a value
in uses `sql_string`: single quotes doubled, which every engine here reads the same way.
"""

from __future__ import annotations


def sql_string(value: object) -> str:
    """`value` as a SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"
