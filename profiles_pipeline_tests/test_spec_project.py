"""The example project in config/ and the base fixture load, and the accessors later layers use
return what the YAML says."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from profiles_pipeline.errors import UserError
from profiles_pipeline.spec import (
    EntityCohortModel,
    EntityVar,
    IdStitcherModel,
    InputVar,
    PropensityModel,
    SqlTemplateModel,
    load_project,
    project_json_schema,
    validate_project,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
BASE = Path(__file__).parent / "fixtures" / "spec" / "base"


@pytest.fixture(scope="module")
def example():
    return load_project(CONFIG)


def test_example_project_validates_with_expected_summary() -> None:
    report = validate_project(CONFIG)
    assert report.problems == []
    assert report.summary == {
        "entities": 1,
        "id_types": 3,
        "inputs": 4,
        "models": {"id_stitcher": 1, "sql_template": 1, "entity_cohort": 2, "feature_table_model": 1, "propensity": 1,
                   "activation": 2},
        "vars": {"entity_var": 26, "input_var": 2},
        "macros": 2,
        "cohorts": 2,
        "feature_views": 2,
        "files": 4,
    }


def test_project_settings_and_extensions(example) -> None:
    assert example.name == "customer_360"
    assert example.sql_dialect == "snowflake"
    assert example.landing_zone_path == (CONFIG / "data" / "landing").resolve()
    user = example.entity("user")
    assert user.main_id_column == "user_main_id"
    assert [v.id for v in user.feature_views.using_ids] == ["email"]
    with pytest.raises(UserError, match="unknown entity 'account'"):
        example.entity("account")


def test_id_types_filters_and_edge_limits(example) -> None:
    id_types = example.id_types_by_name
    assert id_types["user_id"].max_edges_map == {"email": 2}
    assert id_types["anonymous_id"].max_edges_map == {"user_id": 1, "email": 1}
    assert id_types["email"].max_edges_map == {"user_id": 1}
    assert id_types["anonymous_id"].hub_threshold == 100
    email_filters = example.id_type_filters("email")
    assert [f.value for f in email_filters if f.type == "exclude"] == ["", "test@company.com"]
    assert email_filters[-1].regex.startswith("^[A-Za-z0-9")


def test_inputs_sources_ids_and_where(example) -> None:
    orders = example.inputs_by_name["order_completed"]
    assert orders.source_kind == "table"
    assert orders.table_basename == "order_completed"
    assert orders.occurred_at == "timestamp"
    assert orders.where_sql == "revenue > 0"
    identifies = example.inputs_by_name["identifies"]
    assert identifies.ids_for("user")[2].select == "lower(coalesce(email, context_traits_email))"
    assert identifies.location.file == "models/inputs.yaml"
    assert identifies.location.line == 4


def test_stitcher_and_edge_sources(example) -> None:
    stitcher = example.stitcher_model("user")
    assert isinstance(stitcher, IdStitcherModel)
    assert example.stitcher_name("user") == "user_id_stitcher"
    assert example.edge_sources_for("user") == [
        "inputs/identifies", "inputs/tracks", "inputs/pages", "inputs/order_completed",
    ]


def test_vars_in_declaration_order_with_group_and_location(example) -> None:
    names = [v.name for v in example.vars_for("user")]
    assert names[:4] == ["first_seen_tracks", "first_seen_pages", "last_seen_tracks", "last_seen_pages"]
    assert names[-1] == "is_business_email"
    page_number = example.var("user", "session_page_number")
    assert isinstance(page_number, InputVar)
    assert page_number.window.partition_by == ["context_session_id"]
    revenue = example.var("user", "total_revenue")
    assert isinstance(revenue, EntityVar) and revenue.var_group == "user_orders"
    assert revenue.default_value == 0 and revenue.is_feature and not revenue.is_derived
    assert example.var("user", "avg_order_value").is_derived
    select = revenue.loc_of("select")
    assert (select.file, select.yaml_path) == ("models/profiles.yaml", "var_groups[1].vars[0].entity_var.select")
    text = (CONFIG / select.file).read_text().splitlines()[select.line - 1]
    assert "sum(revenue)" in text


def test_cohorts_chain_and_filter_sql(example) -> None:
    chain = example.cohort_chain("high_value_known_users")
    assert [c.name for c in chain] == ["known_users", "high_value_known_users"]
    assert all(isinstance(c, EntityCohortModel) for c in chain)
    assert example.cohort_entity("high_value_known_users") == "user"
    sql = chain[1].model_spec.filter_sql()
    assert sql.startswith('({{user.Var("total_revenue")}} >= 200) AND NOT (')


def test_sql_template_and_feature_table(example) -> None:
    sessions = example.models_by_name["web_sessions"]
    assert isinstance(sessions, SqlTemplateModel)
    assert sessions.model_spec.materialization.output_type == "ephemeral"
    assert example.resolve("models/web_sessions") is sessions
    assert example.resolve("inputs/tracks") is example.inputs_by_name["tracks"]
    assert example.models_by_name["user_profile"].model_spec.features[0] == "first_seen"


def test_base_fixture_has_propensity_and_filter_expression() -> None:
    project = load_project(BASE)
    model = project.models_by_name["buyer_propensity"]
    assert isinstance(model, PropensityModel)
    assert model.model_spec.training.predict_window_days == 30
    assert model.model_spec.prediction.output_columns.score.is_feature is False
    assert project.models_by_name["big_buyers"].model_spec.filter_sql() == '(({{user.Var("total_revenue")}} > 100))'
    assert project.inputs_by_name["orders"].source_kind == "path"


def test_every_yaml_file_in_nested_folders_is_loaded(tmp_path: Path) -> None:
    project_dir = tmp_path / "p"
    shutil.copytree(BASE, project_dir)
    nested = project_dir / "models" / "extra" / "deeper"
    nested.mkdir(parents=True)
    (nested / "more.yml").write_text(
        "macros:\n  - name: double\n    inputs: [x]\n    value: '{{x}} * 2'\n"
    )
    project = load_project(project_dir)
    assert "double" in project.macros_by_name
    assert project.macros_by_name["double"].location.file == "models/extra/deeper/more.yml"


def test_json_schema_covers_both_file_kinds() -> None:
    schema = project_json_schema()
    json.dumps(schema)
    defs = schema["$defs"]
    assert {"ProjectConfig", "ModelFile", "EntityVar", "IdStitcherModel"} <= set(defs)
    assert defs["ProjectConfig"]["additionalProperties"] is False
    assert "sql_dialect" in defs["ProjectConfig"]["properties"]
    assert "from" in defs["EntityVar"]["properties"]
    assert "_location" not in json.dumps(schema)
