"""Constructs public pb projects use, each run on the example project's sample data and checked
against values computed here independently (DuckDB over the same landing zone)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from profiles_pipeline.spec import validate_project
from profiles_pipeline_tests.fixtures.cli.built import cli
from profiles_pipeline_tests.fixtures.pb_compare import same_value

REPO = Path(__file__).resolve().parents[1]

MODEL_INPUT_VARS = """
  - name: session_vars
    entity_key: user
    vars:
      - input_var:
          name: session_rank
          select: row_number()
          from: models/web_sessions
          window:
            partition_by:
              - anonymous_id
            order_by:
              - session_start desc
      - entity_var:
          name: last_session_events
          select: sum(event_count)
          from: models/web_sessions
          where: '{{web_sessions.Var("session_rank")}} = 1'
"""

COHORT_TABLE = """
  - name: known_user_profile
    model_type: feature_table_model
    model_spec:
      entity_cohort: models/known_users
      features:
        - first_seen
        - total_revenue
"""

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
    path = root / "models" / "profiles.yaml"
    path.write_text(path.read_text().replace("\nvar_groups:\n", COHORT_TABLE + "\nvar_groups:\n", 1))
    with (root / "models" / "profiles.yaml").open("a") as f:
        f.write(DEPENDENT_VARS + MODEL_INPUT_VARS)
    _rewrite(root / "pb_project.yaml", "    feature_views:\n      using_ids:\n",
             "    feature_views:\n      name: customer_360\n      using_ids:\n        - id: user_id\n"
             "        - id: user_main_id\n          name: customer_360_by_main_id\n")
    _rewrite(root / "models" / "profiles.yaml", "      feature_views:\n        - id: email\n          name: high_value_users_by_email",
             "      feature_views:\n        using_ids:\n          - id: email\n            name: high_value_users_by_email")
    _rewrite(root / "models" / "profiles.yaml", "}} >= 200", "}} >= 50")  # members in 5 days of sample
    assert cli("sample-data", "generate", "-p", root, "--users", 300, "--days", 5).exit_code == 0
    result = cli("run", "-p", root)
    assert result.exit_code == 0, result.stdout + result.stderr
    return root


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


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


def test_feature_views_named_unnamed_and_written_as_pb_writes_them(project: Path) -> None:
    """pb's `feature_views: {name: ..., using_ids: [...]}` on an entity (the main view named,
    a view with no name), and a cohort's `feature_views: {using_ids: [...]}`."""
    [(people,)] = _rows(project, "SELECT count(*) FROM user_var_table WHERE valid_at = "
                                 "(SELECT max(valid_at) FROM user_var_table)")
    assert _rows(project, "SELECT count(*) FROM customer_360")[0][0] == people
    tables = {r[0] for r in _rows(project, "SELECT table_name FROM information_schema.tables")}
    assert "user_feature_view" not in tables
    by_user_id = _rows(project, "SELECT count(*), count(DISTINCT user_id) FROM user_feature_view_user_id")
    expected = _rows(project, "SELECT count(DISTINCT other_id) FROM user_id_stitcher WHERE other_id_type = 'user_id'")
    assert by_user_id[0][0] == by_user_id[0][1] == expected[0][0] > 0
    members_emails = _rows(project, "SELECT count(DISTINCT g.other_id) FROM high_value_known_users c JOIN "
                                    "user_id_stitcher g ON g.user_main_id = c.user_main_id AND g.other_id_type = 'email'")
    assert members_emails[0][0] > 0
    assert _rows(project, "SELECT count(DISTINCT email) FROM high_value_users_by_email") == members_emails
    # `id: user_main_id`, as public projects write it: the feature view under another name
    assert sorted(_rows(project, "SELECT * FROM customer_360_by_main_id")) == sorted(_rows(project, "SELECT * FROM customer_360"))


def test_input_vars_on_a_sql_template_model(project: Path) -> None:
    """An input var on a sql_template model, referenced as `{{web_sessions.Var("session_rank")}}`:
    each anonymous id's latest session, summed per person — checked against the same sum
    computed here from the landing zone's Parquet files."""
    landing = project / "data" / "landing"
    con = duckdb.connect()
    con.execute(f"ATTACH '{project / 'data' / 'profiles.published.duckdb'}' AS pub (READ_ONLY)")
    expected = dict(con.execute(f"""
        WITH events AS (
          SELECT context_session_id, anonymous_id, timestamp FROM read_parquet('{landing}/tracks/*/*.parquet')
          UNION ALL
          SELECT context_session_id, anonymous_id, timestamp FROM read_parquet('{landing}/pages/*/*.parquet')),
        sessions AS (
          SELECT anonymous_id, min(timestamp) AS session_start, count(*) AS event_count FROM events
          WHERE context_session_id IS NOT NULL GROUP BY context_session_id, anonymous_id),
        latest AS (SELECT * FROM sessions QUALIFY row_number() OVER (PARTITION BY anonymous_id
                                                                    ORDER BY session_start DESC) = 1)
        SELECT g.user_main_id, sum(l.event_count) FROM latest l JOIN pub.user_id_stitcher g
          ON g.other_id = l.anonymous_id AND g.other_id_type = 'anonymous_id' GROUP BY 1""").fetchall())
    got = dict(con.execute("SELECT user_main_id, last_session_events FROM pub.user_var_table WHERE "
                           "last_session_events IS NOT NULL AND valid_at = (SELECT max(valid_at) FROM pub.user_var_table)"
                           ).fetchall())
    con.close()
    assert len(expected) > 10 and got == expected


