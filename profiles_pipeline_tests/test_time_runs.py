"""`profiles run` over what users bring: csv, path, warehouse-table and landing-zone inputs with no
options (as of the latest event, partitions from the data), snapshots as of a past day that equal
a fresh run with that end time, retention, and a second run with nothing new that writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from fixtures.cli.built import cli
from fixtures.timeline import START, events, load_events, write_project

from profiles_pipeline.instants import end_of_day

EVENTS_2024 = [  # (ts, user_id, anonymous_id, email, amount)
    ("2024-01-03 09:00:00", None, "a1", None, 0), ("2024-01-03 09:05:00", "u1", "a1", "one@x.io", 10),
    ("2024-01-05 18:00:00", None, "a2", None, 0), ("2024-01-20 07:30:00", "u2", "a2", "two@x.io", 25),
    ("2024-02-01 12:00:00", "u1", "a3", None, 5), ("2024-02-01 16:45:10", None, "a2", None, 0),
]
LATEST_2024 = "2024-02-01 16:45:10"
KINDS = ("csv", "path", "table", "landing")


def _rows_sql() -> str:
    return " UNION ALL ".join(
        f"SELECT TIMESTAMP '{t}' AS ts, {repr(u) if u else 'NULL'}::VARCHAR AS user_id, '{a}' AS anonymous_id, "
        f"{repr(e) if e else 'NULL'}::VARCHAR AS email, {m} AS amount" for t, u, a, e, m in EVENTS_2024)


def _bring(root: Path, kind: str) -> Path:
    """The timeline project reading its events the way `kind` says."""
    write_project(root, "duckdb")
    models = (root / "models" / "models.yaml").read_text()
    source = {"csv": "csv: data/events.csv", "path": "path: data/events", "table": "table: analytics.web.events",
              "landing": "table: analytics.web.events"}[kind]
    (root / "models" / "models.yaml").write_text(models.replace("table: events", source))
    (root / "data").mkdir(exist_ok=True)
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE ev AS {_rows_sql()}")
        if kind == "csv":
            con.execute(f"COPY ev TO '{root / 'data' / 'events.csv'}' (HEADER)")
        elif kind == "path":
            (root / "data" / "events").mkdir()
            con.execute(f"COPY ev TO '{root / 'data' / 'events' / 'part-0.parquet'}' (FORMAT parquet)")
        elif kind == "landing":
            for day in {t[:10] for t, *_ in EVENTS_2024}:
                folder = root / "data" / "landing" / "events" / f"dt={day}"
                folder.mkdir(parents=True)
                con.execute(f"COPY (SELECT * FROM ev WHERE CAST(ts AS DATE) = DATE '{day}') TO "
                            f"'{folder / 'part-0.parquet'}' (FORMAT parquet)")
    if kind == "table":
        with duckdb.connect(str(root / "data" / "profiles.duckdb")) as con:
            con.execute(f"CREATE TABLE events AS {_rows_sql()}")
    return root


def _text(result) -> str:
    return " ".join((result.stdout + result.stderr).split())


def _query(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "data" / "profiles.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("kind", KINDS)
def test_run_with_no_options_works_on_what_users_bring(kind, tmp_path):
    root = _bring(tmp_path / kind, kind)
    assert cli("validate", "-p", root).exit_code == 0
    compiled = cli("compile", "-p", root, "-o", tmp_path / "sql")
    assert compiled.exit_code == 0 and f"as of {LATEST_2024}" in _text(compiled), _text(compiled)
    result = cli("run", "-p", root)
    assert result.exit_code == 0, _text(result)
    text = _text(result)
    assert f"as of {LATEST_2024} (latest event)" in text and "2024-01-03 → 2024-02-01" in text
    assert _query(root, "SELECT DISTINCT valid_at FROM user_feature_view") == [(datetime.fromisoformat(LATEST_2024),)]
    assert (root / "data" / "partitions.json").read_text().count("2024-01-03") == 1  # first partition: the data's
    again = cli("run", "-p", root)
    assert again.exit_code == 0 and "Nothing to do" in _text(again)


def test_partitions_start_written_as_a_yaml_date(tmp_path):
    root = _bring(tmp_path / "p", "csv")
    (root / "pb_project.yaml").write_text((root / "pb_project.yaml").read_text() + "partitions_start: 2024-01-01\n")
    result = cli("run", "-p", root)
    assert result.exit_code == 0, _text(result)
    assert "2024-01-01 → 2024-02-01" in _text(result)


def _timeline(root: Path, extra: str = "") -> Path:
    write_project(root, "duckdb", extra)
    (root / "data").mkdir(exist_ok=True)
    with duckdb.connect(str(root / "data" / "profiles.duckdb")) as con:
        from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

        load_events(DuckDBAdapter(root / "data" / "profiles.duckdb", connection=con), events(6))
    return root


def _snapshot(root: Path, at: datetime) -> list[tuple]:
    return sorted(_query(root, f"SELECT * FROM user_var_table WHERE valid_at = TIMESTAMP '{at}'"), key=repr)


def _graph_at(root: Path, at: datetime) -> list[tuple]:
    return sorted(_query(root, f"SELECT main_id, id_value, id_type FROM user_graph__history WHERE valid_from <= "
                               f"TIMESTAMP '{at}' AND (valid_to IS NULL OR valid_to > TIMESTAMP '{at}')"))


def test_the_snapshot_as_of_a_day_equals_a_fresh_run_with_that_end_time(tmp_path):
    day = START + timedelta(days=2)
    root = _timeline(tmp_path / "all")
    assert cli("run", "-p", root).exit_code == 0
    published = _query(root, "SELECT * FROM user_feature_view ORDER BY 1")
    fresh = _timeline(tmp_path / "fresh")
    assert cli("run", "-p", fresh, "--end-time", day.isoformat()).exit_code == 0
    want_features, want_graph = _snapshot(fresh, end_of_day(day)), _graph_at(fresh, end_of_day(day))
    assert want_features and want_graph

    # The one function that reads "features as of D" computes it from the history when missing.
    from profiles_pipeline.pipeline.snapshots import features_as_of
    from profiles_pipeline.spec import load_project
    from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

    with DuckDBAdapter(root / "data" / "profiles.duckdb") as adapter:
        query = features_as_of(adapter, load_project(root), end_of_day(day))["user"]
        got = sorted(adapter.fetch(query), key=repr)
    assert got == want_features
    assert _graph_at(root, end_of_day(day)) == want_graph

    # An explicit earlier end time stores that snapshot and says how to read it; nothing published moves.
    earlier = datetime.combine(day, datetime.min.time()) + timedelta(hours=15)
    result = cli("run", "-p", root, "--end-time", earlier.isoformat())
    assert result.exit_code == 0 and "stored as a snapshot" in _text(result) and "valid_at" in _text(result)
    assert _query(root, "SELECT * FROM user_feature_view ORDER BY 1") == published
    fresh_mid = _timeline(tmp_path / "fresh_mid")
    assert cli("run", "-p", fresh_mid, "--end-time", earlier.isoformat()).exit_code == 0
    assert _snapshot(root, earlier) == _snapshot(fresh_mid, earlier)
    assert _graph_at(root, earlier) == _graph_at(fresh_mid, earlier)


def test_retention_drops_old_snapshots_and_keeps_the_latest(tmp_path):
    root = _timeline(tmp_path / "kept", "retention_period: 48h0m0s")
    days = [START + timedelta(days=i) for i in range(6)]
    for day in days:
        result = cli("run", "-p", root, "--end-time", day.isoformat())
        assert result.exit_code == 0, _text(result)
    kept = [end_of_day(d) for d in days[-3:]]  # within 48 h of the latest, and the latest
    assert [r[0] for r in _query(root, "SELECT DISTINCT valid_at FROM user_var_table ORDER BY 1")] == kept
    assert [r[0] for r in _query(root, "SELECT cp_at FROM user_graph__checkpoints ORDER BY 1")] == kept
    dry = cli("cleanup", "-p", root, "--retention", "1h", "--dry-run", "--json")
    assert dry.exit_code == 0
    import json

    listed = {r["relation"]: r for r in json.loads(dry.stdout)["relations"]}
    assert len(listed["user_var_table"]["dropped"]) == 2 and len(listed["user_graph__history"]["dropped"]) == 2
    assert len(_query(root, "SELECT DISTINCT valid_at FROM user_var_table")) == 3  # a dry run drops nothing
    assert cli("cleanup", "-p", root, "--retention", "1h").exit_code == 0
    assert [r[0] for r in _query(root, "SELECT DISTINCT valid_at FROM user_var_table")] == [kept[-1]]
    assert [r[0] for r in _query(root, "SELECT cp_at FROM user_graph__checkpoints")] == [kept[-1]]
    assert _query(root, "SELECT COUNT(*) FROM user_feature_view")[0][0] > 0


def _every_table(root: Path) -> dict[str, list]:
    with duckdb.connect(str(root / "data" / "profiles.duckdb"), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}


def test_a_second_run_with_nothing_new_changes_no_table(tmp_path):
    root = _timeline(tmp_path / "rerun")
    assert cli("run", "-p", root).exit_code == 0
    before = _every_table(root)
    assert {"user_graph__history", "user_graph_merges", "profiles_cohort_sizes", "user_var_table"} <= set(before)
    again = cli("run", "-p", root)
    assert again.exit_code == 0 and "Nothing to do" in _text(again) and "Nothing was written" in _text(again)
    assert _every_table(root) == before


def test_one_run_over_many_days_builds_what_day_by_day_runs_build(tmp_path):
    """History is one pass: one run over six days publishes, and keeps as history, what six
    daily runs do."""
    root = _timeline(tmp_path / "one_pass")
    assert cli("run", "-p", root, "--end-time", (START + timedelta(days=5)).isoformat()).exit_code == 0
    daily = _timeline(tmp_path / "daily")
    for i in range(6):
        assert cli("run", "-p", daily, "--end-time", (START + timedelta(days=i)).isoformat()).exit_code == 0
    for name in ("user_graph", "user_feature_view", "active_users", "user_graph__history"):
        assert sorted(_query(root, f"SELECT * FROM {name}"), key=repr) == sorted(_query(daily, f"SELECT * FROM {name}"), key=repr), name


def test_begin_time_reads_only_later_rows_and_the_next_run_reads_every_row(tmp_path):
    root = _timeline(tmp_path / "begin")
    rows = events(6)
    begin = datetime.combine(START + timedelta(days=2), datetime.min.time()) + timedelta(hours=12)
    result = cli("run", "-p", root, "--begin_time", begin.isoformat())
    assert result.exit_code == 0 and "--begin-time" in _text(result), _text(result)
    later = [r for r in rows if r[0] >= begin]
    [(first, n)] = _query(root, "SELECT MIN(first_seen), SUM(n_events) FROM user_feature_view")
    assert first >= begin and n == len(later)
    ids = {v for v, in _query(root, "SELECT other_id FROM user_graph")}
    assert ids == {x for r in later for x in (r[1], r[2], r[3].lower() if r[3] else None) if x}
    again = cli("run", "-p", root)
    assert again.exit_code == 0 and "rebuilt with every row" in _text(again)
    assert _query(root, "SELECT SUM(n_events) FROM user_feature_view") == [(len(rows),)]


def test_an_input_without_event_time_makes_the_default_end_time_now(tmp_path):
    """pb's default: rows without an event time may have changed until now. A second run with no
    input changed does nothing, though "now" moved."""
    root = _bring(tmp_path / "untimed", "csv")
    (root / "data" / "plans.csv").write_text("user_id,plan\nu1,pro\nu2,free\n")
    models = (root / "models" / "models.yaml").read_text()
    models = models.replace("models:\n", """  - name: plans
    app_defaults:
      csv: data/plans.csv
      ids:
        - {select: user_id, type: user_id, entity: user, to_default_stitcher: false}
models:
""", 1).replace("        - {select: user_id, type: user_id, entity: user}",
                "        - {select: user_id, type: user_id, entity: user, to_default_stitcher: true}")
    models = models.replace("        - {select: anonymous_id, type: anonymous_id, entity: user}",
                            "        - {select: anonymous_id, type: anonymous_id, entity: user, to_default_stitcher: true}")
    models = models.replace("        - {select: lower(email), type: email, entity: user}",
                            "        - {select: lower(email), type: email, entity: user, to_default_stitcher: true}")
    models += "      - entity_var: {name: plan, from: inputs/plans, select: max(plan)}\n"
    (root / "models" / "models.yaml").write_text(models)
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    result = cli("run", "-p", root)
    assert result.exit_code == 0, _text(result)
    assert "(now: input plans has no event time)" in _text(result)
    [(valid_at,)] = _query(root, "SELECT DISTINCT valid_at FROM user_feature_view")
    assert valid_at >= before - timedelta(seconds=1)
    assert sorted(_query(root, "SELECT plan FROM user_feature_view WHERE plan IS NOT NULL")) == [("free",), ("pro",)]
    again = cli("run", "-p", root)
    assert again.exit_code == 0 and "Nothing to do" in _text(again)
