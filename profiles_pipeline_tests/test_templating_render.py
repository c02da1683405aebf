"""`render`: every pb idiom, macros, exec and errors that name where they happened."""

from datetime import datetime

import pytest

from profiles_pipeline.errors import UserError
from profiles_pipeline.templating import Macro, TemplateContext, TemplateError, render

END = datetime(2024, 1, 31, 6, 5, 4)


def make_ctx(end_time: datetime | None = END, **macros: Macro) -> TemplateContext:
    def var(entity: str, name: str) -> str:
        if name == "missing":
            raise LookupError(f"entity {entity} has no var {name}")
        return f"{entity}_vars.{name}"

    return TemplateContext(
        end_time=end_time,
        warehouse_type="snowflake",
        entities=["user"],
        inputs=["rsTracks", "tbl_c"],
        macros=dict(macros),
        var_resolver=var,
        input_var_resolver=lambda i, v: f"{i}_input_vars.{v}",
        input_resolver=lambda i: f"{i}_alias",
        deref=lambda path: "main." + path.replace("/", "__"),
    )


def test_entity_var_by_method_and_by_attribute() -> None:
    assert render('{{user.Var("x")}} + {{ user.y }}', make_ctx()) == "user_vars.x + user_vars.y"


def test_input_var_and_input_alias() -> None:
    ctx = make_ctx()
    assert render('{{rsTracks.Var("iv")}}', ctx) == "rsTracks_input_vars.iv"
    assert render("{{tbl_c}}.num_b", ctx) == "tbl_c_alias.num_b"


def test_deref_inputs_and_models() -> None:
    text = '{{ this.DeRef("inputs/x") }} join {{ this.DeRef("models/y") }}'
    assert render(text, make_ctx()) == "main.inputs__x join main.models__y"


def test_warehouse_database_type_is_lower_case() -> None:
    text = '{% if warehouse.DatabaseType() == "snowflake" %}sf{% else %}other{% endif %}'
    assert render(text, make_ctx()) == "sf"
    ctx = make_ctx()
    ctx.warehouse_type = "duckdb"
    assert render(text, ctx) == "other"


def test_end_time_format_and_sql_literal() -> None:
    ctx = make_ctx()
    assert render('{{ end_time.Format("2006-01-02 15:04:05") }}', ctx) == "2024-01-31 06:05:04"
    assert render("{{ end_time_sql }}", ctx) == "'2024-01-31 06:05:04'::timestamp"
    # pb's early schemas called it `timestamp`; bare, it stays the column name
    assert render('{{ timestamp.Format("2006-01-02 15:04:05") }}', ctx) == "2024-01-31 06:05:04"
    assert render("max({{ timestamp }})", ctx) == "max(timestamp)"
    assert render("{{ end_time_sql }}", make_ctx(None)) == "current_timestamp()::timestamp"


@pytest.mark.parametrize(("end_time", "expected"), [(None, "nil"), (END, "set")])
def test_isnil_with_negation(end_time: datetime | None, expected: str) -> None:
    text = "{% if !(end_time|isnil) %}set{% else %}nil{% endif %}"
    assert render(text, make_ctx(end_time)) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [(1, 1, "and"), (1, 0, "or"), (0, 0, "none")])
def test_and_or_not_equal(a: int, b: int, expected: str) -> None:
    text = (
        "{% with a = " + str(a) + " b = " + str(b) + " %}"
        "{% if a == 1 && b == 1 %}and{% elif a == 1 || b == 1 %}or"
        "{% elif a != 1 %}none{% endif %}{% endwith %}"
    )
    assert render(text, make_ctx()) == expected


def test_default_filter_with_colon_argument() -> None:
    text = '{% with a = "" b = "set" %}{{ a|default:"fallback" }} {{ b|default:"fallback" }}{% endwith %}'
    assert render(text, make_ctx()) == "fallback set"


def test_with_several_space_separated_assignments() -> None:
    text = (
        '{% with a = this.DeRef("inputs/x") b = this.DeRef("models/y") %}'
        "select * from {{a}} join {{b}} using (id){% endwith %}"
    )
    expected = "select * from main.inputs__x join main.models__y using (id)"
    assert render(text, make_ctx()) == expected


def test_exec_renders_its_output_again_as_a_template() -> None:
    # pongo2's exec tag (rudderlabs fork, tags_exec.go) renders the body, then renders that text.
    text = "{% with src = 'select {{ user.Var(\"x\") }}' %}{% exec %}{{ src }}{% endexec %}{% endwith %}"
    assert render(text, make_ctx()) == "select user_vars.x"


