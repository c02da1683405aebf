"""`find_references` on each idiom: what the spec layer needs for unknown refs and cycles."""

from datetime import datetime

import pytest

from profiles_pipeline.templating import Macro, TemplateContext, TemplateError, find_references

DATEDIFF = Macro(
    "macro_datediff",
    ["column"],
    "{% if !(end_time|isnil) %}datediff(day, date({{column}}), {{ end_time_sql }})"
    "{% else %}datediff(day, date({{column}}), GETDATE()){% endif %}",
)


def scope(**kw: object) -> TemplateContext:
    base = dict(entities=["user"], inputs=["rsTracks"], macros={"macro_datediff": DATEDIFF})
    base.update(kw)
    return TemplateContext(**base)  # type: ignore[arg-type]


def test_entity_vars_both_spellings() -> None:
    refs = find_references('{{ user.Var("a") }} {{ user.b }}', scope())
    assert refs.vars == {("user", "a"), ("user", "b")}
    assert not refs.uses_end_time


def test_input_vars_and_input_alias() -> None:
    refs = find_references('{{ rsTracks.Var("iv") }} {{ rsTracks }}.col', scope())
    assert refs.input_vars == {("rsTracks", "iv")}
    assert refs.inputs == {"rsTracks"}
    assert refs.vars == set()


def test_derefs_in_with_multi_assign() -> None:
    text = (
        '{% with a = this.DeRef("inputs/x") b = this.DeRef("models/y") %}{{a}} {{b}}{% endwith %}'
    )
    assert find_references(text, scope()).derefs == {"inputs/x", "models/y"}


def test_deref_inside_exec() -> None:
    text = "{% exec %}{{ '{{ this.DeRef(\"models/z\") }}' }}{% endexec %}"
    assert find_references(text, scope()).derefs == {"models/z"}


def test_macro_followed_into_its_body_and_nested_argument() -> None:
    refs = find_references("{{ macro_datediff('{{ user.Var(\"first_seen\") }}') }}", scope())
    assert refs.macros == {"macro_datediff"}
    assert refs.vars == {("user", "first_seen")}
    assert refs.uses_end_time


def test_macro_calling_macro() -> None:
    outer = Macro("outer", ["c"], "max({{ macro_datediff(c) }})")
    ctx = scope(macros={"macro_datediff": DATEDIFF, "outer": outer})
    refs = find_references("{{ outer(user.last_seen) }}", ctx)
    assert refs.macros == {"outer", "macro_datediff"}
    assert refs.vars == {("user", "last_seen")}


@pytest.mark.parametrize(
    "text",
    [
        '{{ end_time.Format("2006-01-02") }}',
        "{% if !(end_time|isnil) %}x{% endif %}",
        "{{ end_time_sql }}",
    ],
)
def test_end_time_uses(text: str) -> None:
    ctx = scope(end_time=datetime(2024, 1, 1))
    assert find_references(text, ctx).uses_end_time


def test_unknown_names_are_recorded_not_raised() -> None:
    refs = find_references(
        '{{ nobody.Var("x") }} {{ nobody.y }} {{ loose }} {{ no_macro(col, "{{ user.z }}") }}'
    )
    assert refs.vars == {("nobody", "x"), ("nobody", "y"), (None, "loose"), ("user", "z")}
    assert refs.macros == {"no_macro"}


def test_unknown_var_of_a_known_entity_is_recorded() -> None:
    assert find_references("{{ user.Var('not_defined_anywhere') }}", scope()).vars == {
        ("user", "not_defined_anywhere")
    }


def test_only_the_branch_render_would_take_is_seen() -> None:
    text = '{% if warehouse.DatabaseType() == "snowflake" %}{{ user.a }}{% else %}{{ user.b }}{% endif %}'
    assert find_references(text, scope(warehouse_type="snowflake")).vars == {("user", "a")}
    assert find_references(text, scope(warehouse_type="duckdb")).vars == {("user", "b")}


def test_syntax_error_still_raises_with_location() -> None:
    with pytest.raises(TemplateError, match=r"^models/p.yaml:3, template line 2: syntax error"):
        find_references("a\n{% if %}", where="models/p.yaml:3")