def test_unknown_input_var_of_a_model_is_a_validate_error(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    with (root / "models" / "profiles.yaml").open("a") as f:
        f.write(MODEL_INPUT_VARS.replace('Var("session_rank")', 'Var("session_rnk")'))
    problems = [str(p) for p in validate_project(root).problems]
    assert any("unknown input var of 'web_sessions' 'session_rnk'" in p and "did you mean 'session_rank'" in p
               for p in problems), problems


def test_keys_that_only_tune_pb_are_accepted(tmp_path: Path) -> None:
    """`allow_beta:` (pb's opt-in to its betas), a model file of `optimizations:` (how pb bundles
    statements), the stitcher's debug-logging flags and a feature table's `compatibility_mode:`
    (how pb orders its var SQL) change no output: they validate."""
    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    _rewrite(root / "pb_project.yaml", "connection: local\n", "connection: local\nallow_beta: true\n")
    (root / "models" / "optimizations.yaml").write_text(
        "optimizations:\n  bundle_entity_vars: true\n  bundle_entity_vars_strategy: aggressive\n")
    _rewrite(root / "models" / "profiles.yaml", "      incremental_timedelta: 96h\n",
             "      incremental_timedelta: 96h\n      log_direct_edge_info: true\n      log_node_metadata: true\n")
    _rewrite(root / "models" / "profiles.yaml", "    model_type: feature_table_model\n    model_spec:\n",
             "    model_type: feature_table_model\n    model_spec:\n      compatibility_mode:\n"
             "        linear_dependency_of_vars: false\n")
    report = validate_project(root)
    assert report.ok, [str(p) for p in report.problems]
    (root / "models" / "optimizations.yaml").write_text("optimisations:\n  bundle_entity_vars: true\n")
    assert any("unknown top-level key 'optimisations'" in str(p) for p in validate_project(root).problems)


def test_pb_cli_spellings(tmp_path: Path) -> None:
    """pb's flags as pb users type them: -p/--pb_project_path, -c/--siteconfig_path and
    -t/--target choosing the connection's output, -m/--model_refs, --rebase_incremental,
    --version and `version`."""
    from profiles_pipeline_tests.fixtures.reliability import profiles

    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    site = tmp_path / "elsewhere" / "siteconfig.yaml"
    site.parent.mkdir()
    site.write_text(f"connections:\n  local:\n    target: dev\n    outputs:\n"
                    f"      dev:\n        type: duckdb\n        path: {tmp_path / 'dev.duckdb'}\n"
                    f"      prod:\n        type: duckdb\n        path: {tmp_path / 'prod.duckdb'}\n")
    assert profiles(root, "sample-data", "generate", "-p", root, "--users", 40, "--days", 2).returncode == 0
    done = profiles(root, "run", "--pb_project_path", root, "-c", site, "-t", "prod",
                    "-m", "user_id_stitcher", "--rebase_incremental")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "prod.duckdb").exists() and not (tmp_path / "dev.duckdb").exists()
    assert not (root / "data" / "profiles.duckdb").exists()
    con = duckdb.connect(str(tmp_path / "prod.published.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM user_id_stitcher").fetchone()[0] > 0
    con.close()
    for args in (["--version"], ["version"]):
        shown = profiles(root, *args)
        assert shown.returncode == 0 and shown.stdout.startswith("profiles_pipeline "), shown
    wrong = profiles(root, "run", "-p", root, "-c", tmp_path / "missing.yaml")
    assert wrong.returncode == 2 and "missing.yaml does not exist" in wrong.stdout + wrong.stderr


def test_problems_name_the_thing_by_its_name(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    _rewrite(root / "models" / "inputs.yaml", "      table: rudder_events.website.identifies\n", "")
    _rewrite(root / "models" / "profiles.yaml", "          select: min(timestamp)\n", "          select: min(timestamp\n")
    problems = [str(p) for p in validate_project(root).problems]
    assert any("input identifies: app_defaults needs exactly one of table, view" in p for p in problems), problems
    assert any("entity var first_seen_tracks: SQL does not parse" in p for p in problems), problems


DEREF_ORDERS = """
  - name: paid_orders
    model_type: sql_template
    model_spec:
      materialization:
        output_type: ephemeral
      occurred_at_col: timestamp
      ids:
        - select: user_id
          type: user_id
          entity: user
        - select: anonymous_id
          type: anonymous_id
          entity: user
        - select: lower(context_traits_email)
          type: email
          entity: user
      single_sql: |
        select order_id, user_id, anonymous_id, context_traits_email, timestamp, revenue
        from {{ this.DeRef("inputs/order_completed") }}
"""
DEREF_VARS = """
  - name: deref_vars
    entity_key: user
    vars:
      - entity_var:
          name: orders_via_deref
          select: count(distinct order_id)
          from: models/paid_orders
"""


def test_deref_of_an_input_applies_its_where(tmp_path: Path) -> None:
    """`this.DeRef("inputs/order_completed")` reads the input's rows as the input defines them:
    its `where:` applied (it was ignored: filtered rows reached models and the id graph)."""
    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    _rewrite(root / "models" / "inputs.yaml", "    where: revenue > 0", "    where: revenue > 60")
    text = (root / "models" / "profiles.yaml").read_text()
    text = text.replace("\nvar_groups:\n", DEREF_ORDERS + "\nvar_groups:\n", 1) + DEREF_VARS
    (root / "models" / "profiles.yaml").write_text(text)
    assert cli("sample-data", "generate", "-p", root, "--users", 300, "--days", 5).exit_code == 0
    result = cli("run", "-p", root)
    assert result.exit_code == 0, result.stdout + result.stderr
    [(small,)] = duckdb.sql(f"SELECT count(*) FROM read_parquet('{root}/data/landing/order_completed/*/*.parquet') "
                            "WHERE revenue <= 60").fetchall()
    assert small > 0, "the where must remove some orders for this test to mean anything"
    rows = _rows(root, "SELECT user_main_id, coalesce(orders_via_deref, 0), order_count FROM user_var_table "
                       "WHERE valid_at = (SELECT max(valid_at) FROM user_var_table) AND order_count > 0")
    assert rows and all(via == direct for _, via, direct in rows), rows[:5]


def test_a_remote_package_is_a_validate_error_saying_how_to_vendor_it(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    with (root / "pb_project.yaml").open("a") as f:
        f.write("packages:\n  - name: corelib\n    url: https://github.com/rudderlabs/profiles-corelib/tag/schema_44\n")
    [problem] = [str(p) for p in validate_project(root).problems]
    assert "package corelib comes from https://github.com/rudderlabs/profiles-corelib/tag/schema_44" in problem
    assert "git clone https://github.com/rudderlabs/profiles-corelib packages/corelib && git -C packages/corelib checkout schema_44" in problem
    # pb's older spelling gitUrl:, and a name the package would define: both point at the package
    _rewrite(root / "pb_project.yaml", "    url: https://", "    gitUrl: https://")
    _rewrite(root / "models" / "inputs.yaml", "type: user_id", "type: user_uuid")
    problems = [str(p) for p in validate_project(root).problems]
    assert any("package corelib comes from" in p for p in problems), problems
    assert any("unknown id type 'user_uuid'" in p and "may come from package corelib, which is not on this machine" in p
               for p in problems), problems


KEYWORD_NAMES = {"web_sessions": "order", "known_users": "group", "user_profile": "select",
                 "user_id_stitcher": "union", "user_features_by_email": "table"}

READS_THE_GRAPH = """
  - name: limit
    model_type: sql_template
    model_spec:
      materialization:
        output_type: table
      single_sql: |
        select user_main_id, count(*) as ids from {{ this.DeRef("models/union") }} group by 1
"""


@pytest.mark.slow
def test_models_named_like_sql_keywords_run_and_equal_plain_names(tmp_path: Path) -> None:
    """A stitcher named `union`, a model `order`, a cohort `group`, a feature table `select`, a view
    `table` and a sql_template `limit` reading the graph: every statement built around them quotes
    them (they broke `CREATE OR REPLACE VIEW union`). The outputs equal those of the same project
    with plain names, over two runs (the second incremental)."""
    roots = {}
    for label, names in (("plain", {}), ("keywords", KEYWORD_NAMES)):
        root = tmp_path / label
        shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
        models = root / "models" / "profiles.yaml"
        models.write_text(models.read_text().replace("models:\n", "models:\n" + READS_THE_GRAPH.replace(
            "models/union", "models/" + names.get("user_id_stitcher", "user_id_stitcher")), 1))
        for path in (models, root / "pb_project.yaml"):
            text = path.read_text()
            for old, new in names.items():
                text = re.sub(rf"\b{old}\b", new, text)
            path.write_text(text)
        assert validate_project(root).problems == []
        assert cli("sample-data", "generate", "-p", root, "--users", 200, "--days", 4).exit_code == 0
        for end_time in ("2026-01-03T12:00:00Z", "2026-01-04T18:00:00Z"):
            result = cli("run", "-p", root, "--end_time", end_time)
            assert result.exit_code == 0, result.stdout + result.stderr
        roots[label] = root
    for plain, keyword in [*KEYWORD_NAMES.items(), ("limit", "limit")]:
        if plain == "web_sessions":  # ephemeral: no table of its own
            continue
        want = _rows(roots["plain"], f'SELECT * FROM "{plain}" ORDER BY ALL')
        got = _rows(roots["keywords"], f'SELECT * FROM "{keyword}" ORDER BY ALL')
        assert want and got == want, (plain, keyword, len(want), len(got))


def test_a_model_name_that_is_no_identifier_is_a_validate_error(tmp_path: Path) -> None:
    """A name with a dash cannot name a table: validate says so, with the line and a name that works."""
    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    path = root / "models" / "profiles.yaml"
    path.write_text(path.read_text().replace("- name: known_users\n", "- name: known-users\n"))
    problems = [p for p in validate_project(root).problems if p.code == "bad_name"]
    assert [str(p) for p in problems] == [
        "models/profiles.yaml:44 at models[2].name: model 'known-users': the name is not usable as a table name "
        "(not a plain identifier: letters, digits and _) (rename it, e.g. known_users)"]


def test_a_deref_of_a_cohort_is_a_validate_error(tmp_path: Path) -> None:
    """A sql_template reading a cohort through DeRef passed validate and failed the run: validate
    now names it, since cohorts are built after the sql_template models."""
    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    path = root / "models" / "profiles.yaml"
    path.write_text(path.read_text().replace("models:\n", "models:\n" + READS_THE_GRAPH.replace(
        "models/union", "models/known_users"), 1))
    problems = [str(p) for p in validate_project(root).problems]
    assert problems == [
        'models/profiles.yaml:8 at models[0].model_spec.single_sql: model limit: this.DeRef("models/known_users"): '
        "known_users is a model of type entity_cohort, which this engine cannot read from a template (it is built "
        "after the sql_template models) (DeRef inputs/<name>, models/<sql_template or id_stitcher name>, or read "
        'the cohort\'s or feature table\'s vars with {{<entity>.Var("name")}})'], problems


PBREF = Path(__file__).parent / "fixtures" / "pbref" / "unlisted_id_type"


def test_an_id_type_the_entity_does_not_list_is_left_out_as_pb_does(tmp_path: Path) -> None:
    """pb itself is the oracle (fixtures/pbref/unlisted_id_type): the project runs, the id graph
    has no email, the email-only row counts for nobody; validate lists the ignored id."""
    import csv

    project = tmp_path / "probe"
    shutil.copytree(PBREF / "project", project)
    (project / "data").mkdir()
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:
        con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv_auto('{PBREF / 'orders.csv'}')")
    report = validate_project(project)
    assert report.ok and report.summary["ignored_ids"] == ["orders.email (email, entity user)"], report.summary
    result = cli("run", "-p", project)
    assert result.exit_code == 0, result.stdout + result.stderr
    with open(PBREF / "pb_out" / "user_default_id_stitcher.csv") as f:
        pb_graph = list(csv.DictReader(f))
    user_of = {r["user_main_id"]: r["other_id"] for r in pb_graph}
    with open(PBREF / "pb_out" / "user_feature_view.csv") as f:
        pb = {user_of[r["user_main_id"]]: (r["n_orders"], r["first_order_at"], r["last_order_at"])
              for r in csv.DictReader(f)}
    con = duckdb.connect(str(project / "data" / "profiles.published.duckdb"), read_only=True)
    graph = con.execute("SELECT other_id, other_id_type FROM user_default_id_stitcher ORDER BY 1").fetchall()
    ours = {u: (str(n), str(a), str(b)) for u, n, a, b in con.execute(
        "SELECT g.other_id, f.n_orders, f.first_order_at, f.last_order_at FROM user_feature_view f "
        "JOIN user_default_id_stitcher g ON g.user_main_id = f.user_main_id").fetchall()}
    con.close()
    assert graph == sorted((r["other_id"], r["other_id_type"]) for r in pb_graph)
    assert ours == pb and pb["u1"][0] == "4"


def test_a_feature_table_of_a_cohort_holds_its_members(project: Path) -> None:
    """pb's feature_table_model with `entity_cohort:` instead of `entity_key:`."""
    members = _rows(project, "SELECT user_main_id, first_seen, total_revenue FROM known_users ORDER BY 1")
    assert members and _rows(project, "SELECT user_main_id, first_seen, total_revenue FROM known_user_profile "
                                      "ORDER BY 1") == members
    assert len(members) < _rows(project, "SELECT count(*) FROM customer_360")[0][0]


def test_var_tags_and_available_tags(tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(REPO / "config", root, ignore=shutil.ignore_patterns("data", "output"))
    with (root / "pb_project.yaml").open("a") as f:
        f.write("available_tags:\n  - name: revenue\n    description: money\n  - name: engagement\n")
    _rewrite(root / "models" / "profiles.yaml", "          name: total_revenue\n",
             "          name: total_revenue\n          tags:\n            - revenue\n")
    assert validate_project(root).ok
    _rewrite(root / "models" / "profiles.yaml", "            - revenue\n", "            - revenu\n")
    problems = [str(p) for p in validate_project(root).problems]
    assert any("unknown tag of entity var total_revenue 'revenu' (did you mean 'revenue'?" in p for p in problems), problems


VARS_ON_ROWS = Path(__file__).parent / "fixtures" / "pbref" / "vars_on_rows"


def _probe(tmp_path: Path, name: str) -> Path:
    """A copy of the vars_on_rows probe project (one orders input, default stitcher), to extend."""
    project = tmp_path / name
    shutil.copytree(VARS_ON_ROWS / "project", project)
    return project


def _load_orders(project: Path, csv: Path = VARS_ON_ROWS / "orders.csv") -> None:
    """The probe's orders rows as the warehouse table `orders` of `project`."""
    (project / "data").mkdir(exist_ok=True)
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:
        con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv_auto('{csv}')")


def _run(project: Path, end_time: str = "2026-02-01T00:00:00Z") -> None:
    result = cli("run", "-p", project, "--end_time", end_time)
    assert result.exit_code == 0, result.stdout + result.stderr


def _validated_run(project: Path) -> None:
    """Validate (no problems) and run the project as of the probe's end time."""
    report = validate_project(project)
    assert report.ok, [str(p) for p in report.problems]
    _run(project)


def _features_against_pb(tmp_path: Path, fixture: Path, end_time: str) -> tuple[dict, list]:
    """Run a pbref fixture's project on its orders.csv as of `end_time`; pb's features per user id
    and (user, feature, ours, pb's) for every value that differs."""
    import csv

    project = tmp_path / fixture.name
    shutil.copytree(fixture / "project", project)
    _load_orders(project, fixture / "orders.csv")
    assert validate_project(project).ok
    _run(project, end_time)
    with open(fixture / "pb_out" / "user_default_id_stitcher.csv") as f:
        user_of = {r["user_main_id"]: r["other_id"] for r in csv.DictReader(f) if r["other_id_type"] == "user_id"}
    with open(fixture / "pb_out" / "user_feature_view.csv") as f:
        pb = {user_of[r.pop("user_main_id")]: r for r in csv.DictReader(f)}
    con = duckdb.connect(str(project / "data" / "profiles.published.duckdb"), read_only=True)
    cur = con.execute("SELECT g.other_id, f.* EXCLUDE (user_main_id, valid_at) FROM user_feature_view f "
                      "JOIN user_default_id_stitcher g ON g.user_main_id = f.user_main_id "
                      "WHERE g.other_id_type = 'user_id'")
    names = [d[0] for d in cur.description][1:]
    ours = {row[0]: dict(zip(names, row[1:], strict=True)) for row in cur.fetchall()}
    con.close()
    assert set(ours) == set(pb) and set(names) == set(next(iter(pb.values())))
    return pb, [(u, n, ours[u][n], pb[u][n]) for u in pb for n in names if not same_value(ours[u][n], pb[u][n])]


def test_entity_vars_read_inside_an_aggregation_equal_pbs(tmp_path: Path) -> None:
    """pb itself is the oracle (fixtures/pbref/vars_on_rows): earlier vars joined onto an input's
    rows by main id, in a where and in a select, through a derived var and two levels deep."""
    pb, differ = _features_against_pb(tmp_path, VARS_ON_ROWS, "2026-02-01T00:00:00Z")
    assert set(pb) == {"u1", "u2", "u3"} and not differ, differ
    assert pb["u2"]["n_first_day"] == "2" and pb["u1"]["top_plus_max"] == "99"


def test_time_grains_equal_pbs(tmp_path: Path) -> None:
    """pb itself is the oracle (fixtures/pbref/time_grains): each grain's vars as of its boundary,
    a var read at the coarser grain, NULL for a user first seen after a boundary."""
    pb, differ = _features_against_pb(tmp_path, Path(__file__).parent / "fixtures" / "pbref" / "time_grains",
                                      "2026-01-31T12:00:00Z")
    assert not differ, differ
    assert (pb["u1"]["n_week"], pb["u1"]["n_month"], pb["u1"]["month_plus_now"]) == ("7", "4", "8")
    assert pb["u2"]["n_day"] == "" and pb["u2"]["n_hour"] == "1"
    assert (pb["u1"]["n_monthly_model"], pb["u1"]["model_built_as_of"]) == ("4", "2026-01-05 00:00:00")
    con = duckdb.connect(str(tmp_path / "time_grains" / "data" / "profiles.published.duckdb"), read_only=True)
    published = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()  # the grains' rows views and passes stay out of the readers' copy
    assert "user_feature_view" in published and not {t for t in published if "__rows" in t or "__vars" in t}


STITCHER_GRAIN = Path(__file__).parent / "fixtures" / "pbref" / "stitcher_grain"


def _graph_ids(project: Path) -> set[str]:
    return {r[0] for r in _rows(project, "SELECT other_id FROM user_id_stitcher")}


def test_a_stitchers_time_grain_builds_the_graph_at_its_boundary_run_by_run(tmp_path: Path) -> None:
    """pb itself is the oracle (fixtures/pbref/stitcher_grain): with `time_grain: week` on the id
    stitcher, the graph is as of the week's Monday, later ids wait for the next one, vars keep
    their own grains. Run day by day across the boundary (incremental), the last run publishes
    what pb published in one run; runs within a week leave the graph as it was."""
    from profiles_pipeline_tests.fixtures.pb_compare import differences

    project = tmp_path / "stitcher_grain"
    shutil.copytree(STITCHER_GRAIN / "project", project)
    _load_orders(project, STITCHER_GRAIN / "orders.csv")
    assert validate_project(project).ok
    _run(project, "2026-01-23T12:00:00Z")  # week of Monday 01-19: u8 (first seen 01-20) waits
    assert "u8" not in _graph_ids(project) and "u1" in _graph_ids(project)
    _run(project, "2026-01-25T12:00:00Z")
    assert "u8" not in _graph_ids(project)
    _run(project, "2026-01-27T12:00:00Z")  # week of 01-26: u8 is in, u9 (01-27) waits
    assert {"u8", "h@x.com"} <= _graph_ids(project) and "u9" not in _graph_ids(project)
    _run(project, "2026-01-31T12:00:00Z")
    assert differences(STITCHER_GRAIN / "pb_out", project / "data" / "profiles.published.duckdb") == []
    assert not {"u9", "i@x.com", "u2"} & _graph_ids(project)


@pytest.mark.parametrize(("grain", "at", "want"), [
    ("tenminutes", "2026-03-04 10:47:13", "2026-03-04 10:40:00"),
    ("hour", "2026-03-04 10:47:13", "2026-03-04 10:00:00"),
    ("day", "2026-03-04 10:47:13", "2026-03-04 00:00:00"),
    ("week", "2026-03-04 10:47:13", "2026-03-02 00:00:00"),  # a Wednesday: that week's Monday
    ("week", "2026-03-02 00:00:00", "2026-03-02 00:00:00"),  # the boundary itself
    ("month", "2026-03-04 10:47:13", "2026-03-02 00:00:00"),  # March's first Monday
    ("month", "2026-03-01 23:00:00", "2026-02-02 00:00:00"),  # before it: February's
    ("month", "2026-01-03 08:00:00", "2025-12-01 00:00:00"),  # across the year
    ("year", "2026-06-01 00:00:00", "2026-01-05 00:00:00"),
    ("year", "2026-01-04 00:00:00", "2025-01-06 00:00:00"),
    ("tick", "2026-03-04 10:47:13", "2026-03-04 10:47:13"),
])
def test_time_grain_boundaries(grain: str, at: str, want: str) -> None:
    from datetime import datetime

    from profiles_pipeline.features.grains import boundary

    assert boundary(grain, datetime.fromisoformat(at)) == datetime.fromisoformat(want)


def _crm_project(tmp_path: Path, name: str) -> Path:
    """The vars_on_rows project with a second input, `crm`: user ids and emails, no event time."""
    project = _probe(tmp_path, name)
    with (project / "models" / "inputs.yaml").open("a") as f:
        f.write("  - name: crm\n    app_defaults:\n      table: pbdb.rs_src.crm\n      ids:\n"
                "        - select: user_id\n          type: user_id\n          entity: user\n"
                "        - select: email\n          type: email\n          entity: user\n")
    (project / "data").mkdir()
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:
        con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv_auto('{VARS_ON_ROWS / 'orders.csv'}') "
                    "WHERE timestamp < TIMESTAMP '2026-01-06'")
        con.execute("CREATE TABLE crm AS SELECT * FROM (VALUES ('u3', 'c@x.com')) AS t(user_id, email)")
    return project


def _clusters(project: Path) -> set[frozenset[str]]:
    rows = _rows(project, "SELECT user_main_id, list(other_id) FROM user_default_id_stitcher GROUP BY 1")
    return {frozenset(ids) for _, ids in rows}


def test_an_edge_source_without_event_time_is_read_whole_each_run(tmp_path: Path) -> None:
    """A table without occurred_at_col (a CRM export) feeds the id graph as pb reads it: every row,
    every run. Its rows count from the first partition; when the table changes, the next run reads
    the change and the graph equals a full rebuild's."""
    project = _crm_project(tmp_path, "crm")
    assert validate_project(project).ok
    result = cli("run", "-p", project, "--end_time", "2026-01-05T12:00:00Z")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert frozenset({"u3", "c@x.com"}) in _clusters(project)
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:  # the CRM learns two emails
        con.execute("INSERT INTO crm VALUES ('u1', 'b@x.com'), ('u3', 'd@x.com')")
        con.execute(f"INSERT INTO orders SELECT * FROM read_csv_auto('{VARS_ON_ROWS / 'orders.csv'}') "
                    "WHERE timestamp >= TIMESTAMP '2026-01-06'")
    result = cli("run", "-p", project, "--end_time", "2026-01-09T12:00:00Z")
    assert result.exit_code == 0, result.stdout + result.stderr
    incremental = _clusters(project)
    # b@x.com joins u1 (and u2, whose orders carry it), d@x.com joins u3
    assert frozenset({"u1", "a@x.com", "b@x.com", "u2"}) in incremental
    assert frozenset({"u3", "c@x.com", "d@x.com"}) in incremental
    result = cli("run", "-p", project, "--end_time", "2026-01-09T12:00:00Z", "--rebase_incremental")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert _clusters(project) == incremental
    again = cli("run", "-p", project, "--end_time", "2026-01-09T12:00:00Z")
    assert again.exit_code == 0 and _clusters(project) == incremental


def test_untimed_edge_source_stitches_as_pb_does(tmp_path: Path) -> None:
    """pb itself is the oracle (fixtures/pbref/untimed_edges): the same clusters from a CRM table
    without an event time; its ids' first_seen differs on purpose (the first partition, not none)."""
    import csv

    fixture = Path(__file__).parent / "fixtures" / "pbref" / "untimed_edges"
    project = tmp_path / "untimed_edges"
    shutil.copytree(fixture / "project", project)
    (project / "data").mkdir()
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:
        for name in ("orders", "crm"):
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv_auto('{fixture / (name + '.csv')}')")
    _run(project)
    pb: dict[str, set[str]] = {}
    with open(fixture / "pb_out" / "user_default_id_stitcher.csv") as f:
        for r in csv.DictReader(f):
            pb.setdefault(r["user_main_id"], set()).add(r["other_id"])
    assert _clusters(project) == {frozenset(ids) for ids in pb.values()}
    assert frozenset({"u3", "c@x.com", "d@x.com"}) in _clusters(project)


def test_a_sql_template_edge_source_is_evaluated_over_all_history(tmp_path: Path) -> None:
    """pb evaluates a sql_template model over all history as of the end time. An edge source whose
    rows for a past day depend on later rows (`user_id IN (SELECT ... FROM orders)`) is read whole
    again each run; the day whose edges changed is extracted again, and the graph equals a full
    rebuild's (it used to keep the edges as the day's own run saw them)."""
    project = _probe(tmp_path, "vip")
    (project / "models" / "inputs.yaml").write_text(
        "inputs:\n  - name: orders\n    app_defaults:\n      table: pbdb.rs_src.orders\n"
        "      occurred_at_col: timestamp\n      ids:\n        - select: user_id\n          type: user_id\n"
        "          entity: user\n  - name: signups\n    app_defaults:\n      table: pbdb.rs_src.signups\n"
        "      occurred_at_col: timestamp\n")
    (project / "models" / "sql.yaml").write_text(
        "models:\n  - name: vip_links\n    model_type: sql_template\n    model_spec:\n"
        "      occurred_at_col: timestamp\n      ids:\n        - select: user_id\n          type: user_id\n"
        "          entity: user\n        - select: email\n          type: email\n          entity: user\n"
        "      single_sql: |\n"
        "        select user_id, email, timestamp from {{this.DeRef(\"inputs/signups\")}}\n"
        "        where user_id in (select user_id from {{this.DeRef(\"inputs/orders\")}} where amount >= 9)\n")
    (project / "data").mkdir()
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:
        con.execute("CREATE TABLE signups AS SELECT * FROM (VALUES ('u1', 'a@x.com', TIMESTAMP '2026-01-01 10:00'), "
                    "('u2', 'b@x.com', TIMESTAMP '2026-01-02 10:00')) AS t(user_id, email, timestamp)")
        con.execute("CREATE TABLE orders AS SELECT * FROM (VALUES ('u1', NULL, TIMESTAMP '2026-01-01 11:00', 9), "
                    "('u2', NULL, TIMESTAMP '2026-01-08 11:00', 9)) AS t(user_id, email, timestamp, amount)")
    assert validate_project(project).ok
    result = cli("run", "-p", project, "--end_time", "2026-01-05T12:00:00Z")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert frozenset({"u1", "a@x.com"}) in _clusters(project)
    assert not any("b@x.com" in c for c in _clusters(project))  # u2 is no VIP yet
    result = cli("run", "-p", project, "--end_time", "2026-01-09T12:00:00Z")
    assert result.exit_code == 0, result.stdout + result.stderr
    incremental = _clusters(project)
    assert frozenset({"u2", "b@x.com"}) in incremental  # its 2026-01-02 signup is a VIP link now
    result = cli("run", "-p", project, "--end_time", "2026-01-09T12:00:00Z", "--rebase_incremental")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert _clusters(project) == incremental


def test_read_file_brings_a_sql_file_into_a_model(tmp_path: Path) -> None:
    """pb's documented `{% exec %}{{this.ReadFile("models/q.sql")}}{% endexec %}`: the file is read
    from the project folder and rendered as part of the template (its DeRef counts)."""
    project = _probe(tmp_path, "readfile")
    (project / "models" / "sql").mkdir()
    (project / "models" / "sql" / "big.sql").write_text(
        'select user_id, timestamp, amount from {{this.DeRef("inputs/orders")}} where amount > 3\n')
    (project / "models" / "sql.yaml").write_text(
        "models:\n  - name: big_orders\n    model_type: sql_template\n    model_spec:\n"
        "      occurred_at_col: timestamp\n      ids:\n        - select: user_id\n          type: user_id\n"
        "          entity: user\n      single_sql: |\n"
        '        {% exec %}{{this.ReadFile("models/sql/big.sql")}}{% endexec %}\n')
    with (project / "models" / "profiles.yaml").open("a") as f:
        f.write("      - entity_var:\n          name: n_big\n          from: models/big_orders\n"
                "          select: count(*)\n")
    _load_orders(project)
    assert validate_project(project).ok
    _run(project)
    got = _rows(project, "SELECT n_orders, n_big FROM user_feature_view ORDER BY a_max")
    assert got == [(3, None), (1, 1), (3, 3)]  # u2 (amounts 3, 3, 1), u3 (4), u1 (5, 9, 9)
    _rewrite(project / "models" / "sql.yaml", "models/sql/big.sql", "models/sql/bigg.sql")
    problems = [str(p) for p in validate_project(project).problems]
    assert any("model big_orders" in p and "this.ReadFile('models/sql/bigg.sql'): no such file in the project" in p
               for p in problems), problems


def test_one_id_written_as_a_mapping(tmp_path: Path) -> None:
    """pb's documentation writes a single id as `ids: {select: .., type: .., entity: ..}`."""
    project = _probe(tmp_path, "one_id")
    inputs = project / "models" / "inputs.yaml"
    _rewrite(inputs, "      ids:\n        - select: user_id\n          type: user_id\n          entity: user\n"
             "        - select: email\n          type: email\n          entity: user\n",
             "      ids:\n        select: user_id\n        type: user_id\n        entity: user\n")
    report = validate_project(project)
    assert report.ok, [str(p) for p in report.problems]
    assert [(i.select, i.type) for i in report.project.inputs_by_name["orders"].app_defaults.ids] == [("user_id", "user_id")]
    _rewrite(inputs, "        type: user_id\n", "        type: user_idd\n")
    (problem,) = validate_project(project).problems
    assert (problem.location.file, problem.location.line) == ("models/inputs.yaml", 8)
    assert "unknown id type 'user_idd'" in problem.message


def test_a_tab_after_a_value_is_read_as_pb_reads_it(tmp_path: Path) -> None:
    """pb takes `select: count(*)<TAB>`; a tab that indents a line stays a syntax error, by line."""
    project = _probe(tmp_path, "tabs")
    profiles = project / "models" / "profiles.yaml"
    _rewrite(profiles, "          select: count(*)\n", "          select: count(*)\t\n")
    report = validate_project(project)
    assert report.ok, [str(p) for p in report.problems]
    assert report.project.var("user", "n_orders").select == "count(*)"
    _rewrite(profiles, "          name: n_orders\n", "\t        name: n_orders\n")
    (problem,) = validate_project(project).problems
    assert problem.code == "yaml_syntax" and problem.location.line == 6, problem


def test_single_sql_that_continues_pbs_with_clause(tmp_path: Path) -> None:
    """pb puts a model's DeRefs in a WITH clause before its single_sql, so projects write
    `, big AS (...) select ...`; it reads as `WITH big AS (...)` here, in validate and in runs."""
    project = _probe(tmp_path, "leading_comma")
    (project / "models" / "sql.yaml").write_text(
        "models:\n  - name: big_orders\n    model_type: sql_template\n    model_spec:\n"
        "      occurred_at_col: timestamp\n      ids:\n        - select: user_id\n          type: user_id\n"
        "          entity: user\n      single_sql: |\n"
        '        {% with o = this.DeRef("inputs/orders") %}\n'
        "        , big AS (\n          select user_id, timestamp from {{o}} where amount > 3\n        )\n"
        "        select * from big\n        {% endwith %}\n")
    with (project / "models" / "profiles.yaml").open("a") as f:
        f.write("      - entity_var:\n          name: n_big\n          from: models/big_orders\n"
                "          select: count(*)\n")
    _load_orders(project)
    _validated_run(project)
    got = _rows(project, "SELECT n_orders, n_big FROM user_feature_view ORDER BY a_max")
    assert got == [(3, None), (1, 1), (3, 3)]


def test_derived_vars_with_a_window_equal_pbs(tmp_path: Path) -> None:
    """pb itself is the oracle (fixtures/pbref/derived_window): a derived var's `window:` ranges
    over the entities (it used to be dropped, so `rank()` had no OVER clause)."""
    pb, differ = _features_against_pb(tmp_path, Path(__file__).parent / "fixtures" / "pbref" / "derived_window",
                                      "2026-02-01T00:00:00Z")
    assert not differ, differ
    assert sorted(r["a_max_rank"] for r in pb.values()) == ["1", "2", "3"]


def test_templates_in_types_and_frames_and_yaml_numbers(tmp_path: Path) -> None:
    """`CAST(x AS {{warehouse.DataType("float")}})`, `column_data_type: '{{warehouse.DataType(..)}}'`,
    `frame_clause: "{{frame_clause}}"` (a macro), `select: 12.347` read by YAML as a number, an entity
    `description:` and an entity var `materialization:` validate (they used to be false parse errors
    or unknown keys) and run with the values they mean."""
    project = _probe(tmp_path, "types")
    _rewrite(project / "pb_project.yaml", "  - name: user\n", "  - name: user\n    description: a person\n")
    (project / "models" / "macros.yaml").write_text(
        "macros:\n  - name: frame_clause\n    value: ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING\n")
    with (project / "models" / "profiles.yaml").open("a") as f:
        f.write('      - entity_var:\n          name: max_float\n          from: inputs/orders\n'
                '          select: max(CAST(amount AS {{warehouse.DataType("float")}}))\n'
                '      - entity_var:\n          name: typed_max\n          from: inputs/orders\n'
                '          select: max(amount)\n          column_data_type: \'{{warehouse.DataType("float")}}\'\n'
                '          materialization: {output_type: table}\n'
                '      - entity_var:\n          name: constant\n          select: 12.347\n'
                '      - entity_var:\n          name: first_amount\n          from: inputs/orders\n'
                '          select: first_value(amount)\n          window:\n            order_by:\n'
                '              - timestamp\n            frame_clause: "{{frame_clause}}"\n')
    _load_orders(project)
    _validated_run(project)
    got = _rows(project, "SELECT a_max, max_float, typed_max, constant, first_amount FROM user_feature_view "
                         "ORDER BY a_max")
    types = dict(_rows(project, "SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = 'user_var_table'"))
    assert [(a, b, c, float(d), e) for a, b, c, d, e in got] == [
        (3, 3.0, 3.0, 12.347, 3), (4, 4.0, 4.0, 12.347, 4), (9, 9.0, 9.0, 12.347, 5)]
    assert types["a_max"] == "BIGINT" and types["typed_max"] in ("FLOAT", "DOUBLE")
    _rewrite(project / "models" / "profiles.yaml", "column_data_type: '{{warehouse.DataType(\"float\")}}'",
             "column_data_type: 'not a type ('")
    assert any("column_data_type" in str(p) and "does not parse" in str(p) for p in validate_project(project).problems)


def test_cohort_feature_views_written_as_a_mapping_with_a_name(tmp_path: Path) -> None:
    """pb writes a cohort's views as `feature_views: {name: .., using_ids: [{id, name}]}`: `name`
    is a view of the members keyed by the main id (it was "must be a list, got dict")."""
    project = _probe(tmp_path, "cohort_views")
    (project / "models" / "cohorts.yaml").write_text(
        "models:\n  - name: big_spenders\n    model_type: entity_cohort\n    model_spec:\n"
        "      extends: user/all\n      materialization:\n        output_type: table\n"
        "      filter_pipeline:\n        - type: include\n          value: \"{{user.Var('a_max')}} >= 4\"\n"
        "      feature_views:\n        name: big_spender_profiles\n        materialization:\n"
        "          output_type: view\n        using_ids:\n          - id: email\n            name: big_spenders_by_email\n")
    _load_orders(project)
    _validated_run(project)
    members = _rows(project, "SELECT a_max FROM big_spender_profiles ORDER BY 1")
    by_email = _rows(project, "SELECT email FROM big_spenders_by_email")
    [same] = _rows(project, "SELECT count(*) FROM big_spender_profiles JOIN big_spenders USING (user_main_id)")
    assert members == [(4,), (9,)] and by_email == [("a@x.com",)] and same == (2,)


def test_default_is_read_as_default_value_as_pb_reads_it(tmp_path: Path) -> None:
    """pb 0.26.4 applies `default: -1` like `default_value: -1` (its output: -1 for every user
    without a matching row); so does this engine."""
    project = _probe(tmp_path, "default")
    with (project / "models" / "profiles.yaml").open("a") as f:
        f.write("      - entity_var:\n          name: big_max\n          from: inputs/orders\n"
                "          select: max(amount)\n          where: amount > 100\n          default: -1\n")
    _load_orders(project)
    report = validate_project(project)
    assert report.ok, [str(p) for p in report.problems]
    assert report.project.var("user", "big_max").default_value == -1
    _run(project)
    assert _rows(project, "SELECT DISTINCT big_max FROM user_feature_view") == [(-1,)]


def test_a_macro_with_empty_inputs(tmp_path: Path) -> None:
    """`inputs:` with nothing after it is a macro without inputs, as pb 0.26.4 reads it (it ran
    such a project; RudderStack's own sample projects write it)."""
    project = _probe(tmp_path, "macro")
    (project / "models" / "macros.yaml").write_text('macros:\n  - name: macro_two\n    inputs:\n    value: "2"\n')
    with (project / "models" / "profiles.yaml").open("a") as f:
        f.write('      - entity_var:\n          name: two\n          select: "{{macro_two()}}"\n')
    report = validate_project(project)
    assert report.ok, [str(p) for p in report.problems]
    assert report.project.macros_by_name["macro_two"].inputs == []


def test_an_entity_var_over_the_id_graph(tmp_path: Path) -> None:
    """`from: models/<id stitcher>`: a var aggregates over the entity's id graph rows (one per id),
    the default stitcher's name included (validate passed it and the run refused it, or validate
    called it an unknown model)."""
    project = _probe(tmp_path, "graph_vars")
    with (project / "models" / "profiles.yaml").open("a") as f:
        f.write("      - entity_var:\n          name: n_ids\n          from: models/user_default_id_stitcher\n"
                "          select: count(distinct other_id)\n"
                "      - entity_var:\n          name: n_emails\n          from: models/user_default_id_stitcher\n"
                "          select: count(*)\n          where: other_id_type = 'email'\n          default_value: 0\n")
    _load_orders(project)
    _validated_run(project)
    got = _rows(project, "SELECT a_max, n_ids, n_emails FROM user_feature_view ORDER BY a_max")
    assert got == [(3, 2, 1), (4, 1, 0), (9, 2, 1)]  # u2 + b@x.com, u3 alone, u1 + a@x.com


INCREMENTAL_MODEL = """models:
  - name: order_totals
    model_type: sql_template
    model_spec:
      materialization:
        output_type: table
      features:
        - name: total
          description: what the user spent
      contract: {is_event_stream: false}
      single_sql: |
        {%- with prev = this.DeRef("models/order_totals", pre_existing=true, dependency="optional",
                                    checkpoint_name="baseline") -%}
        {%- if prev -%}
        select user_id, sum(total) as total from (
          select user_id, total from {{prev}}
          union all
          select user_id, amount from {{this.DeRef("inputs/orders", baseline_name="baseline")}}) as t group by 1
        {%- else -%}
        select user_id, sum(amount) as total
        from {{this.DeRef("inputs/orders", contract=BuildContract('{"is_event_stream": true}'))}} group by 1
        {%- endif -%}
        {%- endwith -%}
"""


def test_an_incremental_sql_template_model_runs_its_full_branch(tmp_path: Path) -> None:
    """pb's incremental sql_template model (its documented shape: `this.DeRef(self, pre_existing=true,
    dependency="optional", checkpoint_name=...)`, a full branch when there is no previous state,
    `contract=BuildContract(...)`, pb's `features:` column metadata) runs: there is no previous
    materialization here, so the full branch runs, which pb's contract for such models makes
    equal; again on a second run."""
    project = _probe(tmp_path, "incremental")
    (project / "models" / "sql.yaml").write_text(INCREMENTAL_MODEL)
    _load_orders(project)
    _validated_run(project)
    want = duckdb.sql(f"SELECT user_id, sum(amount) FROM read_csv_auto('{VARS_ON_ROWS / 'orders.csv'}') "
                      "WHERE timestamp <= TIMESTAMP '2026-02-01' GROUP BY 1 ORDER BY 1").fetchall()
    assert _rows(project, "SELECT user_id, total FROM order_totals ORDER BY 1") == want
    _run(project, "2026-02-02T00:00:00Z")
    assert _rows(project, "SELECT user_id, total FROM order_totals ORDER BY 1") == want


def test_a_misspelt_deref_option_is_named(tmp_path: Path) -> None:
    project = _probe(tmp_path, "incremental")
    (project / "models" / "sql.yaml").write_text(INCREMENTAL_MODEL.replace("pre_existing=true", "pre_exsting=true"))
    [problem] = [p for p in validate_project(project).problems if "order_totals" in str(p)]
    assert "this.DeRef() has no option pre_exsting= (pb's options: baseline_name, checkpoint_name" in str(problem), problem
    assert problem.location.file == "models/sql.yaml"


@pytest.mark.parametrize("grains,expected", [([], None), (["week"], "day"), (["month"], "day"), (["hour"], "hour"),
                                             (["week", "hour"], "hour"), (["tick"], None), (["10minutes"], "tenminutes")])
def test_a_time_grained_cohort_gives_the_project_pbs_default_grain(tmp_path: Path, grains, expected) -> None:
    """What pb's model_timegrains.json said for a week, month and hour cohort (fixtures/pbref/
    cohort_grain/README.md): the finest cohort grain, no coarser than day; the run is as of it."""
    from profiles_pipeline.features.grains import project_default_grain
    from profiles_pipeline.spec import load_project

    project = _probe(tmp_path, "grained")
    with (project / "models" / "profiles.yaml").open("a") as f:
        f.write("models:\n")
        for i, grain in enumerate(grains):
            f.write(f"  - name: c{i}\n    model_type: entity_cohort\n    model_spec:\n      extends: user/all\n"
                    f"      time_grain: {grain}\n      filter_pipeline:\n        - type: include\n"
                    f"          value: \"{{{{user.Var('n_orders')}}}} >= 1\"\n")
    assert project_default_grain(load_project(project)) == expected


def test_entity_hooks_and_an_empty_var_group_read_as_pb_reads_them(tmp_path: Path) -> None:
    """pb 0.26.4 runs a project whose entity (or model) has `hooks: {pre_run: "", post_run: ""}`
    and whose var_group has `vars:` with nothing after it, and refuses `time_to_live:`, an entity's
    `serve_traits_360:`, an id stitcher's `exclude_id_types:` and a model's
    `requested_enabled_status:` (checked by running pb on them); so do we. SQL in a hook is named."""
    project = _probe(tmp_path, "hooks")
    _rewrite(project / "pb_project.yaml", "  - name: user\n",
             '  - name: user\n    hooks:\n      pre_run: ""\n      post_run: ""\n')
    with (project / "models" / "profiles.yaml").open("a") as f:
        f.write("  - name: empty_group\n    entity_key: user\n    vars:\n"
                "models:\n  - name: buyers\n    model_type: entity_cohort\n    hooks:\n      pre_run: \"\"\n"
                "    model_spec:\n      extends: user/all\n      filter_pipeline:\n        - type: include\n"
                "          value: \"{{user.Var('n_orders')}} >= 1\"\n")
    _load_orders(project)
    _validated_run(project)
    assert _rows(project, "SELECT count(*) FROM user_feature_view")[0][0] == 3
    _rewrite(project / "pb_project.yaml", '      pre_run: ""\n', '      pre_run: "delete from x"\n')
    _rewrite(project / "pb_project.yaml", "model_folders:\n", "time_to_live: 24h\nmodel_folders:\n")
    problems = [str(p) for p in validate_project(project).problems]
    assert any("entities[0].hooks" in p and "pre_run holds SQL" in p for p in problems), problems
    assert any("unknown key 'time_to_live'" in p for p in problems), problems


def test_occurred_at_col_as_an_expression(tmp_path: Path) -> None:
    """`occurred_at_col: to_timestamp(created)` over text times (a public project's Snowflake
    input): computed once into the input's rows, so the run equals pb's answer for the same events
    (fixtures/pbref/vars_on_rows, whose times are real timestamps); a column it names that the
    rows lack is named by validate."""
    from profiles_pipeline_tests.fixtures.pb_compare import differences

    project = _probe(tmp_path, "occ")
    _rewrite(project / "models" / "inputs.yaml", "occurred_at_col: timestamp", "occurred_at_col: to_timestamp(created)")
    text = (project / "models" / "profiles.yaml").read_text()
    (project / "models" / "profiles.yaml").write_text(re.sub(r"\btimestamp\b", "to_timestamp(created)", text))
    (project / "data").mkdir()
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:
        con.execute("CREATE TABLE orders AS SELECT user_id, email, strftime(timestamp, '%Y-%m-%d %H:%M:%S') AS created, "
                    f"amount FROM read_csv_auto('{VARS_ON_ROWS / 'orders.csv'}')")
    _validated_run(project)
    assert differences(VARS_ON_ROWS / "pb_out", project / "data" / "profiles.published.duckdb") == []
    _rewrite(project / "models" / "inputs.yaml", "to_timestamp(created)", "to_timestamp(createdd)")
    result = cli("validate", "-p", project)
    assert result.exit_code == 2 and "occurred_at_col uses column 'createdd'" in " ".join(result.stderr.split())


def test_two_inputs_whose_rows_are_found_in_one_place_are_named(tmp_path: Path) -> None:
    """Two `…IDENTIFIES` tables in different schemas (a public project's layout) both come from
    the DuckDB table `identifies`: validate names both inputs and says how to part them."""
    project = _probe(tmp_path, "clash")
    (project / "models" / "inputs.yaml").write_text(
        "inputs:\n  - name: orders\n    app_defaults:\n      table: pbdb.rs_src.orders\n      occurred_at_col: timestamp\n"
        "      ids:\n        - select: user_id\n          type: user_id\n          entity: user\n"
        "  - name: app_identifies\n    app_defaults:\n      table: APP.PROD.IDENTIFIES\n      occurred_at_col: timestamp\n"
        "      ids:\n        - select: user_id\n          type: user_id\n          entity: user\n"
        "  - name: web_identifies\n    app_defaults:\n      table: WEB.PROD.IDENTIFIES\n      occurred_at_col: timestamp\n"
        "      ids:\n        - select: user_id\n          type: user_id\n          entity: user\n")
    _load_orders(project)
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:
        con.execute("CREATE TABLE identifies AS SELECT user_id, timestamp FROM orders")
    result = cli("validate", "-p", project)
    message = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "input web_identifies (WEB.PROD.IDENTIFIES) and input app_identifies " \
        "(APP.PROD.IDENTIFIES) both read IDENTIFIES" in message and "own `path:`" in message, message
