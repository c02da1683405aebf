"""Bad inputs as users bring them: broken Parquet files, text where numbers or timestamps go,
missing columns, placeholder dates, junk ids. Each case breaks the new day of a copy of the
example project (150 people, 3 days, built once), runs `profiles run` and checks the exit code,
that the message names the input, file, column and what was expected, and that a failed run
published nothing (the readers' copy is unchanged)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from profiles_pipeline_tests.fixtures.bad_files import (
    CASES,
    day_files,
    landing_file,
    published_digest,
)
from profiles_pipeline_tests.fixtures.cli.built import cli

REPO = Path(__file__).resolve().parents[1]
NEW_DAY = date(2026, 1, 4)
_BASE: dict[str, Path] = {}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    if "root" not in _BASE:
        root = tmp_path_factory.mktemp("bad") / "shop"
        shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
        for args in (("sample-data", "generate", "-p", root, "--users", 150, "--days", 3), ("run", "-p", root)):
            result = cli(*args)
            assert result.exit_code == 0, (args, result.stdout, result.stderr)
        _BASE["root"] = root
    return _BASE["root"]


def broken(base: Path, tmp_path: Path, case: str) -> tuple[Path, str]:
    """A copy of `base` with the new day appended and broken as `case` says; the digest of what
    was published before."""
    project = tmp_path / "p"
    shutil.copytree(base, project, ignore=shutil.ignore_patterns("dagster_home"))
    assert cli("sample-data", "append", "-p", project, "--day", NEW_DAY).exit_code == 0
    CASES[case][1](project, NEW_DAY)
    return project, published_digest(project)


def rows(project: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(project / "data" / "profiles.published.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def failed_cleanly(result, project: Path, before: str, *fragments: str) -> None:
    text = result.stdout + result.stderr
    assert result.exit_code == 2, text
    assert "Traceback" not in text
    flat = " ".join(text.split())
    for fragment in fragments:
        assert fragment in flat, (fragment, flat)
    assert published_digest(project) == before, "a failed run must publish nothing"


@pytest.mark.parametrize("case, fragments", [
    ("text timestamp in one file", ["input order_completed", "dt=2026-01-04/part-0.parquet",
                                    "column timestamp is string here, timestamp[us] in the other files"]),
    ("non-numeric revenue in one file", ["input order_completed", "dt=2026-01-04/part-0.parquet",
                                         "column revenue is string here, double in the other files"]),
    ("column missing from one file", ["dt=2026-01-04/part-0.parquet", "has no column revenue",
                                      "app_defaults.allow_missing_columns: true"]),
    ("truncated parquet file", ["input tracks", "dt=2026-01-04/part-0.parquet", "not a readable Parquet file"]),
])
def test_a_bad_file_of_the_new_day_fails_the_run_naming_it(base, tmp_path, case, fragments):
    project, before = broken(base, tmp_path, case)
    failed_cleanly(cli("run", "-p", project), project, before, *fragments, "a file of the run's days (2026-01-04)")


def test_text_timestamps_that_do_not_parse_name_the_value_and_its_file(base, tmp_path):
    project, before = broken(base, tmp_path, "unparseable text timestamps everywhere")
    failed_cleanly(cli("run", "-p", project), project, before,
                   "input pages: column timestamp holds 'yesterday' in file",
                   "landing/pages/dt=2026-01-04/part-0.parquet", "cannot be read as a timestamp")


def test_text_revenue_names_the_column_and_every_place_that_reads_it(base, tmp_path):
    project, before = broken(base, tmp_path, "non-numeric revenue everywhere")
    failed_cleanly(cli("run", "-p", project), project, before,
                   "input order_completed: column revenue is text (VARCHAR)",
                   "where (models/inputs.yaml:", "entity_var total_revenue (models/profiles.yaml:",
                   "TRY_CAST(revenue AS DOUBLE)")


def test_a_column_missing_everywhere_is_found_by_validate_and_named_by_run(base, tmp_path):
    project, before = broken(base, tmp_path, "column missing from every file")
    checked = cli("validate", "-p", project)
    assert checked.exit_code == 2
    assert "entity_var total_revenue uses column 'revenue'" in " ".join(checked.stderr.split())
    failed_cleanly(cli("run", "-p", project), project, before, "input order_completed has no column revenue",
                   "entity_var total_revenue (models/profiles.yaml:")


def test_allow_missing_columns_reads_null_where_a_file_lacks_it(base, tmp_path):
    project, _ = broken(base, tmp_path, "column missing from one file")
    inputs = project / "models" / "inputs.yaml"
    text = inputs.read_text()
    marker = "table: rudder_events.website.order_completed"
    assert marker in text
    inputs.write_text(text.replace(marker, marker + "\n      allow_missing_columns: true"))
    result = cli("run", "-p", project)
    assert result.exit_code == 0, result.stdout + result.stderr
    # the new day's orders count (order_count) but add no revenue: they are NULL there
    con = duckdb.connect(str(project / "data" / "profiles.duckdb"), read_only=True)
    try:
        new_orders = con.execute("SELECT count(*) FROM user__order_completed__rows WHERE CAST(timestamp AS DATE) = "
                                 "DATE '2026-01-04'").fetchone()[0]
    finally:
        con.close()
    assert new_orders == 0  # the input's where (revenue > 0) keeps none of them: NULL is not > 0


def test_a_bad_file_of_an_old_day_is_left_out_and_said_and_validate_finds_it(base, tmp_path):
    project, before = broken(base, tmp_path, "truncated file of an old day")
    result = cli("run", "-p", project)
    assert result.exit_code == 0, result.stdout + result.stderr
    flat = " ".join(result.stdout.split())
    assert "left out of inputs/tracks: bad file" in flat and "dt=2026-01-01/part-0.parquet" in flat
    assert "1 day (2026-01-04) new" in flat  # the bad old file did not pull the run back
    assert published_digest(project) != before
    checked = cli("validate", "-p", project)
    assert checked.exit_code == 2 and "bad file" in checked.stderr and "dt=2026-01-01" in checked.stderr


def test_events_dated_1900_are_left_out_and_counted(base, tmp_path):
    project, _ = broken(base, tmp_path, "events dated 1900")
    result = cli("run", "-p", project)
    assert result.exit_code == 0, result.stdout + result.stderr
    flat = " ".join(result.stdout.split())
    assert "left out of inputs/pages:" in flat and "dated before 1970-01-01" in flat, flat
    assert rows(project, "SELECT min(first_seen) FROM user_feature_view")[0][0].year == 2026
    [(n, earliest)] = rows(project, "SELECT rows, earliest FROM profiles__left_out WHERE input_name = 'pages'")
    assert n > 0 and earliest.year == 1900


def test_events_dated_in_the_future_move_neither_the_end_time_nor_the_features(base, tmp_path):
    project, _ = broken(base, tmp_path, "events dated 2099")
    result = cli("run", "-p", project)
    assert result.exit_code == 0, result.stdout + result.stderr
    flat = " ".join(result.stdout.split())
    assert "as of 2026-01-04" in flat and "dated after" in flat
    assert rows(project, "SELECT max(last_seen) FROM user_feature_view")[0][0].year == 2026
    [(n,)] = rows(project, "SELECT rows FROM profiles__left_out WHERE input_name = 'pages'")
    assert n == 3


def test_junk_ids_are_dropped_and_counted_unless_the_project_keeps_them(base, tmp_path):
    project, _ = broken(base, tmp_path, "junk user ids")
    result = cli("run", "-p", project)
    assert result.exit_code == 0, result.stdout + result.stderr
    flat = " ".join(result.stdout.split())
    assert "ids dropped before stitching" in flat and "junk value" in flat and "control character" in flat, flat
    junk = rows(project, "SELECT count(*) FROM user_id_stitcher WHERE lower(other_id) IN "
                "('null', 'undefined', 'nan') OR other_id LIKE '%' || chr(0) || '%'")
    assert junk == [(0,)]
    reasons = dict(rows(project, "SELECT reason, count(*) FROM user_id_stitcher__excluded WHERE day = "
                        "DATE '2026-01-04' GROUP BY reason"))
    assert reasons.get("junk value", 0) >= 3 and reasons.get("control character", 0) == 2
    # configurable: a project that means `null` literally keeps it
    project_yaml = project / "pb_project.yaml"
    project_yaml.write_text(project_yaml.read_text() + "\njunk_ids:\n  values: []\n  control_characters: false\n")
    result = cli("run", "-p", project, "--rebase")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert rows(project, "SELECT count(*) FROM user_id_stitcher WHERE other_id = 'null' AND other_id_type = 'user_id'")[0][0] == 1


def test_a_day_reads_only_its_files_so_another_days_bad_file_does_not_fail_it(base, tmp_path):
    """The Dagster partition of a good day runs while an old day's file is broken; the partition
    of that day fails naming the file."""
    import dagster as dg

    from profiles_pipeline.orchestration.definitions import build_definitions
    from profiles_pipeline.orchestration.jobs import DAILY_JOB

    project, _ = broken(base, tmp_path, "truncated file of an old day")
    assert landing_file(project, "tracks", date(2026, 1, 1)) == day_files(project, "tracks")[0]
    job = build_definitions(project).resolve_job_def(DAILY_JOB)
    with dg.instance_for_test() as instance:
        good = job.execute_in_process(partition_key="2026-01-04", instance=instance, raise_on_error=False)
        assert good.success
        bad = job.execute_in_process(partition_key="2026-01-01", instance=instance, raise_on_error=False)
        assert not bad.success
        [failure] = [e for e in bad.all_events if e.event_type_value == "STEP_FAILURE"]
        error, message = failure.event_specific_data.error, ""
        while error is not None:  # Dagster wraps the step's error
            message, error = message + error.message, error.cause
        assert "input tracks" in message and "dt=2026-01-01/part-0.parquet" in message
