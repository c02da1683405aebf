"""Every `profiles ...` line of the README's "A tour for newcomers" runs and exits 0.

The lines run in order in a temp folder, as the console script. `profiles ui` is started on a
free port, must answer HTTP, and is then stopped. The placeholder email of the look-up line is
replaced by an email the scaffolded sample data holds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from fixtures.cli.built import (
    console_script,
    free_port,
    profiles,
    start_in_group,
    stop_group,
    wait_for_http,
    warehouse_rows,
)

README = Path(__file__).resolve().parents[1] / "README.md"
PLACEHOLDER_EMAIL = "someone@example.com"


def tour_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## A tour for newcomers", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "no ```bash block under '## A tour for newcomers'"
    commands = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "profiles":
            commands.append(words[1:])
    return commands


def test_the_tour_has_the_newcomer_steps():
    verbs = [c[0] for c in tour_commands()]
    assert verbs[:3] == ["init", "validate", "run"] and "show" in verbs and verbs[-1] == "ui"


def _project_dir(commands: list[list[str]]) -> str:
    init = next(c for c in commands if c[0] == "init")
    return init[1]


@pytest.mark.slow
def test_every_tour_command_exits_0(tmp_path):
    commands = tour_commands()
    name = _project_dir(commands)
    for args in commands:
        args = [str(tmp_path / name) if a == name else a for a in args]
        if PLACEHOLDER_EMAIL in args:
            email = warehouse_rows(tmp_path / name, "SELECT MIN(other_id) FROM user_id_stitcher "
                                   "WHERE other_id_type = 'email'")[0][0]
            args = [email if a == PLACEHOLDER_EMAIL else a for a in args]
        if args[0] == "ui":
            _check_ui(args, tmp_path)
            continue
        result = profiles(*args, cwd=tmp_path, timeout=300)
        assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])


def _check_ui(args: list[str], tmp_path: Path) -> None:
    port = free_port()
    proc = start_in_group([*console_script(), *args, "--port", str(port)], tmp_path / "ui.log", cwd=tmp_path)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/server_info", proc, timeout=120)
    finally:
        stop_group(proc)
