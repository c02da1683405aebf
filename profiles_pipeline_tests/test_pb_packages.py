"""pb's `packages:`: a package on a local path or vendored under `packages/<name>/` is read into
the project, with its entry's `inputsMap` and `overrides` applied (spec/packages.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from profiles_pipeline.spec import validate_project
from profiles_pipeline_tests.fixtures.cli.built import cli

FIXTURE = Path(__file__).parent / "fixtures" / "packages"
ORDERS = Path(__file__).parent / "fixtures" / "pbref" / "vars_on_rows" / "orders.csv"


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "p")
    shop = tmp_path / "p" / "shop"
    (shop / "data").mkdir()
    with duckdb.connect(str(shop / "data" / "profiles.duckdb")) as con:
        con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv_auto('{ORDERS}')")
        con.execute("CREATE TABLE returns AS SELECT *, 'late' AS reason, 1 AS only_here FROM orders WHERE amount < 5")
    return shop


def _expected() -> dict[str, tuple]:
    """Per person (named by a user id), computed from the rows alone: the one row with only an
    email belongs to u2 (b@x.com is u2's), which the package's `email` id type makes visible.
    The union's rows are the orders and the returns (orders under 5) that carry a user id."""
    with duckdb.connect() as con:
        return {r[0]: r[1:] for r in con.execute(f"""
            WITH r AS (SELECT user_id, coalesce(user_id, CASE email WHEN 'b@x.com' THEN 'u2' END) AS person, amount
                       FROM read_csv_auto('{ORDERS}'))
            SELECT person, count(*), max(amount), sum(amount), count(*) FILTER (WHERE amount >= 5),
                   count(user_id) + count(user_id) FILTER (WHERE amount < 5)
            FROM r GROUP BY person""").fetchall()}


def test_local_and_vendored_packages_run_with_their_inputs_map_and_overrides(tmp_path: Path) -> None:
    shop = _copy(tmp_path)
    report = validate_project(shop)
    assert report.ok, [str(p) for p in report.problems]
    result = cli("run", "-p", shop, "--end_time", "2026-02-01T00:00:00Z")
    assert result.exit_code == 0, result.stdout + result.stderr
    with duckdb.connect(str(shop / "data" / "profiles.published.duckdb"), read_only=True) as con:
        cur = con.execute("SELECT g.other_id, f.* EXCLUDE (user_main_id, valid_at) FROM user_feature_view f "
                          "JOIN user_default_id_stitcher g USING (user_main_id) WHERE g.other_id_type = 'user_id'")
        columns = [d[0] for d in cur.description][1:]
        rows = {r[0]: dict(zip(columns, r[1:], strict=True)) for r in cur.fetchall()}
        [(email_type_rows,)] = con.execute("SELECT count(*) FROM user_default_id_stitcher WHERE other_id_type = 'email'").fetchall()
    # the disabled var and the var over the nil-mapped input are gone; the rest of both packages is here
    assert sorted(columns) == ["amount_sum", "n_big", "n_money_rows", "n_orders", "top_amount", "top_amount_doubled"]
    assert email_type_rows == 2  # the package's id type joined the project's entity
    with duckdb.connect(str(shop / "data" / "profiles.duckdb"), read_only=True) as con:
        union_columns = [d[0] for d in con.execute("SELECT * FROM money_by_user LIMIT 0").description]
    assert union_columns == ["user_id", "email", "timestamp", "amount"]  # what both inputs have
    for person, (n, top, total, big, money) in _expected().items():
        got = rows[person]
        assert (got["n_orders"], got["top_amount"], got["amount_sum"], got["n_big"] or 0, got["n_money_rows"]) == \
            (n, top, total, big, money), (person, got)
        assert got["top_amount_doubled"] == 2 * top  # the project's var reads the package's


def test_package_problems_name_the_entry_and_what_would_be_right(tmp_path: Path) -> None:
    shop = _copy(tmp_path)
    project_file = shop / "pb_project.yaml"
    text = project_file.read_text()
    project_file.write_text(text.replace("sales: inputs/orders", "sales: inputs/order").replace("url: ../lib", "url: ../lib2"))
    problems = [str(p) for p in validate_project(shop).problems]
    assert any("package lib: no pb_project.yaml at '../lib2'" in p and "pb_project.yaml:" in p for p in problems), problems
    # the vendored package's DeRef into the missing package says nothing more: the package's error is the one
    assert not any("DeRef" in p for p in problems), problems

    project_file.write_text(text.replace("sales: inputs/orders", "sales: inputs/order"))
    problems = [str(p) for p in validate_project(shop).problems]
    assert any("pb_project.yaml:" in p and "package lib: inputsMap sales: 'inputs/order' does not name an input" in p
               for p in problems), problems

    model = shop / "packages" / "extra" / "models" / "extra.yaml"
    model.write_text(model.read_text().replace("packages/lib/inputs/sales", "packages/libs/inputs/sales"))
    project_file.write_text(text)
    problems = [str(p) for p in validate_project(shop).problems]
    assert any(p.startswith("packages/extra/models/extra.yaml:") and "names package 'libs', which pb_project.yaml does not list"
               in p and "did you mean 'lib'" in p for p in problems), problems

    shutil.rmtree(shop / "packages" / "extra")
    model.parent.parent.mkdir(parents=True, exist_ok=True)
    problems = [str(p) for p in validate_project(shop).problems]
    assert any("package extra comes from https://github.com/example/profiles-extra/tag/v1" in p
               and "git clone https://github.com/example/profiles-extra packages/extra && git -C packages/extra checkout v1" in p
               for p in problems), problems


def test_a_package_that_a_package_lists_gets_its_own_error(tmp_path: Path) -> None:
    """A package's own `packages:` entry that is not on this machine is named, with the package
    that lists it and the line, instead of its items going missing without a word."""
    shop = _copy(tmp_path)
    lib = tmp_path / "p" / "lib" / "pb_project.yaml"
    lib.write_text(lib.read_text() + "packages:\n  - name: base\n    url: ../base_missing\n"
                   "  - name: remote\n    url: https://github.com/example/profiles-base/tag/v2\n")
    problems = [str(p) for p in validate_project(shop).problems]
    assert any(p.startswith(f"{lib}:18") and "package base (listed by package lib): no pb_project.yaml at "
               "'../base_missing'" in p for p in problems), problems
    assert any(p.startswith(f"{lib}:20") and "package remote (listed by package lib) comes from "
               "https://github.com/example/profiles-base/tag/v2" in p and "git clone https://github.com/example/"
               "profiles-base packages/remote && git -C packages/remote checkout v2" in p for p in problems), problems
    # the project's own missing package is reported once, by the project's checks
    shop_file = shop / "pb_project.yaml"
    shop_file.write_text(shop_file.read_text().replace("url: ../lib", "url: ../lib2"))
    problems = [str(p) for p in validate_project(shop).problems]
    assert sum("package lib: no pb_project.yaml at '../lib2'" in p for p in problems) == 1, problems
