"""Constructs public pb projects use, each run on the example project's sample data and checked
against values computed here independently (DuckDB over the same landing zone)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from profiles_pipeline.spec import validate_project
from profiles_pipeline_tests.fixtures.cli.built import cli

REPO = Path(__file__).resolve().parents[1]

DEPENDENT_VARS = """
  - name: bare_refs
    entity_key: user
    vars:
      - entity_var:
          name: spend_band
          select: case when big_spender = 1 then 'big' else 'small' end
          dependencies:
            - big_spender
      - entity_var:
          name: big_spender
          select: case when total_revenue > 100 then 1 else 0 end
          dependencies:
            - total_revenue
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("constructs") / "shop"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    with (root / "models" / "profiles.yaml").open("a") as f:
        f.write(DEPENDENT_VARS)
    assert cli("sample-data", "generate", "-p", root, "--users", 300, "--days", 5).exit_code == 0
    result = cli("run", "-p", root)
    assert result.exit_code == 0, result.stdout + result.stderr
    return root


def _rows(project: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(project / "data" / "profiles.published.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_dependencies_order_vars_that_read_others_by_bare_name(project: Path) -> None:
    """pb's `dependencies:` on an entity var: declared before what it reads, computed after."""
    rows = _rows(project, "SELECT total_revenue, big_spender, spend_band FROM user_var_table "
                          "WHERE valid_at = (SELECT max(valid_at) FROM user_var_table)")
    assert rows and {r[1] for r in rows} == {0, 1}, "the sample has people on both sides of 100"
    for revenue, big, band in rows:
        assert big == (1 if revenue is not None and revenue > 100 else 0)
        assert band == ("big" if big == 1 else "small")


def test_unknown_dependency_is_a_validate_error_naming_the_var(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    with (root / "models" / "profiles.yaml").open("a") as f:
        f.write(DEPENDENT_VARS.replace("- total_revenue", "- total_revenu"))
    problems = [str(p) for p in validate_project(root).problems]
    assert any("dependencies of big_spender 'total_revenu'" in p and "did you mean 'total_revenue'" in p
               for p in problems), problems
