"""The pongo2 → Jinja2 rewrite: each idiom, and what it must leave alone."""

import pytest

from profiles_pipeline.templating.pongo import PongoSyntaxError, to_jinja


@pytest.mark.parametrize(
    ("pongo", "jinja"),
    [
        ("{% if !(end_time|isnil) %}", "{% if  not (end_time|isnil) %}"),
        ("{% if a && b || c %}", "{% if a  and  b  or  c %}"),
        ("{% if a != b %}", "{% if a != b %}"),
        ("{% if a <> b %}", "{% if a != b %}"),
        ('{{ x|default:"y" }}', '{{ x|default("y") }}'),
        ("{{ x|default:user.y|upper }}", "{{ x|default(user.y)|upper }}"),
        ("{{ x|default:3 }}", "{{ x|default(3) }}"),
        (
            '{% with a = this.DeRef("inputs/x") b = this.DeRef("models/y") %}',
            '{% with a = this.DeRef("inputs/x"), b = this.DeRef("models/y") %}',
        ),
        ("{% with a=f(x=1, y=2) b=2 %}", "{% with a=f(x=1, y=2), b=2 %}"),
        ("{% with a = 1, b = 2 %}", "{% with a = 1, b = 2 %}"),
        ("{%- with x as y -%}", "{%- with y = x -%}"),
        ("{% endwith %}", "{% endwith %}"),
        (
            "{{ forloop.Counter }}{% if !forloop.Last %},{% endif %}",
            "{{ loop.index }}{% if  not loop.last %},{% endif %}",
        ),
    ],
)
def test_idiom_is_rewritten(pongo: str, jinja: str) -> None:
    assert to_jinja(pongo) == jinja


@pytest.mark.parametrize(
    "text",
    [
        "select a || b, not_x from t where c != '!' and d = '&&'",
        "{{ m('{{ user.Var(\"x\") }} || !y') }}",
        '{{ "a:b|c" }}',
        "{# {% if !x %} #}",
        "{{ d['k'] }} {{ s[1:2] }}",
    ],
)
def test_text_outside_tags_and_inside_strings_is_untouched(text: str) -> None:
    assert to_jinja(text) == text


def test_lines_are_kept_so_errors_point_at_the_users_line() -> None:
    text = "a\n{% with x = 1\n y = 2 %}\n{{ x\n && y }}\n"
    assert to_jinja(text).count("\n") == text.count("\n")


@pytest.mark.parametrize(
    ("text", "line"),
    [("a\nb {{ x ", 2), ("{% if x %}\n\n{# never", 3), ("{{ 'open }}", 1)],
)
def test_unterminated_tag_names_its_line(text: str, line: int) -> None:
    with pytest.raises(PongoSyntaxError) as err:
        to_jinja(text)
    assert err.value.line == line
