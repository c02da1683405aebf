"""The landing zone matches the team brief's contract: layout, columns, types, values."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from profiles_pipeline.sample_data import generate, read_manifest

COMMON = [
    ("message_id", "VARCHAR"),
    ("anonymous_id", "VARCHAR"),
    ("user_id", "VARCHAR"),
    ("timestamp", "TIMESTAMP"),
    ("received_at", "TIMESTAMP"),
    ("context_session_id", "BIGINT"),
    ("context_ip", "VARCHAR"),
    ("context_user_agent", "VARCHAR"),
    ("context_campaign_name", "VARCHAR"),
    ("context_campaign_source", "VARCHAR"),
    ("context_campaign_medium", "VARCHAR"),
    ("context_traits_email", "VARCHAR"),
    ("context_device_type", "VARCHAR"),
]
EXPECTED = {
    "identifies": COMMON
    + [
        (c, "VARCHAR")
        for c in ("email", "first_name", "last_name", "state", "address_country", "currency")
    ],
    "tracks": COMMON + [("event", "VARCHAR"), ("event_text", "VARCHAR")],
    "pages": COMMON + [(c, "VARCHAR") for c in ("name", "path", "url", "referrer", "title")],
    "order_completed": COMMON
    + [
        ("order_id", "VARCHAR"),
        ("revenue", "DOUBLE"),
        ("currency", "VARCHAR"),
        ("products_count", "INTEGER"),
        ("event", "VARCHAR"),
    ],
}
START = date(2026, 3, 30)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("contract") / "landing"
    generate(out, users=300, days=3, seed=7, start_date=START)
    return out


def _glob(landing: Path, table: str) -> str:
    return str(landing / table / "*" / "*.parquet")


def test_layout_is_one_file_per_table_and_day(landing: Path) -> None:
    for table in EXPECTED:
        files = sorted(
            p.relative_to(landing).as_posix() for p in (landing / table).rglob("*") if p.is_file()
        )
        assert files == [f"{table}/dt={START + timedelta(days=i)}/part-0.parquet" for i in range(3)]
    assert (landing / "_ground_truth" / "ground_truth.parquet").is_file()
    assert sorted(p.name for p in landing.iterdir()) == sorted(
        [*EXPECTED, "_ground_truth", "_manifest.json"]
    )


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_columns_and_types_match_the_brief(landing: Path, table: str) -> None:
    rel = f"read_parquet('{_glob(landing, table)}', hive_partitioning = false)"
    described = duckdb.execute(f"describe select * from {rel}").fetchall()
    assert [(r[0], r[1]) for r in described] == EXPECTED[table]


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_rows_keep_the_contract(landing: Path, table: str) -> None:
    rel = f"read_parquet('{_glob(landing, table)}', hive_partitioning = true)"
    n, distinct_ids, outside_day, bad_device, null_session, late = duckdb.execute(f"""
        select count(*), count(distinct message_id),
               count(*) filter (where cast("timestamp" as date) <> cast(dt as date)),
               count(*) filter (where context_device_type not in ('mobile', 'desktop', 'tablet')
                                or context_device_type is null),
               count(*) filter (where context_session_id is null),
               count(*) filter (where received_at < "timestamp")
        from {rel}""").fetchone()
    assert n > 0
    assert distinct_ids == n
    assert (outside_day, bad_device, null_session, late) == (0, 0, 0, 0)


def test_tracks_events_and_funnel(landing: Path) -> None:
    events = dict(
        duckdb.execute(
            f"select event, count(*) from read_parquet('{_glob(landing, 'tracks')}') group by 1"
        ).fetchall()
    )
    assert {"product_viewed", "added_to_cart", "order_completed", "logged_in"} <= set(events)
    assert set(events) <= {
        "product_viewed",
        "added_to_cart",
        "order_completed",
        "signed_up",
        "logged_in",
    }
    assert events["product_viewed"] > events["added_to_cart"] > events["order_completed"]
    # every order_completed table row is the same message as a tracks row, sent no earlier than
    # an added_to_cart in its session
    orphan = duckdb.execute(f"""
        select count(*) from read_parquet('{_glob(landing, "order_completed")}') o
        where not exists (select 1 from read_parquet('{_glob(landing, "tracks")}') t
                          where t.message_id = o.message_id and t.event = 'order_completed')
           or not exists (select 1 from read_parquet('{_glob(landing, "tracks")}') c
                          where c.context_session_id = o.context_session_id and c.event = 'added_to_cart'
                            and c."timestamp" <= o."timestamp")""").fetchone()[0]
    assert orphan == 0


def test_orders_and_identifies_carry_values(landing: Path) -> None:
    bad_orders = duckdb.execute(f"""
        select count(*) from read_parquet('{_glob(landing, "order_completed")}')
        where revenue <= 0 or products_count < 1 or currency is null or order_id is null
           or event <> 'order_completed'""").fetchone()[0]
    assert bad_orders == 0
    named, countries = duckdb.execute(f"""
        select count(*) filter (where first_name is not null and last_name is not null),
               count(distinct address_country)
        from read_parquet('{_glob(landing, "identifies")}')""").fetchone()
    assert named > 0 and countries > 1


def test_ground_truth_and_manifest(landing: Path) -> None:
    gt = landing / "_ground_truth" / "ground_truth.parquet"
    described = duckdb.execute(f"describe select * from read_parquet('{gt}')").fetchall()
    assert [(r[0], r[1]) for r in described] == [
        ("id_value", "VARCHAR"),
        ("id_type", "VARCHAR"),
        ("person_id", "VARCHAR"),
    ]
    types = {
        r[0]
        for r in duckdb.execute(f"select distinct id_type from read_parquet('{gt}')").fetchall()
    }
    assert types == {"anonymous_id", "user_id", "email"}
    raw = json.loads((landing / "_manifest.json").read_text())
    assert raw["seed"] == 7 and raw["users"] == 300 and raw["start_date"] == "2026-03-30"
    assert raw["generator_version"] and raw["days"] == ["2026-03-30", "2026-03-31", "2026-04-01"]
    m = read_manifest(landing)
    assert (m.seed, m.users, m.start_date, m.last_day) == (7, 300, START, date(2026, 4, 1))


def test_campaigns_sessions_and_pages_look_real(landing: Path) -> None:
    sessions, campaigns, paths, referred = duckdb.execute(f"""
        select count(distinct context_session_id), count(distinct context_campaign_name),
               count(distinct path), count(*) filter (where referrer like 'https://shop.example.com/%')
        from read_parquet('{_glob(landing, "pages")}')""").fetchone()
    assert sessions > 20 and campaigns > 3 and paths > 10 and referred > 0
    first = duckdb.execute(
        f"select min(\"timestamp\") from read_parquet('{_glob(landing, 'pages')}')"
    ).fetchone()[0]
    assert first >= datetime(2026, 3, 30)
