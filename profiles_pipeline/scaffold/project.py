"""Write the template project into a folder and generate its landing zone of sample events.

The templates are plain files in `templates/` (package data), copied as they are except for
the project name, so what a newcomer reads is what the engine runs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from profiles_pipeline.errors import UserError

TEMPLATES = Path(__file__).parent / "templates"
#: Dagster instance settings for `profiles ui` when the repository's own copy is not at hand.
NAME_TOKEN = "__PROJECT_NAME__"
GITIGNORE = "# Built by `profiles run`, `profiles compile` and `profiles sample-data`; not source.\ndata/\noutput/\n"


@dataclass(frozen=True)
class ScaffoldResult:
    root: Path
    name: str
    files: list[Path]  # relative to root
    landing_zone: Path
    rows: dict[str, int]
    days: int


def project_name_for(folder: Path) -> str:
    """A SQL-identifier-safe project name from the folder name (`my-shop` -> `my_shop`)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", folder.resolve().name).strip("_").lower() or "profiles_project"
    return name if not name[0].isdigit() else f"p_{name}"


def _check_target(root: Path, force: bool) -> None:
    if root.exists() and not root.is_dir():
        raise UserError(f"{root} exists and is not a folder; choose another path")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise UserError(f"{root} is not empty; choose a new folder, or pass --force to write the "
                        "project files into it (files of the same name are overwritten)")


def _template_files() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_file() and p.suffix == ".yaml")


def scaffold_project(
    root: Path,
    *,
    users: int = 500,
    days: int = 7,
    seed: int = 42,
    start_date: date = date(2026, 1, 1),
    force: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ScaffoldResult:
    """Create the project in `root` (must be new or empty unless `force`) with sample data."""
    from profiles_pipeline import sample_data

    root = Path(root).resolve()
    _check_target(root, force)
    if users < 1 or days < 1:
        raise UserError(f"--users ({users}) and --days ({days}) must be at least 1")
    name = project_name_for(root)
    written = []
    for src in _template_files():
        dest = root / src.relative_to(TEMPLATES)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(src.read_text(encoding="utf-8").replace(NAME_TOKEN, name), encoding="utf-8")
        written.append(dest)
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(GITIGNORE, encoding="utf-8")
        written.append(gitignore)
    landing = root / "data" / "landing"
    summary = sample_data.generate(landing, users=users, days=days, seed=seed, start_date=start_date,
                                   progress=progress)
    return ScaffoldResult(root, name, [p.relative_to(root) for p in written], landing, dict(summary.rows), len(summary.dates))