def test_exec_of_read_file_renders_the_file_as_sql(tmp_path) -> None:
    # pb docs (sql_template): `{% exec %} {{this.ReadFile("models/sql_file.sql")}} {% endexec %}`
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "q.sql").write_text('select * from {{ this.DeRef("inputs/x") }}')
    ctx = make_ctx()
    ctx.read_file = lambda path: (tmp_path / path).read_text()
    text = '{% exec %} {{this.ReadFile("models/q.sql")}} {% endexec %}'
    assert render(text, ctx).strip() == "select * from main.inputs__x"


def test_pongo_for_loop_counters() -> None:
    text = "{% for c in ['a', 'b', 'c'] %}{{ c }}{{ forloop.Counter }}{% if !forloop.Last %},{% endif %}{% endfor %}"
    assert render(text, make_ctx()) == "a1,b2,c3"


def test_exec_sees_with_variables_of_the_enclosing_scope() -> None:
    text = "{% with t = 'tbl' %}{% exec %}{{ '{{ t }}' }}{% endexec %}{% endwith %}"
    assert render(text, make_ctx()) == "tbl"


DATEDIFF = Macro(
    "macro_datediff",
    ["column"],
    "{% if !(end_time|isnil) %}datediff(day, date({{column}}), "
    "date('{{end_time.Format(\"2006-01-02 15:04:05\")}}')){% else %}"
    "datediff(day, date({{column}}), GETDATE()){% endif %}",
)


def test_macro_with_a_template_nested_in_its_string_argument() -> None:
    text = "{{macro_datediff('{{user.Var(\"first_seen\")}}')}}"
    expected = "datediff(day, date(user_vars.first_seen), date('2024-01-31 06:05:04'))"
    assert render(text, make_ctx(macro_datediff=DATEDIFF)) == expected
    nil = render(text, make_ctx(None, macro_datediff=DATEDIFF))
    assert nil == "datediff(day, date(user_vars.first_seen), GETDATE())"


def test_macro_with_a_bare_column_name_and_with_an_expression() -> None:
    agg = Macro("array_agg", ["column_name"], "array_agg( distinct {{column_name}})")
    ctx = make_ctx(array_agg=agg)
    assert render("{{ array_agg(anonymous_id) }}", ctx) == "array_agg( distinct anonymous_id)"
    assert render("{{ array_agg(user.email) }}", ctx) == "array_agg( distinct user_vars.email)"


def test_macros_calling_macros_and_a_macro_without_inputs() -> None:
    frame = Macro("frame_clause", [], "rows between unbounded preceding and unbounded following")
    days = Macro("days_since", ["c"], "{{ macro_datediff(c) }}")
    over = Macro(
        "over_all", ["c"], "max({{ days_since(c) }}) over (order by {{ c }} {{ frame_clause }})"
    )
    ctx = make_ctx(macro_datediff=DATEDIFF, frame_clause=frame, days_since=days, over_all=over)
    out = render("{{ over_all(ts) }}", ctx)
    assert out == (
        "max(datediff(day, date(ts), date('2024-01-31 06:05:04'))) over "
        "(order by ts rows between unbounded preceding and unbounded following)"
    )


def test_error_is_a_user_error_naming_where_line_and_problem() -> None:
    where = "var days_since_first_seen in models/profiles.yaml:42"
    with pytest.raises(TemplateError) as err:
        render("select\n  {{ usr.Var('x') }}", make_ctx(), where=where)
    assert isinstance(err.value, UserError)
    message = str(err.value)
    assert message.startswith(f"{where}, template line 2: ")
    assert "'usr' is undefined" in message and "user" in message


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a\nb\n{% if x %}", 3, "syntax error"),
        ("a\n{{ x ", 2, "never closed"),
        ("{{ user.Var('missing') }}", 1, "has no var missing"),
        ("\n{{ macro_datediff() }}", 2, "needs input(s) column"),
        ("\n\n{{ end_time.Format('2006') }}", 3, "end_time|isnil"),
    ],
)
def test_errors_name_the_failing_line(text: str, line: int, fragment: str) -> None:
    ctx = make_ctx(None, macro_datediff=DATEDIFF)
    with pytest.raises(TemplateError) as err:
        render(text, ctx, where="here")
    assert err.value.line == line
    assert err.value.where == "here"
    assert fragment in str(err.value)


def test_error_inside_a_macro_names_the_macro_and_its_line() -> None:
    bad = Macro("bad", ["c"], "ok\n{{ c }} {{ nope }}")
    with pytest.raises(TemplateError) as err:
        render("x\n{{ bad(col) }}", make_ctx(bad=bad), where="here")
    assert err.value.line == 2
    assert "in macro bad (line 2)" in str(err.value)


def test_macro_cycle_is_reported() -> None:
    a = Macro("a", [], "{{ b }}")
    b = Macro("b", [], "{{ a }}")
    with pytest.raises(TemplateError, match="macro cycle: a -> b -> a"):
        render("{{ a }}", make_ctx(a=a, b=b))
