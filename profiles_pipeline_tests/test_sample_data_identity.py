"""The identity hazards are in the data, and the ground truth tells the truth about them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from profiles_pipeline.sample_data import JUNK_VALUES, SPECIAL_PERSONS, TABLES, generate


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """Views over a 2000-person, 10-day landing zone (households and email changes need days): one per table, `ids` (every identifier
    in every row, with the row's message) and `gt` (the ground truth)."""
    out: Path = tmp_path_factory.mktemp("identity") / "landing"
    generate(out, users=2000, days=10, seed=42)
    c = duckdb.connect(str(out.parent / "check.duckdb"))
    for t in TABLES:
        c.execute(
            f"create view {t} as select * from read_parquet('{out}/{t}/*/*.parquet', hive_partitioning = false)"
        )
    c.execute(
        f"create view gt as select * from read_parquet('{out}/_ground_truth/ground_truth.parquet')"
    )
    parts = []
    for t in TABLES:
        parts += [
            f"select '{t}' as tbl, message_id, anonymous_id as v, 'anonymous_id' as id_type from {t}",
            f"select '{t}', message_id, user_id, 'user_id' from {t} where user_id is not null",
            f"select '{t}', message_id, context_traits_email, 'email' from {t} where context_traits_email is not null",
        ]
    parts.append(
        "select 'identifies', message_id, email, 'email' from identifies where email is not null"
    )
    c.execute("create view ids as " + " union all ".join(parts))
    return c


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def test_ground_truth_covers_every_identifier(con) -> None:
    missing = _one(
        con,
        "select count(*) from ids anti join gt on ids.v = gt.id_value and ids.id_type = gt.id_type",
    )
    assert missing == 0
    normalized = _one(
        con,
        """select count(*) from (select lower(trim(v)) v from ids where id_type = 'email') e
                              anti join gt on e.v = gt.id_value and gt.id_type = 'email'""",
    )
    assert normalized == 0


def test_ground_truth_has_one_owner_per_identifier_and_nothing_extra(con) -> None:
    assert _one(con, "select count(*) - count(distinct (id_value, id_type)) from gt") == 0
    extra = _one(
        con,
        """select count(*) from gt anti join
                         (select v, id_type from ids union select lower(trim(v)), id_type from ids where id_type = 'email') i
                         on gt.id_value = i.v and gt.id_type = i.id_type""",
    )
    assert extra == 0


def test_ground_truth_agrees_with_the_rows(con) -> None:
    """Where one row carries two identifiers of real people, they are the same person."""
    pairs = con.execute("""
        with owned as (select i.tbl, i.message_id, i.id_type, g.person_id from ids i
                       join gt g on g.id_value = i.v and g.id_type = i.id_type
                       where g.person_id not like '\\_\\_%' escape '\\')
        select count(*), count(*) filter (where a.person_id <> b.person_id)
        from owned a join owned b on a.tbl = b.tbl and a.message_id = b.message_id and a.id_type < b.id_type
    """).fetchone()
    assert pairs[0] > 500
    assert pairs[1] == 0


def test_special_people_are_named(con) -> None:
    specials = {
        r[0]
        for r in con.execute(
            "select distinct person_id from gt where person_id like '\\_\\_%' escape '\\'"
        ).fetchall()
    }
    assert specials == set(SPECIAL_PERSONS)
    real = _one(
        con,
        "select count(*) from gt where not regexp_full_match(person_id, 'p[0-9]{7}|__[a-z]+__')",
    )
    assert real == 0


@pytest.mark.parametrize("id_type", ["anonymous_id", "user_id", "email"])
def test_junk_values_appear_in_each_identifier_column(con, id_type: str) -> None:
    values = {
        r[0]
        for r in con.execute(
            "select distinct v from ids where id_type = ? and v in (select unnest(?))",
            [id_type, list(JUNK_VALUES)],
        ).fetchall()
    }
    assert len(values) >= 2
    owners = {
        r[0]
        for r in con.execute(
            "select distinct person_id from gt where id_type = ? and id_value in (select unnest(?))",
            [id_type, list(JUNK_VALUES)],
        ).fetchall()
    }
    assert owners == {"__junk__"}


def test_every_junk_value_appears_somewhere(con) -> None:
    seen = {
        r[0]
        for r in con.execute(
            "select distinct v from ids where v in (select unnest(?))", [list(JUNK_VALUES)]
        ).fetchall()
    }
    assert seen == set(JUNK_VALUES)


def _people_behind(con, id_type: str, person_id: str) -> int:
    """Distinct real people whose user_id shares a row with an identifier owned by `person_id`."""
    return _one(
        con,
        f"""
        select count(distinct gu.person_id) from ids h
        join gt gh on gh.id_value = h.v and gh.id_type = h.id_type and gh.person_id = '{person_id}'
        join ids u on u.tbl = h.tbl and u.message_id = h.message_id and u.id_type = 'user_id'
        join gt gu on gu.id_value = u.v and gu.id_type = 'user_id' and gu.person_id like 'p%'
        where h.id_type = '{id_type}'""",
    )


def test_kiosk_is_a_hub_of_many_people(con) -> None:
    assert (
        _one(
            con,
            "select count(*) from gt where person_id = '__kiosk__' and id_type = 'anonymous_id'",
        )
        >= 1
    )
    assert _people_behind(con, "anonymous_id", "__kiosk__") >= 5


def test_support_email_is_shared_by_accounts(con) -> None:
    assert (
        _one(
            con,
            "select count(*) from gt where id_value = 'support@shop.example.com' and person_id = '__support__'",
        )
        == 1
    )
    assert _people_behind(con, "email", "__support__") >= 2


def test_households_share_a_device_between_two_accounts(con) -> None:
    """The over-stitching hazard: one anonymous_id seen logged in as two different people."""
    shared = _one(
        con,
        """
        select count(*) from (
          select a.v from ids a
          join gt ga on ga.id_value = a.v and ga.id_type = 'anonymous_id' and ga.person_id = '__household__'
          join ids u on u.tbl = a.tbl and u.message_id = a.message_id and u.id_type = 'user_id'
          join gt gu on gu.id_value = u.v and gu.id_type = 'user_id' and gu.person_id like 'p%'
          where a.id_type = 'anonymous_id'
          group by a.v having count(distinct gu.person_id) >= 2)""",
    )
    assert shared >= 1


def test_email_changes_and_messy_emails(con) -> None:
    changed = _one(
        con,
        """select count(*) from (select person_id from gt where id_type = 'email' and person_id like 'p%'
                           group by 1 having count(distinct lower(trim(id_value))) >= 2)""",
    )
    assert changed >= 1
    messy = _one(
        con,
        """select count(*) from gt where id_type = 'email' and person_id like 'p%'
                         and id_value <> lower(trim(id_value))""",
    )
    assert messy >= 5


def test_people_have_several_devices_and_some_never_log_in(con) -> None:
    multi = _one(
        con,
        """select count(*) from (select person_id from gt where id_type = 'anonymous_id'
                         and person_id like 'p%' group by 1 having count(*) >= 2)""",
    )
    assert multi >= 10
    anonymous_only = _one(
        con,
        """select count(distinct person_id) from gt g where person_id like 'p%'
                                  and not exists (select 1 from gt k where k.person_id = g.person_id and k.id_type <> 'anonymous_id')""",
    )
    assert anonymous_only >= 50
    devices = {
        r[0] for r in con.execute("select distinct context_device_type from pages").fetchall()
    }
    assert devices == {"mobile", "desktop", "tablet"}
