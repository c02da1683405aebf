"""The untuned scaffold stitches well, as a new user runs it: `profiles init`, sample data of 400
people over 120 days, `profiles run` (the console script). Without our `unique` key the run still
works with pb's semantics and warns, naming the key that would fix it."""

from __future__ import annotations

import re

import pytest
from fixtures.cli.built import profiles

_SCORES = re.compile(r"B-cubed ([0-9.]+) / ([0-9.]+); recall ceiling ([0-9.]+), so ([0-9.]+)% of what the edges allow")


def _scores(stdout: str) -> tuple[float, float, float, float]:
    found = _SCORES.search(" ".join(stdout.split()))
    assert found, stdout[-3000:]
    precision, recall, ceiling, share = (float(x) for x in found.groups())
    return precision, recall, ceiling, share / 100


@pytest.mark.slow
def test_untuned_scaffold_reaches_the_quality_targets(tmp_path):
    project = tmp_path / "shop"
    assert profiles("init", project, cwd=tmp_path).returncode == 0
    gen = profiles("sample-data", "generate", "-p", project, "--users", "400", "--days", "120", cwd=tmp_path, timeout=300)
    assert gen.returncode == 0, gen.stderr[-2000:]
    run = profiles("run", "-p", project, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    precision, recall, ceiling, share = _scores(run.stdout)
    assert precision >= 0.98 and share >= 0.98, (precision, recall, ceiling)
    assert "one_value_of_unique_looking_id_types" not in run.stdout

    # pb's semantics (no `unique` key): it runs, profiles hold several user ids, and it says so.
    yaml = project / "pb_project.yaml"
    yaml.write_text(yaml.read_text().replace("    unique: true\n", ""))
    run = profiles("run", "-p", project, "--rebase", cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    text = " ".join(run.stdout.split())
    assert "warning" in text and "one_value_of_unique_looking_id_types" in text
    assert re.search(r"\d+ profiles hold several user_id: declare `unique: true` on id type user_id", text), text[-2000:]
    assert _scores(run.stdout)[0] < precision
