"""Each broken project under fixtures/spec/broken/<case>/ is the base project with the case's
files laid over it; validation must report the expected message at the expected file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from profiles_pipeline.errors import SpecError
from profiles_pipeline.spec import load_project, validate_project

FIXTURES = Path(__file__).parent / "fixtures" / "spec"
CASES = sorted(p.name for p in (FIXTURES / "broken").iterdir() if p.is_dir())


def build_case(name: str, tmp_path: Path) -> tuple[Path, dict]:
    case_dir = FIXTURES / "broken" / name
    spec = YAML(typ="safe").load((case_dir / "_case.yaml").read_text())
    project = tmp_path / "project"
    if spec.get("empty"):
        project.mkdir()
        return project, spec
    shutil.copytree(FIXTURES / "base", project)
    for path in case_dir.rglob("*"):
        if path.is_file() and path.name != "_case.yaml":
            target = project / path.relative_to(case_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    for rel in spec.get("delete") or []:
        (project / rel).unlink()
    return project, spec


def test_there_are_enough_broken_cases() -> None:
    assert len(CASES) >= 28


@pytest.mark.parametrize("name", CASES)
def test_broken_case_reports_message_file_and_line(name: str, tmp_path: Path) -> None:
    project, spec = build_case(name, tmp_path)
    report = validate_project(project)
    assert not report.ok
    rendered = [f"{p.location.file}:{p.location.line} {p.message} ({p.hint})" for p in report.problems]
    for expected in spec["expect"]:
        matches = [
            p
            for p in report.problems
            if expected["message"] in f"{p.message} ({p.hint})" and p.location.file == expected["file"]
        ]
        assert matches, f"{expected['message']!r} in {expected['file']} not among:\n" + "\n".join(rendered)
        if expected["line"] is not None:
            assert expected["line"] in [p.location.line for p in matches], "\n".join(rendered)
    with pytest.raises(SpecError) as raised:
        load_project(project)
    assert raised.value.problems == report.problems
    assert raised.value.exit_code == 2


def test_several_problems_are_all_reported_in_file_order(tmp_path: Path) -> None:
    project, _ = build_case("several_problems", tmp_path)
    problems = validate_project(project).problems
    assert len(problems) == 4, "\n".join(map(str, problems))
    files = [p.location.file for p in problems]
    assert files == sorted(files)


def test_typo_in_a_key_does_not_hide_the_object(tmp_path: Path) -> None:
    """An input with a misspelt key is still known, so vars reading it get no second error."""
    project, _ = build_case("unknown_key", tmp_path)
    report = validate_project(project)
    assert [p.code for p in report.problems] == ["unknown_key"]
    assert "orders" in report.project.inputs_by_name


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    project, _ = build_case("yaml_syntax_error", tmp_path)
    (problem,) = [p for p in validate_project(project).problems if p.code == "yaml_syntax"]
    assert problem.location.line is not None and problem.location.line >= 11
    assert "column" in problem.message


def test_missing_project_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    report = validate_project(tmp_path / "nope")
    assert report.project is None
    assert "does not exist" in report.problems[0].message
    assert "pb_project.yaml" in report.problems[0].hint
