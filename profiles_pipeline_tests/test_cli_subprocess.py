"""The installed `profiles` console script as a user runs it: exit codes, pure JSON on stdout,
messages without tracebacks for user errors, and `profiles ui` answering HTTP."""

from __future__ import annotations

import json

import pytest
from fixtures.cli.built import (
    built_project,
    console_script,
    copy_project,
    free_port,
    profiles,
    start_in_group,
    stop_group,
    wait_for_http,
)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return built_project(tmp_path_factory)


def _user_error(result, words: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and words in result.stderr, result.stderr


def test_help_lists_every_command():
    result = profiles("--help")
    assert result.returncode == 0
    for name in ("init", "validate", "compile", "run", "show", "query", "ui", "schema", "sample-data"):
        assert name in result.stdout


def test_json_is_pure_on_stdout(project):
    for args in (("validate", "-p", project, "--json"), ("show", "dependencies", "-p", project, "--json"),
                 ("show", "idstitcher-report", "-p", project, "--json")):
        result = profiles(*args)
        assert result.returncode == 0, result.stderr
        assert isinstance(json.loads(result.stdout), dict)


def test_user_errors_exit_2_without_traceback(project, tmp_path):
    bad = copy_project(project, tmp_path / "bad")
    (bad / "models" / "profiles.yaml").write_text("models:\n  - name: x\n    model_type: [\n")
    _user_error(profiles("validate", "-p", bad), "problem(s)")
    _user_error(profiles("show", "models", "-p", tmp_path / "missing"), "pb_project.yaml")
    _user_error(profiles("show", "models", "nope", "-p", project), "no model 'nope'")
    _user_error(profiles("show", "entity-lookup", "ghost@example.org", "-p", project), "is not in id graph")
    _user_error(profiles("query", "-p", project, "select * from missing_table"), "rejected the query")


def test_run_failure_exits_1_and_names_the_model(project, tmp_path):
    broken = copy_project(project, tmp_path / "fails", warehouse=True)
    profiles_yaml = broken / "models" / "profiles.yaml"
    profiles_yaml.write_text(profiles_yaml.read_text().replace("select: sum(revenue)", "select: sum(CAST('x' AS INT))"))
    assert profiles("validate", "-p", broken).returncode == 0  # only running the SQL finds it
    result = profiles("run", "-p", broken, "--select", "features/user", timeout=240)
    assert result.returncode == 1, result.stderr
    [summary] = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert "user__order_completed__vars" in summary and "Could not convert string 'x'" in summary, summary


def test_a_column_no_input_has_is_a_user_error_naming_the_var(project, tmp_path):
    """Validate finds it (with the warehouse); a run that is not validated first says the same."""
    broken = copy_project(project, tmp_path / "typo", warehouse=True)
    profiles_yaml = broken / "models" / "profiles.yaml"
    profiles_yaml.write_text(profiles_yaml.read_text().replace("select: sum(revenue)", "select: sum(revenue_typo)"))
    assert profiles("validate", "-p", broken, "--no-warehouse").returncode == 0  # only the warehouse knows
    checked = profiles("validate", "-p", broken)
    assert checked.returncode == 2 and "entity_var total_revenue uses column 'revenue_typo'" in checked.stderr, \
        checked.stderr
    result = profiles("run", "-p", broken, "--select", "features/user", timeout=240)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "input order_completed has no column revenue_typo, read by entity_var total_revenue (models/profiles.yaml:" \
        in result.stderr, result.stderr


def test_a_locked_warehouse_is_a_failure_not_a_traceback(project, tmp_path):
    import duckdb

    locked = copy_project(project, tmp_path / "locked", warehouse=True)
    holder = duckdb.connect(str(locked / "data" / "profiles.duckdb"))  # a writer in another process
    try:
        for args in (("show", "models", "-p", locked), ("compile", "-p", locked, "-o", tmp_path / "sql")):
            result = profiles(*args)
            assert result.returncode == 1, (args, result.stderr)
            assert "Traceback" not in result.stderr and "lock" in result.stderr, result.stderr
    finally:
        holder.close()


@pytest.mark.slow
def test_ui_answers_http(project, tmp_path):
    port = free_port()
    proc = start_in_group([*console_script(), "ui", "-p", str(project), "--port", str(port)], tmp_path / "ui.log")
    try:
        body = wait_for_http(f"http://127.0.0.1:{port}/server_info", proc, timeout=120)
        assert b"dagster_webserver_version" in body
    finally:
        stop_group(proc)
    assert (project / "data" / "dagster_home" / "dagster.yaml").is_file()
    assert f"http://127.0.0.1:{port}" in (tmp_path / "ui.log").read_text()
