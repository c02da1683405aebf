"""Template stripping and SQL snippet parsing used by the spec checks."""

from __future__ import annotations

import pytest

from profiles_pipeline.spec.graph_cycles import find_cycles
from profiles_pipeline.spec.references import template_expressions
from profiles_pipeline.spec.sql_snippets import parse_error, strip_template


def test_nested_template_blocks_are_one_expression() -> None:
    text = "a {{macro_x('{{user.Var(\"b\")}}')}} c {{ d }}"
    inner = [t for _, _, t in template_expressions(text)]
    assert inner == ["macro_x('{{user.Var(\"b\")}}')", " d "]


def test_strip_template_keeps_lines_and_first_branch() -> None:
    text = '{% with t = this.DeRef("inputs/x") %}\nselect a from {{ t }}\n{% if y %}where b{% else %}where c\n{% endif %}'
    stripped = strip_template(text)
    assert stripped.count("\n") == text.count("\n")
    assert "__pb_tpl_0__" in stripped and "where b" in stripped and "where c" not in stripped


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("count(distinct context_session_id)", "expression"),
        ("{{macro_datediff('{{user.Var(\"first_seen\")}}')}}", "expression"),
        ("timestamp >= '{{end_time.Format(\"2006-01-02\")}}' and revenue > 0", "condition"),
        ("timestamp desc", "order"),
        ("rows between unbounded preceding and unbounded following", "frame"),
        ("select * from {{ this.DeRef(\"inputs/x\") }} qualify row_number() over (order by ts) = 1", "statement"),
    ],
)
def test_valid_snowflake_snippets_parse(text: str, kind: str) -> None:
    assert parse_error(text, kind, "snowflake") is None


def test_bad_snippet_reports_line_inside_snippet() -> None:
    message, line = parse_error("select a,\n  b\nfrom t where (", "statement", "snowflake")
    assert line == 3
    assert message


def test_two_statements_are_not_a_single_sql() -> None:
    assert parse_error("select 1; select 2", "statement", "snowflake")[0].startswith("expected one SQL statement")


def test_find_cycles_names_each_cycle_once() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"], "e": ["a"]}
    cycles = sorted(find_cycles(edges))
    assert cycles == [["a", "b", "c", "a"], ["d", "d"]]
