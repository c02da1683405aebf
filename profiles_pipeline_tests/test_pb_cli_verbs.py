"""pb's other verbs, on one scaffolded and built project: `discover`, `audit id_stitcher`,
`validate access`, `cleanup materials`, `show dataflow`. Each answer is checked against the
warehouse the run built, read directly with duckdb (or the landing files with pandas)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import pandas as pd
import pytest
from fixtures.cli.built import built_project, cli, copy_project, warehouse_rows
from fixtures.cli.built import json_output as _json

from profiles_pipeline.warehouse.connection_config import SnowflakeConnectionConfig


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return built_project(tmp_path_factory)


def test_discover_entities_counts_the_profiles(project):
    found = _json(cli("discover", "entities", "-p", project, "--json"))["entities"]
    (rows,) = warehouse_rows(project, "SELECT COUNT(*) FROM user_feature_view")
    assert found == [{"entity": "user", "id_types": "user_id, anonymous_id, email", "main_id": "user_main_id",
                      "id_stitcher": "user_id_stitcher", "feature_view": "user_feature_view", "profiles": rows[0]}]


def test_discover_features_lists_every_var_and_feature_view_column(project):
    found = _json(cli("discover", "features", "-p", project, "--json"))["features"]
    columns = {c for (c,) in warehouse_rows(project, "SELECT column_name FROM information_schema.columns "
                                                     "WHERE table_name = 'user_feature_view'")}
    in_view = {f["feature"] for f in found if f["in_feature_view"]}
    assert in_view and in_view <= columns
    assert {f["feature"] for f in found if not f["in_feature_view"]}.isdisjoint(columns)
    assert {f["kind"] for f in found} <= {"entity_var", "input_var"}


def test_discover_materials_says_what_exists_with_its_rows(project, tmp_path):
    out = tmp_path / "materials.csv"
    found = _json(cli("discover", "materials", "-p", project, "--json", "-f", out))["materials"]
    kinds = dict(warehouse_rows(project, "SELECT table_name, table_type FROM information_schema.tables"))
    assert {m["material"] for m in found} >= {"user_feature_view", "user_id_stitcher", "known_users"}
    for m in found:
        assert m["built"] == (m["material"] in kinds), m
        if m["built"]:
            (n,) = warehouse_rows(project, f'SELECT COUNT(*) FROM "{m["material"]}"')[0]
            assert m["rows"] == n and m["kind"] == kinds[m["material"]].lower().replace("base ", ""), m
    with out.open() as f:
        assert [r["material"] for r in csv.DictReader(f)] == [m["material"] for m in found]


def test_discover_sources_counts_each_inputs_rows_from_its_files(project):
    found = {s["source"]: s for s in _json(cli("discover", "sources", "-p", project, "--json"))["sources"]}
    assert set(found) == {"identifies", "tracks", "pages", "order_completed"}
    for name, source in found.items():
        files = list((project / "data" / "landing" / name).rglob("*.parquet"))
        assert source["rows"] == sum(len(pd.read_parquet(f)) for f in files), name
        assert source["occurred_at_col"] == "timestamp"


def test_discover_models_follows_show_models(project):
    models = [m["model"] for m in _json(cli("discover", "models", "-p", project, "--json"))["models"]]
    shown = [m["path"] for m in _json(cli("show", "models", "-p", project, "--json"))["models"]]
    assert models == shown


def test_audit_id_stitcher_figures_equal_the_id_graph(project, tmp_path):
    page = tmp_path / "audit.html"
    data = _json(cli("audit", "id_stitcher", "-p", project, "--json", "--html", page, "--top", "5"))
    audit = data["audits"]["user_id_stitcher"]
    graph = pd.DataFrame(warehouse_rows(project, "SELECT user_main_id, other_id, other_id_type FROM user_id_stitcher"),
                         columns=["main", "id", "type"])
    assert audit["ids"] == len(graph) and audit["profiles"] == graph["main"].nunique()
    assert audit["coverage"] == graph.groupby("type")["main"].nunique().to_dict()
    nodes = warehouse_rows(project, "SELECT id_value, id_type, degree FROM user_id_stitcher__nodes "
                                    "WHERE degree > 0 ORDER BY degree DESC, id_type, id_value LIMIT 5")
    assert [(b["id_value"], b["id_type"], b["degree"]) for b in audit["busiest"]] == [tuple(n) for n in nodes]
    picture = audit["largest_cluster"]
    largest = graph.groupby("main").size().max()
    assert len(picture["nodes"]) == largest and len(picture["links"]) >= largest - 1
    # a bridge id splits its cluster: without it, the kept links no longer reach every other id
    links = defaultdict(set)
    for a, b in picture["links"]:
        links[a].add(b)
        links[b].add(a)
    for bridge in map(tuple, picture["bridges"]):
        cut = next(i for i, n in enumerate(picture["nodes"]) if (n[0], n[1]) == bridge)
        start = next(i for i in range(len(picture["nodes"])) if i != cut)
        seen, todo = {start}, [start]
        while todo:
            for nxt in links[todo.pop()] - seen - {cut}:
                seen.add(nxt)
                todo.append(nxt)
        assert len(seen) < len(picture["nodes"]) - 1, bridge
    text = page.read_text()
    assert data["html"] == [str(page)] and "<svg" in text and "Coverage by id type" in text


def test_audit_before_a_run_says_to_run_first(tmp_path):
    assert cli("init", tmp_path / "fresh", "--users", 5, "--days", 1).exit_code == 0
    result = cli("audit", "id_stitcher", "-p", tmp_path / "fresh")
    assert result.exit_code == 2 and "profiles run" in result.stderr


def test_validate_access_tries_every_privilege_and_leaves_nothing(project, tmp_path):
    grants = tmp_path / "grants.sql"
    data = _json(cli("validate", "access", "-p", project, "--json", "--output", grants))
    assert data["ok"] and [c["what"] for c in data["checks"]] == (
        ["open"] + ["read input"] * 4 + ["create table", "create view", "replace table", "drop"])
    tables = [t for (t,) in warehouse_rows(project, "SELECT table_name FROM information_schema.tables")]
    assert not [t for t in tables if "access_probe" in t]
    assert grants.read_text() == "-- nothing to grant\n"


def test_validate_access_names_the_input_it_cannot_read(project, tmp_path):
    broken = copy_project(project, tmp_path / "broken", warehouse=True)
    inputs = broken / "models" / "inputs.yaml"
    inputs.write_text(inputs.read_text().replace("rudder_events.website.pages", "rudder_events.website.pagez"))
    result = cli("validate", "access", "-p", broken, "--json")
    assert result.exit_code == 2
    refused = [c for c in json.loads(result.stdout)["checks"] if not c["ok"]]
    assert [(c["what"], c["target"].split(":")[0]) for c in refused] == [("read input", "pages")]
    assert "pagez" in refused[0]["detail"]


def test_snowflake_grants_name_the_role_and_the_objects():
    config = SnowflakeConnectionConfig(account="acme", user="u", role="PROFILES", database="DB", schema="OUT",
                                       password_env="SF_PASSWORD")
    assert config.grant_to_read("RAW.EVENTS.TRACKS") == (
        "GRANT USAGE ON DATABASE RAW TO ROLE PROFILES; GRANT USAGE ON SCHEMA RAW.EVENTS TO ROLE PROFILES; "
        "GRANT SELECT ON TABLE RAW.EVENTS.TRACKS TO ROLE PROFILES;")
    assert "CREATE TABLE, CREATE VIEW ON SCHEMA DB.OUT TO ROLE PROFILES" in config.grant_to_write()


def test_cleanup_materials_is_cleanup(project):
    plain = _json(cli("cleanup", "-p", project, "--dry-run", "--json"))
    assert _json(cli("cleanup", "materials", "-p", project, "--dry-run", "--json")) == plain
    bad = cli("cleanup", "everything", "-p", project)
    assert bad.exit_code == 2 and "materials" in bad.stderr


def test_show_dataflow_lists_readers_and_dependencies_lists_what_is_read(project):
    flow = cli("show", "dataflow", "-p", project)
    deps = cli("show", "dependencies", "-p", project)
    assert flow.exit_code == deps.exit_code == 0
    assert "→ identity/user_id_stitcher/edges" in flow.stdout and "←" not in flow.stdout
    assert "← inputs/identifies" in deps.stdout and "→" not in deps.stdout
