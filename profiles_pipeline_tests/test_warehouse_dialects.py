"""Snowflake snippets transpiled to DuckDB and *executed*: the result must equal what a
hand-written DuckDB query (with Snowflake's semantics) returns on the same rows."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from profiles_pipeline.errors import SqlSnippetError
from profiles_pipeline.warehouse.dialects import transpile_snippet

ROWS = """
    ('g1', 1, 'b',  TIMESTAMP '2024-01-01 10:00:00', '05/03/2024', true,  NULL),
    ('g1', 2, 'a',  TIMESTAMP '2024-01-03 23:00:00', '06/03/2024', false, 1),
    ('g1', 2, NULL, TIMESTAMP '2024-01-04 01:00:00', '06/03/2024', NULL,  2),
    ('g2', 3, 'c',  TIMESTAMP '2024-02-01 00:00:00', '07/03/2024', false, NULL)
"""


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM (VALUES {ROWS}) v(g, x, s, ts, ds, flag, n)")
    yield con
    con.close()


def sf(con, snippet: str, tail: str = "FROM t"):
    """Rows of `SELECT <snippet> <tail>` written in Snowflake SQL, run on DuckDB."""
    sql = transpile_snippet(
        f"SELECT {snippet} {tail}", "snowflake", "duckdb", owner="test", file=None, line=None
    )
    return con.execute(sql).fetchall()


# (snowflake snippet, DuckDB reference with Snowflake's semantics, query tail)
PAIRS = [
    ("datediff(day, MIN(ts), MAX(ts))", "date_diff('day', MIN(ts), MAX(ts))", "FROM t"),
    (
        "datediff('hour', ts, '2024-01-04 00:00:00'::timestamp)",
        "date_diff('hour', ts, TIMESTAMP '2024-01-04')",
        "FROM t ORDER BY ts",
    ),
    ("array_agg(x) within group (order by x desc)", "list(x ORDER BY x DESC)", "FROM t"),
    ("array_agg(n)", "list(n) FILTER (WHERE n IS NOT NULL)", "FROM t"),
    (
        "g, first_value(s) over (partition by g order by ts)",
        "g, first(s ORDER BY ts) OVER (PARTITION BY g)",
        "FROM t ORDER BY ts",
    ),
    (
        "iff(x > 1, 'big', 'small')",
        "CASE WHEN x > 1 THEN 'big' ELSE 'small' END",
        "FROM t ORDER BY ts",
    ),
    (
        "g, boolor_agg(flag), booland_agg(flag)",
        "g, bool_or(flag), bool_and(flag)",
        "FROM t GROUP BY g ORDER BY g",
    ),
    ("date(ts)", "CAST(ts AS DATE)", "FROM t ORDER BY ts"),
    ("ts::date", "CAST(ts AS DATE)", "FROM t ORDER BY ts"),
    ("to_date(ds, 'DD/MM/YYYY')", "CAST(strptime(ds, '%d/%m/%Y') AS DATE)", "FROM t ORDER BY ts"),
    ("to_date('2024-03-05')", "DATE '2024-03-05'", ""),
    ("dateadd(day, 3, ts)", "ts + INTERVAL 3 DAY", "FROM t ORDER BY ts"),
    ("dateadd(day, -1, ts::date)", "CAST(ts AS DATE) - 1", "FROM t ORDER BY ts"),
    ("dateadd(month, 1, '2024-01-31'::date)", "DATE '2024-02-29'", ""),
    (
        "g, listagg(s, ',') within group (order by s)",
        "g, string_agg(s, ',' ORDER BY s)",
        "FROM t GROUP BY g ORDER BY g",
    ),
    ("nvl(n, 0)", "coalesce(n, 0)", "FROM t ORDER BY ts"),
    ("count_if(x > 1)", "count(*) FILTER (WHERE x > 1)", "FROM t"),
    ("g, any_value(g)", "g, g", "FROM t GROUP BY g ORDER BY g"),
    ("mode(x)", "max(2)", "FROM t"),
    ("to_char(ts, 'YYYY-MM-DD HH24:MI')", "strftime(ts, '%Y-%m-%d %H:%M')", "FROM t ORDER BY ts"),
    ("zeroifnull(n)", "coalesce(n, 0)", "FROM t ORDER BY ts"),
]


@pytest.mark.parametrize("snippet,reference,tail", PAIRS, ids=[p[0] for p in PAIRS])
def test_snowflake_snippet_means_the_same_on_duckdb(con, snippet, reference, tail):
    expected = con.execute(f"SELECT {reference} {tail}").fetchall()
    assert sf(con, snippet, tail) == expected
    assert expected, "the reference query returned no rows"


def test_getdate_is_now(con):
    (now,) = sf(con, "GETDATE()", "")[0]
    assert isinstance(now, datetime)
    assert abs((now.replace(tzinfo=None) - datetime.utcnow()).total_seconds()) < 60


def test_fixups_keep_snowflake_types(con):
    """sqlglot alone turns DATEADD(day, n, <date>) into a TIMESTAMP and refuses TO_CHAR formats."""
    assert sf(con, "dateadd(day, 2, '2024-01-30'::date)", "") == [(date(2024, 2, 1),)]
    assert sf(con, "dateadd(hour, 2, '2024-01-30'::date)", "") == [(datetime(2024, 1, 30, 2),)]
    assert sf(con, "to_varchar(ts, 'DD.MM.YYYY')", "FROM t ORDER BY ts LIMIT 1") == [
        ("01.01.2024",)
    ]


def test_parse_error_names_owner_and_location():
    with pytest.raises(SqlSnippetError) as info:
        transpile_snippet(
            "count(distinct",
            "snowflake",
            "duckdb",
            owner="entity_var days_active",
            file="models/profiles.yaml",
            line=12,
        )
    message = str(info.value)
    assert message.startswith("models/profiles.yaml:12 (entity_var days_active)")
    assert "count(distinct" in message and info.value.exit_code == 2


def test_unsupported_construct_is_a_snippet_error():
    with pytest.raises(SqlSnippetError, match=r"f.yaml:3 \(var x\).*no duckdb equivalent"):
        transpile_snippet(
            "to_char(ts, fmt_column)", "snowflake", "duckdb", owner="var x", file="f.yaml", line=3
        )


def test_statements_and_same_dialect():
    out = transpile_snippet(
        "select iff(a, 1, 2) from x; select nvl(b, 0) from y",
        "snowflake",
        "duckdb",
        owner="m",
        file=None,
        line=None,
    )
    assert out == "SELECT CASE WHEN a THEN 1 ELSE 2 END FROM x;\nSELECT COALESCE(b, 0) FROM y"
    assert (
        transpile_snippet("a + 1", "duckdb", "duckdb", owner="m", file=None, line=None) == "a + 1"
    )
    with pytest.raises(SqlSnippetError, match="empty SQL snippet"):
        transpile_snippet("  ", "snowflake", "duckdb", owner="m", file=None, line=None)


@pytest.fixture(scope="module")
def orders():
    """Orders as a Snowflake export leaves them: a JSON array of items, text and epoch times."""
    con = duckdb.connect()
    con.execute("CREATE TABLE o AS SELECT * FROM (VALUES "
                "('o1', '[{\"sku\": \"A\", \"qty\": 2}, {\"sku\": \"B\", \"qty\": 1}]', '2026-01-02 10:00:00', 1767348000),"
                "('o2', '[]', '2026-01-03', 1767400000)) v(id, items, created, epoch)")
    yield con
    con.close()


# The public pb projects' Snowflake constructs, and what they mean in Snowflake (by the values
# Snowflake's documentation gives for them).
SNOWFLAKE_CONSTRUCTS = [
    ("id, to_timestamp(created)", "FROM o ORDER BY id",
     [("o1", datetime(2026, 1, 2, 10)), ("o2", datetime(2026, 1, 3))]),
    ("id, to_timestamp(epoch)", "FROM o ORDER BY id",
     [("o1", datetime(2026, 1, 2, 10)), ("o2", datetime(2026, 1, 3, 0, 26, 40))]),
    ("id, to_timestamp_ntz(created)", "FROM o ORDER BY id",
     [("o1", datetime(2026, 1, 2, 10)), ("o2", datetime(2026, 1, 3))]),
    ("id, array_size(parse_json(items))", "FROM o ORDER BY id", [("o1", 2), ("o2", 0)]),
    ("o.id, f.value['sku']", "FROM o, table(flatten(parse_json(o.items))) f ORDER BY 1, 2",
     [("o1", "A"), ("o1", "B")]),
    ("o.id, f.value:sku::string, f.value:qty::int", "FROM o, lateral flatten(input => parse_json(o.items)) f "
     "ORDER BY 1, 2", [("o1", "A", 2), ("o1", "B", 1)]),
    ("o.id, count(*)", "FROM o, table(flatten(parse_json(o.items))) f WHERE f.value['sku'] = 'A' GROUP BY 1",
     [("o1", 1)]),
]


@pytest.mark.parametrize("snippet,tail,expected", SNOWFLAKE_CONSTRUCTS, ids=[c[0] + " " + c[1][:30] for c in SNOWFLAKE_CONSTRUCTS])
def test_snowflake_json_and_time_constructs_run_on_duckdb(orders, snippet, tail, expected):
    """sqlglot alone renders TO_TIMESTAMP_TZ as is (no such DuckDB function), ARRAY_LENGTH of JSON,
    `TABLE(UNNEST(JSON(...)))` and keys of a JSON value with their quotes."""
    assert sf(orders, snippet, tail) == expected


def test_to_timestamp_tz_is_a_zoned_timestamp(orders):
    [(value,)] = sf(orders, "to_timestamp_tz(created)", "FROM o WHERE id = 'o1'")
    assert value.tzinfo is not None and value.replace(tzinfo=None) == datetime(2026, 1, 2, 10)
