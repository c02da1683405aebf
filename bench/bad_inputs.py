"""Bad inputs as a user brings them: each case breaks a copy of the sample landing zone, runs
`profiles run` as a fresh process, and prints its exit code, its message and whether the
published outputs stayed as they were.

    python bench/bad_inputs.py [--users 300] [--days 5] [--only CASE]

The cases (see `CASES`) break the day after the published ones, as new data would arrive, except
where the case says otherwise. "outputs intact" compares every published table (the readers'
copy) before and after the run: a run that fails must publish nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from profiles_pipeline_tests.fixtures.bad_files import CASES, published_digest  # noqa: E402 - the cases the tests use too

PROFILES = [sys.executable, "-m", "profiles_pipeline.cli.main"]


def profiles(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    return subprocess.run([*PROFILES, *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def run_case(name: str, base: Path, workdir: Path, new_day: date) -> dict:
    project = workdir / name.replace(" ", "_")
    shutil.copytree(base, project)
    before = published_digest(project)
    profiles("sample-data", "append", "-p", str(project), "--day", str(new_day), cwd=REPO)
    CASES[name][1](project, new_day)
    result = profiles("run", "-p", str(project), cwd=REPO)
    after = published_digest(project)
    text = (result.stdout + result.stderr).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("error")), None)
    said = next((i for i, ln in enumerate(lines) if "left out" in ln or "ids dropped" in ln), None)
    key = (lines[start:start + 4] if start is not None else lines[said:said + 3] if said is not None else [])
    message = " ".join(" / ".join(key).replace(f"{project}/", "").split())
    return {"case": name, "what": CASES[name][0], "exit": result.returncode,
            "message": message[:700] or "(no message)", "intact": before == after,
            "traceback": "Traceback" in text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--only", action="append")
    parser.add_argument("--markdown", action="store_true", help="one table row per case (the README's table)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profiles-bad-inputs-") as tmp:
        base = Path(tmp) / "base"
        shutil.copytree(REPO / "config", base, ignore=shutil.ignore_patterns("data"))
        profiles("sample-data", "generate", "-p", str(base), "--users", str(args.users), "--days", str(args.days),
                 cwd=REPO).check_returncode()
        first = profiles("run", "-p", str(base), cwd=REPO)
        assert first.returncode == 0, first.stdout + first.stderr
        start = date.fromisoformat("2026-01-01")
        new_day = start + timedelta(days=args.days)
        for name in args.only or CASES:
            row = run_case(name, base, Path(tmp), new_day)
            if args.markdown:
                text = row["message"].replace("|", "\\|")
                print(f"| {row['what']} | {row['exit']} | {text[:260] + ('…' if len(text) > 260 else '')} | "
                      f"{'unchanged' if row['intact'] else 'updated'}{' (TRACEBACK)' if row['traceback'] else ''} |")
                continue
            print(f"## {row['case']}\n  {row['what']}\n  exit {row['exit']}; published outputs "
                  f"{'unchanged' if row['intact'] else 'updated'}; traceback: {row['traceback']}")
            print(textwrap.indent(textwrap.fill(row["message"], 100), "  > "))


if __name__ == "__main__":
    main()
