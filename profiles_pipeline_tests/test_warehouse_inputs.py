"""An input's rows: warehouse table, landing-zone folder, csv/parquet path; clear errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter
from profiles_pipeline.warehouse.inputs import (
    InputNotFoundError,
    InputSource,
    input_relation,
    landing_zone_days,
)
from profiles_pipeline.warehouse.testing import open_test_adapter

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output")
CSV = Path(__file__).parent / "fixtures" / "warehouse" / "inputs" / "accounts.csv"
DAYS = {"2024-03-01": 3, "2024-03-02": 2, "2024-03-04": 4}


@pytest.fixture
def adapter(tmp_path):
    with DuckDBAdapter(tmp_path / "wh.duckdb") as a:
        yield a


@pytest.fixture
def landing(tmp_path, adapter):
    """<landing>/tracks/dt=YYYY-MM-DD/part-0.parquet; the last day has an extra column."""
    root = tmp_path / "landing"
    for day, n in DAYS.items():
        folder = root / "tracks" / f"dt={day}"
        folder.mkdir(parents=True)
        extra = ", 'x' AS event_text" if day == "2024-03-04" else ""
        adapter.execute(
            f"COPY (SELECT 'm-{day}-' || i AS message_id, TIMESTAMP '{day} 12:00:00' AS timestamp{extra} "
            f"FROM range({n}) t(i)) TO '{folder / 'part-0.parquet'}' (FORMAT parquet)"
        )
    (root / "tracks" / "dt=2024-03-05").mkdir()  # empty day: not listed
    (root / "tracks" / "_tmp").mkdir()
    return root


def count(adapter, relation: str) -> int:
    return adapter.fetch_one(f"SELECT COUNT(*) FROM {relation}")


def test_warehouse_table_wins(adapter, landing):
    adapter.execute("CREATE TABLE tracks AS SELECT 1 AS id")
    source = InputSource("rsTracks", table="X.Y.tracks", landing_zone=landing)
    assert input_relation(adapter, source) == "tracks"  # full name absent, last part found
    source = InputSource("rsTracks", table="main.tracks", landing_zone=landing)
    assert input_relation(adapter, source) == "main.tracks"


def test_view_input(adapter):
    adapter.create_view("v_accounts", "SELECT 1 AS id")
    assert input_relation(adapter, InputSource("acc", view="v_accounts")) == "v_accounts"


def test_landing_zone_folder(adapter, landing):
    source = InputSource("rsTracks", table="PROD.RUDDER.TRACKS", landing_zone=landing)
    relation = input_relation(adapter, source)
    assert count(adapter, relation) == sum(DAYS.values())
    cols = adapter.fetch_with_columns(f"SELECT * FROM {relation} LIMIT 0")[0]
    assert {"message_id", "timestamp", "event_text", "dt"} <= set(cols)  # union_by_name, hive dt
    assert adapter.fetch(f"SELECT DISTINCT CAST(dt AS VARCHAR) FROM {relation} ORDER BY 1") == [
        (d,) for d in DAYS
    ]


def test_landing_zone_days_and_the_files_of_some_days(adapter, landing):
    """A relation for some days lists only the files whose event times (from their footers) may
    fall on those days: a day's run reads only that day's files."""
    assert landing_zone_days(landing, "X.Y.Tracks") == [date.fromisoformat(d) for d in DAYS]
    assert landing_zone_days(landing, "pages") == []
    source = InputSource("rsTracks", table="tracks", landing_zone=landing, occurred_at_col="timestamp")
    for day, n in DAYS.items():
        one = date.fromisoformat(day)
        relation = input_relation(adapter, source, days=(one, one))
        assert count(adapter, relation) == n
        assert f"dt={day}" in relation and all(f"dt={d}" not in relation for d in DAYS if d != day)
        assert adapter.fetch(f"SELECT DISTINCT CAST(timestamp AS DATE) FROM {relation}") == [(one,)]
    empty_day = input_relation(adapter, source, days=(date(2024, 3, 3), date(2024, 3, 3)))
    assert count(adapter, empty_day) == 0
    assert "message_id" in adapter.fetch_with_columns(f"SELECT * FROM {empty_day}")[0]


def test_csv_path(adapter):
    source = InputSource("accounts", path=CSV, occurred_at_col="created_at")
    relation = input_relation(adapter, source)
    assert adapter.fetch(f"SELECT account_id FROM {relation} ORDER BY 1") == [
        ("a1",),
        ("a2",),
        ("a3",),
    ]
    # a single file is read whole whatever the days: rows are filtered by the queries over it
    assert input_relation(adapter, source, days=(date(2024, 1, 2), date(2024, 1, 2))) == relation


def test_parquet_file_and_folder_paths(adapter, tmp_path):
    folder = tmp_path / "orders"
    folder.mkdir()
    for i in range(2):
        adapter.execute(
            f"COPY (SELECT {i} AS order_id) TO '{folder / f'p{i}.parquet'}' (FORMAT parquet)"
        )
    assert count(adapter, input_relation(adapter, InputSource("o", path=folder))) == 2
    single = InputSource("o", path=folder / "p1.parquet")
    assert adapter.fetch(f"SELECT order_id FROM {input_relation(adapter, single)}") == [(1,)]
    csv_folder = tmp_path / "csvs"
    csv_folder.mkdir()
    (csv_folder / "a.csv").write_text(CSV.read_text())
    assert count(adapter, input_relation(adapter, InputSource("c", path=csv_folder))) == 3


def test_path_with_quote_in_name(adapter, tmp_path):
    odd = tmp_path / "it's here.csv"
    odd.write_text(CSV.read_text())
    assert count(adapter, input_relation(adapter, InputSource("odd", path=odd))) == 3


def test_missing_input_says_what_was_tried(adapter, tmp_path):
    source = InputSource(
        "rsPages", table="PROD.RUDDER.PAGES", path=tmp_path / "nope.csv", landing_zone=tmp_path
    )
    with pytest.raises(InputNotFoundError) as info:
        input_relation(adapter, source)
    message = str(info.value)
    for expected in (
        "rsPages",
        "PROD.RUDDER.PAGES",
        "table/view PAGES",
        "nope.csv",
        str(tmp_path / "pages"),
    ):
        assert expected in message
    assert "Fix:" in message and info.value.exit_code == 2


def test_unknown_file_type(adapter, tmp_path):
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(InputNotFoundError, match="neither .csv nor .parquet"):
        input_relation(adapter, InputSource("j", path=tmp_path / "data.json"))


def test_snowflake_reads_tables_not_files(tmp_path, monkeypatch, landing):
    with open_test_adapter("snowflake", tmp_path, monkeypatch) as sf:
        sf.execute("CREATE TABLE identifies AS SELECT 1 AS id")
        source = InputSource("ids", table="profiles_db.profiles.identifies")
        assert input_relation(sf, source) == "profiles_db.profiles.identifies"
        with pytest.raises(InputNotFoundError, match="files are read only on DuckDB"):
            input_relation(sf, InputSource("t", table="tracks", landing_zone=landing))


@pytest.mark.parametrize("engine", ["duckdb", "snowflake"])
def test_a_warehouse_table_is_the_relation_whatever_the_days(tmp_path, monkeypatch, engine):
    with open_test_adapter(engine, tmp_path, monkeypatch) as wh:
        wh.execute("CREATE TABLE tracks AS SELECT 1 AS id, TIMESTAMP '2024-03-02 00:00:00' AS timestamp")
        source = InputSource("rsTracks", table="tracks", occurred_at_col="timestamp")
        assert input_relation(wh, source, days=(date(2024, 3, 2), date(2024, 3, 2))) == "tracks"
