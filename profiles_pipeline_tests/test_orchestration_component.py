"""`ProfilesProject`, the Dagster Component: two scaffolded projects declared in one dg project's
defs folder load side by side (prefixed asset keys, jobs, schedules, sensors, resources), each
job runs only its own project's assets into its own warehouse, and each asset carries a code
version and code references to the YAML that defines it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from fixtures.cli.built import cli

from profiles_pipeline.orchestration.naming import Naming
from profiles_pipeline.orchestration.partitions import range_tags
from profiles_pipeline.pipeline import build_graph
from profiles_pipeline.spec import load_project

COMPONENT = "profiles_pipeline.orchestration.component.ProfilesProject"


def _dg_project(root: Path, components: dict[str, dict]) -> Path:
    """A dg project at `root` whose defs folder declares one ProfilesProject per entry."""
    (root / "src" / "team" / "defs").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "team"\nversion = "0.1"\n\n[tool.dg]\n'
                                         'directory_type = "project"\n\n[tool.dg.project]\nroot_module = "team"\n')
    for package in (root / "src" / "team", root / "src" / "team" / "defs"):
        (package / "__init__.py").write_text("")
    for folder, attributes in components.items():
        (root / "src" / "team" / "defs" / folder).mkdir()
        lines = "".join(f"  {k}: {v}\n" for k, v in attributes.items())
        (root / "src" / "team" / "defs" / folder / "defs.yaml").write_text(f"type: {COMPONENT}\nattributes:\n{lines}")
    return root


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("team")
    for name in ("shop_a", "shop_b"):
        assert cli("init", root / name, "--users", 40, "--days", 2).exit_code == 0
    (root / "shop_b" / "pb_project.yaml").write_text(
        (root / "shop_b" / "pb_project.yaml").read_text().replace("name: shop_a", "name: shop_b"))
    return _dg_project(root / "location", {
        "shop_a": {"project_dir": "../../../../../shop_a"},
        "marketing": {"project_dir": str(root / "shop_b"), "prefix": "marketing"},
    })


@pytest.fixture(scope="module")
def defs(team, monkeypatch_module) -> dg.Definitions:
    monkeypatch_module.syspath_prepend(str(team / "src"))
    return dg.load_from_defs_folder(path_within_project=team)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_two_projects_live_in_one_location(defs):
    assert sorted(j.name for j in defs.jobs) == ["marketing__profiles_daily", "shop_a__profiles_daily"]
    assert sorted(s.name for s in defs.schedules) == ["marketing__profiles_daily_schedule",
                                                      "shop_a__profiles_daily_schedule"]
    assert {s.name for s in defs.sensors} >= {"marketing__profiles_new_events", "shop_a__profiles_new_events"}
    assert sorted(defs.resources) == ["marketing__warehouse", "shop_a__warehouse"]
    keys = {k for a in defs.assets for k in a.keys}
    assert {k.path[0] for k in keys} == {"shop_a", "marketing"}
    assert dg.AssetKey(["marketing", "features", "user"]) in keys and dg.AssetKey(["shop_a", "features", "user"]) in keys
    repo = defs.get_repository_def()
    for prefix in ("shop_a", "marketing"):
        job = repo.get_job(f"{prefix}__profiles_daily")
        selected = job.asset_layer.selected_asset_keys
        assert selected and {k.path[0] for k in selected} == {prefix}
        assert job.executor_def.name == "in_process"


def test_a_projects_job_builds_only_its_own_warehouse(defs, team):
    repo = defs.get_repository_def()
    job = repo.get_job("marketing__profiles_daily")
    first = job.partitions_def.get_first_partition_key()
    last = max(p.name.removeprefix("dt=") for p in (team.parent / "shop_b" / "data" / "landing" / "tracks").iterdir())
    with dg.instance_for_test() as instance:  # a backfill of the days with data, as one run
        result = job.execute_in_process(instance=instance, tags=range_tags(date.fromisoformat(first),
                                                                           date.fromisoformat(last)))
        assert result.success
        built = {e.asset_key for e in result.get_asset_materialization_events()}
        assert built and {k.path[0] for k in built} == {"marketing"}
        materialization = instance.get_latest_materialization_event(dg.AssetKey(["marketing", "features", "user"]))
        graph = build_graph(load_project(team.parent / "shop_b"))
        version = next(s.code_version for s in graph.steps if s.path == "features/user")
        assert materialization.asset_materialization.tags["dagster/code_version"] == version
    root = team.parent
    con = duckdb.connect(str(root / "shop_b" / "data" / "profiles.duckdb"), read_only=True)
    assert con.execute("SELECT COUNT(*) FROM user_feature_view").fetchone()[0] > 0
    con.close()
    assert not (root / "shop_a" / "data" / "profiles.duckdb").exists()


def test_assets_link_to_the_yaml_that_defines_them(defs, team):
    spec = next(a.specs_by_key[k] for a in defs.assets for k in a.keys
                if k == dg.AssetKey(["shop_a", "inputs", "tracks"]))
    refs = spec.metadata["dagster/code_references"].code_references
    [ref] = [r for r in refs if r.file_path.endswith(".yaml") and "defs.yaml" not in r.file_path]  # Dagster adds defs.yaml
    lines = Path(ref.file_path).read_text().splitlines()
    assert ref.file_path.endswith("models/inputs.yaml") and lines[ref.line_number - 1].strip() == "- name: tracks"
    assert spec.code_version


def test_code_version_follows_meaning_not_layout(tmp_path):
    project = tmp_path / "p"
    assert cli("init", project, "--users", 5, "--days", 1).exit_code == 0
    shutil.rmtree(project / "data")

    def versions() -> dict[str, str | None]:
        return {s.path: s.code_version for s in build_graph(load_project(project), warehouse_kind="duckdb").steps}

    before = versions()
    inputs = project / "models" / "inputs.yaml"
    inputs.write_text("# a comment changes nothing\n" + inputs.read_text())
    assert versions() == before
    models = next(p for p in (project / "models").glob("*.yaml") if "var_groups" in p.read_text())
    text = models.read_text()
    select = next(line for line in text.splitlines() if "select: count(" in line)
    models.write_text(text.replace(select, select.replace("count(", "count(distinct "), 1))
    after = versions()
    changed = {path for path in before if before[path] != after[path]}
    assert changed and all(p.startswith("features/") for p in changed), changed


def test_a_bad_prefix_is_named():
    with pytest.raises(Exception, match="letters, digits and underscores"):
        Naming("my-shop")
