"""The `profiles` commands through typer's CliRunner, on one scaffolded and built project.

Outputs are checked against the warehouse the run built (read directly with duckdb), and the
compiled SQL is executed to show it rebuilds the same features."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import duckdb
import pytest
from fixtures.cli.built import built_project, cli, copy_project, profiles, warehouse_rows
from fixtures.cli.built import json_output as _json

from profiles_pipeline.cli.main import app


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return built_project(tmp_path_factory)


def _commands(group=app, prefix=()):
    from typer.main import get_command

    command = get_command(group)
    for name, sub in command.commands.items():
        if hasattr(sub, "commands"):
            yield from ((*prefix, name, n) for n in sub.commands)
        else:
            yield (*prefix, name)


@pytest.mark.parametrize("command", list(_commands()), ids=" ".join)
def test_every_help_has_an_example(command):
    result = cli(*command, "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout, result.stdout


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = cli("init", tmp_path)
    assert result.exit_code == 2 and "not empty" in result.stderr and "--force" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_validate_checks_the_warehouse(project, tmp_path):
    good = _json(cli("validate", "-p", project, "--json"))
    assert good["valid"] and set(good["warehouse"]["inputs"]) == {"identifies", "tracks", "pages", "order_completed"}
    broken = copy_project(project, tmp_path / "broken")
    inputs = broken / "models" / "inputs.yaml"
    text = inputs.read_text().replace("select: lower(context_traits_email)", "select: lower(context_trait_email)", 1)
    inputs.write_text(text.replace("rudder_events.website.pages", "rudder_events.website.pagez"))
    result = cli("validate", "-p", broken, "--json")
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    assert {p["code"] for p in problems} == {"missing_column", "input_not_found"}
    missing = next(p for p in problems if p["code"] == "missing_column")
    assert "context_trait_email" in missing["message"] and missing["file"] == "models/inputs.yaml"
    assert text.splitlines()[missing["line"] - 1].strip().startswith("- select: lower(context_trait_email)")
    assert cli("validate", "-p", broken, "--no-warehouse").exit_code == 0


def test_bad_yaml_and_missing_project_are_user_errors(project, tmp_path):
    broken = copy_project(project, tmp_path / "bad")
    (broken / "pb_project.yaml").write_text("name: [unclosed\n")
    for args in (("validate", "-p", broken), ("show", "models", "-p", broken),
                 ("show", "models", "-p", tmp_path / "nowhere"), ("query", "-p", tmp_path / "nowhere", "select 1")):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "error" in result.stderr


def test_compiled_sql_rebuilds_the_same_features(project, tmp_path):
    out = tmp_path / "compiled"
    result = cli("compile", "-p", project, "-o", out)
    assert result.exit_code == 0, result.stderr
    index = json.loads((out / "index.json").read_text())
    assert index["steps"][0]["kind"] == "id_graph"
    seen = set()
    for step in index["steps"]:
        assert set(step["depends_on"]) - {"identifies", "tracks", "pages", "order_completed"} <= seen, step
        seen.add(step["name"])
    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(project / "data" / "profiles.duckdb", warehouse)
    con = duckdb.connect(str(warehouse))
    want = con.execute("SELECT * FROM user_feature_view ORDER BY user_main_id").fetchall()
    con.execute("DROP VIEW user_feature_view")
    for step in index["steps"][1:]:
        con.execute((out / step["file"]).read_text())
    assert con.execute("SELECT * FROM user_feature_view ORDER BY user_main_id").fetchall() == want
    edges = con.execute((out / index["steps"][0]["file"]).read_text()).fetchall()  # the last source
    assert len(edges) > 0


def test_compile_for_snowflake_plans_on_the_input_tables(project, tmp_path):
    import sqlglot

    result = cli("compile", "-p", project, "-o", tmp_path, "--dialect", "snowflake")
    assert result.exit_code == 0, result.stderr
    files = sorted(tmp_path.glob("*.sql"))
    text = "\n".join(f.read_text() for f in files)
    assert "READ_PARQUET" not in text.upper() and "rudder_events.website.pages" in text
    for f in files:
        sqlglot.parse(f.read_text(), read="snowflake")
    assert cli("compile", "-p", project, "--dialect", "bigquery").exit_code == 2


@pytest.mark.slow
def test_compile_for_databricks_plans_on_a_local_spark_without_a_connection(project, tmp_path):
    """As for Snowflake: the plan is made against a stand-in (a local Spark holding empty copies of
    the input tables), in a fresh process (a Spark session belongs to its process)."""
    import sqlglot

    done = profiles("compile", "-p", project, "-o", tmp_path, "--dialect", "databricks", timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "planned on a local Spark session" in " ".join(done.stdout.split())
    files = sorted(tmp_path.glob("*.sql"))
    text = "\n".join(f.read_text() for f in files)
    assert "READ_PARQUET" not in text.upper() and "rudder_events.website.pages" in text
    for f in files:
        sqlglot.parse(f.read_text(), read="databricks")


def test_show_models_and_unknown_model(project):
    data = _json(cli("show", "models", "-p", project, "--json"))
    by_path = {m["path"]: m for m in data["models"]}
    graph_rows = warehouse_rows(project, "SELECT COUNT(*) FROM user_id_stitcher")[0][0]
    assert by_path["identity/user_id_stitcher/id_graph"]["rows"] == graph_rows > 0
    assert by_path["cohorts/known_users"]["relations"] == ["known_users", "user_known_users", "known_users_feature_view"]
    result = cli("show", "models", "-p", project, "known_userz")
    assert result.exit_code == 2 and "did you mean cohorts/known_users" in result.stderr


def test_show_dependencies_as_pictures(project, tmp_path):
    from PIL import Image

    svg, png = tmp_path / "g.svg", tmp_path / "g.png"
    data = _json(cli("show", "dependencies", "-p", project, "--json", "--svg", svg, "--png", png))
    assert ["identity/user_id_stitcher/id_graph", "features/user"] in data["edges"]
    rects = ET.parse(svg).getroot().findall(".//{http://www.w3.org/2000/svg}rect")
    assert len(rects) == len(data["nodes"])
    with Image.open(png) as img:
        assert img.format == "PNG" and img.width > img.height > 100


def test_show_plan_lists_every_step(project):
    data = _json(cli("show", "plan", "-p", project, "--json"))
    # As of the latest event, as `profiles run` computed it.
    [(published,)] = warehouse_rows(project, "SELECT MAX(valid_at) FROM user_var_table")
    assert data["end_time"] == published.isoformat()
    names = [s["name"] for s in data["steps"]]
    assert {"user_var_table", "user_feature_view", "known_users", "buyers"} <= set(names)


def test_idstitcher_report_matches_the_graph(project, tmp_path):
    html = tmp_path / "report.html"
    data = _json(cli("show", "idstitcher-report", "-p", project, "--json", "--html", html))
    report = data["reports"]["user"]
    clusters = warehouse_rows(project, "SELECT COUNT(DISTINCT user_main_id) FROM user_id_stitcher")[0][0]
    assert report["clusters"] == clusters and report["converged"] and report["passes"] > 0
    assert "<html" in html.read_text() and "user_id_stitcher" in html.read_text()


def test_entity_lookup_finds_the_whole_cluster(project):
    email, main_id = warehouse_rows(project, "SELECT other_id, user_main_id FROM user_id_stitcher "
                                    "WHERE other_id_type = 'email' ORDER BY other_id LIMIT 1")[0]
    data = _json(cli("show", "entity-lookup", email, "-p", project, "--json"))
    members = warehouse_rows(project, f"SELECT other_id FROM user_id_stitcher WHERE user_main_id = '{main_id}'")
    assert data["main_id"] == main_id and data["id_type"] == "email"
    assert sorted(m["id_value"] for m in data["members"]) == sorted(r[0] for r in members)
    assert data["features"]["user_main_id"] == main_id
    result = cli("show", "entity-lookup", "nobody@nowhere.example", "-p", project)
    assert result.exit_code == 2 and "is not in id graph" in result.stderr


def test_explain_links_two_ids_of_one_person(project):
    main_id = warehouse_rows(project, "SELECT user_main_id FROM user_id_stitcher GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")[0][0]
    ids = warehouse_rows(project, f"SELECT other_id, other_id_type FROM user_id_stitcher WHERE user_main_id = '{main_id}' ORDER BY other_id")
    (a, ta), (b, tb) = ids[0], ids[-1]
    data = _json(cli("show", "explain", a, b, "--type-a", ta, "--type-b", tb, "-p", project, "--json"))
    assert data["same_cluster"] and data["main_id1"] == main_id
    assert data["path"][0]["id1"] == a and data["path"][-1]["id2"] == b
    other = warehouse_rows(project, f"SELECT other_id, other_id_type FROM user_id_stitcher WHERE user_main_id <> '{main_id}' LIMIT 1")[0]
    apart = _json(cli("show", "explain", a, other[0], "--type-a", ta, "--type-b", other[1], "-p", project, "--json"))
    assert not apart["same_cluster"] and apart["path"] == []
    assert cli("show", "explain", a, "no-such-id", "-p", project).exit_code == 2


def test_query_resolves_derefs(project):
    data = _json(cli("query", "-p", project, '--json',
                     'select count(*) as n from {{this.DeRef("models/user_id_stitcher")}}'))
    assert data["rows"] == [[warehouse_rows(project, "SELECT COUNT(*) FROM user_id_stitcher")[0][0]]]
    pages = _json(cli("query", "-p", project, "--json", "--max-rows", "2",
                      'select message_id from {{this.DeRef("inputs/pages")}}'))
    assert len(pages["rows"]) == 2 and pages["truncated"]
    csv = cli("query", "-p", project, "--csv", 'select session_id from {{ this.DeRef("models/web_sessions") }} limit 3')
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0] == "session_id" and len(csv.stdout.splitlines()) == 4
    for bad in ("selec 1", "select * from no_such_table", 'select * from {{this.DeRef("models/nope")}}'):
        result = cli("query", "-p", project, bad)
        assert result.exit_code == 2 and "Traceback" not in result.stderr, (bad, result.stderr)
