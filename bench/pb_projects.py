"""How many pb projects written by others validate here, and what blocks the rest.

    python bench/pb_projects.py FOLDER [--problems] [--json OUT]

FOLDER holds pb projects (any folder with a `pb_project.yaml`, at any depth), e.g. public ones
copied from GitHub. Each is validated as `profiles validate --no-warehouse` does (YAML, keys,
references, cycles, SQL snippets); the script prints each project's verdict with its first
problem, then the problems grouped by kind with the number of projects each blocks (a project
usually has several), so the most common blocker is fixed first.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from profiles_pipeline.spec import validate_project  # noqa: E402


def kind_of(message: str) -> str:
    """A problem's message without its names and values: the kind of problem it is (an unknown
    key or model type keeps its name: that is the kind)."""
    message = re.sub(r"^(model|input|entity var|input var) \S+: ", "", message)
    if m := re.match(r"(unknown (?:key|model_type) '[^']*')", message):
        return m.group(1)
    text = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "…", message)
    text = re.sub(r"\b\d+\b", "N", text)
    return text[:110]


def projects(folder: Path) -> list[Path]:
    return sorted({p.parent for p in folder.rglob("pb_project.yaml")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--problems", action="store_true", help="print every problem of every project")
    parser.add_argument("--json", type=Path, help="write the verdicts as JSON here")
    args = parser.parse_args()
    found = projects(args.folder)
    blocked_by: Counter[str] = Counter()
    verdicts = {}
    for root in found:
        name = str(root.relative_to(args.folder))
        try:
            report = validate_project(root)
            problems = [str(p) for p in report.problems]
            kinds = {kind_of(p.message) for p in report.problems}
        except Exception as e:  # noqa: BLE001 - a crash is a finding too
            problems, kinds = [f"CRASH {type(e).__name__}: {e}"], {f"CRASH {type(e).__name__}"}
        blocked_by.update(kinds)
        verdicts[name] = problems
        print(f"{'ok ' if not problems else 'NO '} {name}" + (f"  ({len(problems)}) {problems[0][:160]}" if problems else ""))
        if args.problems:
            for p in problems[1:]:
                print(f"      {p[:200]}")
    valid = sum(not p for p in verdicts.values())
    print(f"\n{valid} of {len(found)} projects validate\n\nproblems by kind (projects blocked):")
    for kind, count in blocked_by.most_common():
        print(f"  {count:>3}  {kind}")
    if args.json:
        args.json.write_text(json.dumps(verdicts, indent=1))


if __name__ == "__main__":
    main()
