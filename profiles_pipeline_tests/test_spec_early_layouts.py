"""pb's early schemas (schema_version 18–44, as public projects still write them) read as the
current layout, the way `pb migrate` would rewrite them: inputs with `table:` and `ids:` beside
`name:`, `profile:` for the connection, edge sources as bare paths, a feature_table_model
declaring its vars inline (`model_spec.vars` with `entityvar:`), `{{timestamp}}` for end_time.

The example project rewritten that way validates and computes the same outputs as the original
on the same sample data."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import duckdb
from ruamel.yaml import YAML

from profiles_pipeline.spec import validate_project
from profiles_pipeline_tests.fixtures.reliability import outputs_digest, profiles

REPO = Path(__file__).resolve().parents[1]
yaml = YAML()


def _edit(path: Path, change) -> None:
    doc = yaml.load(path.read_text())
    change(doc)
    out = io.StringIO()
    yaml.dump(doc, out)
    path.write_text(out.getvalue())


def _early(doc: dict) -> None:
    for i, inp in enumerate(doc["inputs"]):
        defaults = inp.pop("app_defaults")
        if i == 0:  # schema 40: the source under app_defaults, the ids beside it
            inp["ids"] = defaults.pop("ids")
            inp["app_defaults"] = defaults
        else:  # schema 18: table:, occurred_at_col:, ids: beside name:
            inp.update(defaults)


def _early_models(doc: dict) -> None:
    stitcher = next(m for m in doc["models"] if m["model_type"] == "id_stitcher")
    sources = [s["from"] for s in stitcher["model_spec"]["edge_sources"]]
    # schema 18 names an input alone; later early schemas list bare paths
    stitcher["model_spec"]["edge_sources"] = [{"input": sources[0].split("/")[-1]}, *sources[1:]]
    table = next(m for m in doc["models"] if m["model_type"] == "feature_table_model")
    group = doc["var_groups"].pop(0)  # its vars move into the feature table, spelled entityvar:
    early_names = {"entity_var": "entityvar", "input_var": "inputvar"}
    table["model_spec"]["vars"] = [{early_names[k]: v for k, v in entry.items()} for entry in group["vars"]]
    for entry in table["model_spec"]["vars"]:
        [body] = entry.values()
        for key in ("select", "where"):
            if isinstance(body.get(key), str):
                body[key] = body[key].replace("end_time", "timestamp")


def early_copy(target: Path) -> Path:
    shutil.copytree(REPO / "config", target, ignore=shutil.ignore_patterns("data", "output"))
    _edit(target / "models" / "inputs.yaml", _early)
    _edit(target / "models" / "profiles.yaml", _early_models)
    _edit(target / "pb_project.yaml", lambda d: d.insert(2, "profile", d.pop("connection")))
    return target


def test_early_layout_reads_as_the_current_one(tmp_path: Path) -> None:
    project = early_copy(tmp_path / "early")
    text = (project / "models" / "profiles.yaml").read_text()
    assert "entityvar:" in text and "- input: identifies" in text and "- inputs/tracks" in text  # early layouts
    assert (project / "models" / "inputs.yaml").read_text().count("app_defaults") == 1
    report = validate_project(project)
    assert report.ok, [str(p) for p in report.problems]
    current = validate_project(REPO / "config").project
    early = report.project
    assert early.config.connection == "local"
    def source(inp) -> tuple:
        return inp.occurred_at, inp.app_defaults.model_dump(exclude={"occurred_at_col"})

    assert [source(i) for i in early.inputs] == [source(i) for i in current.inputs]
    assert sorted(v.name for g in early.var_groups for v in g.variables) == \
        sorted(v.name for g in current.var_groups for v in g.variables)
    assert any(g.name == "user_profile_vars" for g in early.var_groups)


def test_an_early_layout_error_points_at_its_line(tmp_path: Path) -> None:
    project = early_copy(tmp_path / "early")
    path = project / "models" / "profiles.yaml"
    path.write_text(path.read_text().replace("entityvar:", "entityvar_typo:", 1))
    report = validate_project(project)
    [problem] = [p for p in report.problems if "entityvar_typo" in str(p)]
    assert problem.location.file == "models/profiles.yaml" and problem.location.line > 1
    assert "model_spec.vars[0]" in str(problem)


def test_an_id_beside_app_defaults_is_located_on_its_line(tmp_path: Path) -> None:
    """Schema 40's `ids:` beside `app_defaults:` move under it; a problem in one still names its
    own file and line (it used to say `<project> at type`)."""
    project = early_copy(tmp_path / "early")
    path = project / "models" / "inputs.yaml"
    text = path.read_text()
    path.write_text(text.replace("type: user_id", "type: user_idd", 1))
    [problem] = [p for p in validate_project(project).problems if "user_idd" in p.message]
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if "user_idd" in t)
    assert (problem.location.file, problem.location.line) == ("models/inputs.yaml", line), problem
    assert problem.location.yaml_path.startswith("inputs[0].ids[")


def test_early_layout_runs_to_the_same_outputs(tmp_path: Path) -> None:
    early, current = early_copy(tmp_path / "early"), tmp_path / "current"
    shutil.copytree(REPO / "config", current, ignore=shutil.ignore_patterns("data", "output"))
    for project in (early, current):
        done = profiles(project, "sample-data", "generate", "-p", project, "--users", 150, "--days", 3)
        assert done.returncode == 0, done.stderr
        done = profiles(project, "run", "-p", project)
        assert done.returncode == 0, done.stdout + done.stderr
    a, b = outputs_digest(early), outputs_digest(current)
    # the var table and views hold the same values; only the definitions' fingerprint differs
    assert {k: v for k, v in a.items() if k != "profiles__definitions"} == \
        {k: v for k, v in b.items() if k != "profiles__definitions"}
    con = duckdb.connect(str(early / "data" / "profiles.published.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM user_profile").fetchone()[0] > 0
    con.close()


def test_python_model_types_are_named_as_such(tmp_path: Path) -> None:
    """A Python model (pb's python_model, or a type a package registers) is a validate error
    that names the model and says this engine does not run Python models; never skipped silently."""
    project = tmp_path / "p"
    shutil.copytree(REPO / "config", project, ignore=shutil.ignore_patterns("data", "output"))
    (project / "models" / "ml.yaml").write_text(
        "models:\n  - name: churn_model\n    model_type: python_model\n    model_spec:\n      occurred_at_col: ts\n"
        "  - name: my_union\n    model_type: made_up_type\n    model_spec: {}\n")
    problems = [str(p) for p in validate_project(project).problems]
    assert any(p.startswith("models/ml.yaml:2") and "model churn_model: model_type 'python_model' is a Python "
               "model type" in p and "does not run Python models" in p for p in problems), problems
    assert any("model my_union: unknown model_type 'made_up_type'" in p and "python_requirements" in p
               for p in problems), problems
    done = profiles(project, "validate", "-p", project, "--no-warehouse")
    assert done.returncode == 2 and "churn_model" in done.stderr and "Traceback" not in done.stderr


def test_inline_macros_and_macros_declared_twice_alike(tmp_path: Path) -> None:
    """pb's sample projects declare macros inside a feature_table_model's model_spec, and the
    same macro twice in one file: both read as one project macro; two different definitions
    under one name stay an error."""
    project = early_copy(tmp_path / "early")
    macro = {"name": "days_to_end", "inputs": ["column"], "value": "datediff(day, {{column}}, {{end_time_sql}})"}

    def inline(doc: dict) -> None:
        table = next(m for m in doc["models"] if m["model_type"] == "feature_table_model")
        table["model_spec"]["macros"] = [dict(macro)]

    _edit(project / "models" / "profiles.yaml", inline)
    macros = project / "models" / "macros.yaml"
    _edit(macros, lambda doc: doc["macros"].append(dict(macro)))
    report = validate_project(project)
    assert report.ok, [str(p) for p in report.problems]
    assert [m.name for m in report.project.macros].count("days_to_end") == 2
    macros.write_text(macros.read_text().replace("{{end_time_sql}})", "current_date)"))
    assert any("duplicate macro 'days_to_end'" in str(p) for p in validate_project(project).problems)


def test_a_mapping_where_a_name_belongs_says_so(tmp_path: Path) -> None:
    """An early feature table lists `tablevar:` mappings where names belong: the problem says what
    was expected and what to write (it said pydantic's "Input should be a valid string")."""
    project = tmp_path / "p"
    shutil.copytree(REPO / "config", project, ignore=shutil.ignore_patterns("data", "output"))
    path = project / "models" / "profiles.yaml"
    text = path.read_text()
    assert "      features:\n        - first_seen\n" in text
    path.write_text(text.replace("      features:\n        - first_seen\n",
                                 "      features:\n        - tablevar:\n            name: first_seen\n", 1))
    [problem] = validate_project(project).problems
    assert "'features' item 0 must be a text value, got" in problem.message and "tablevar" in problem.message
    assert "write each as an entity_var" in problem.hint and problem.location.file == "models/profiles.yaml"


def test_migrate_writes_the_current_layout_and_keeps_comments(tmp_path: Path) -> None:
    """`profiles migrate auto` (pb's `pb migrate auto`) rewrites the early project into a copy:
    the copy reads as the current layout without the early readers' help, keeps comments, and a
    second migration finds nothing; `migrate manual` names each step by file and line."""
    early = early_copy(tmp_path / "early")
    before = {p: p.read_text() for p in early.rglob("*.yaml")}
    listed = profiles(early, "migrate", "manual", "-p", early, "--json")
    assert listed.returncode == 0, listed.stderr
    steps = __import__("json").loads(listed.stdout)["steps"]
    inputs_text = (early / "models" / "inputs.yaml").read_text().splitlines()
    tracks = next(s for s in steps if s["what"].startswith("input tracks:"))
    assert inputs_text[tracks["line"] - 1].strip().startswith("table: rudder_events.website.tracks")
    assert {s["file"] for s in steps} == {"models/inputs.yaml", "models/profiles.yaml", "pb_project.yaml"}
    assert {p: p.read_text() for p in early.rglob("*.yaml")} == before  # manual writes nothing

    migrated = tmp_path / "migrated"
    done = profiles(early, "migrate", "auto", "-p", early, "-d", migrated)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {p: p.read_text() for p in early.rglob("*.yaml")} == before  # the original is untouched
    inputs = yaml.load((migrated / "models" / "inputs.yaml").read_text())["inputs"]
    assert all(set(i) & {"table", "ids"} == set() and "ids" in i["app_defaults"] for i in inputs)
    profiles_text = (migrated / "models" / "profiles.yaml").read_text()
    assert "entityvar" not in profiles_text and "- input:" not in profiles_text
    assert "connection: local" in (migrated / "pb_project.yaml").read_text()
    assert "# Event tables as RudderStack writes them" in (migrated / "models" / "inputs.yaml").read_text()
    report = validate_project(migrated)
    assert report.ok, [str(p) for p in report.problems]
    current = validate_project(REPO / "config").project
    def source(inp) -> tuple:  # where the event time is written (input or app_defaults) is free
        return inp.name, inp.occurred_at, inp.app_defaults.model_dump(exclude={"occurred_at_col"})

    assert [source(i) for i in report.project.inputs] == [source(i) for i in current.inputs]
    assert sorted(v.name for g in report.project.var_groups for v in g.variables) == \
        sorted(v.name for g in current.var_groups for v in g.variables)
    again = profiles(migrated, "migrate", "auto", "-p", migrated, "--inplace")
    assert again.returncode == 0 and "Nothing to migrate" in again.stdout
    refused = profiles(early, "migrate", "auto", "-p", early, "-d", migrated)
    assert refused.returncode == 2 and "not empty" in refused.stderr and "Traceback" not in refused.stderr
