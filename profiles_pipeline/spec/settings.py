"""Project settings readable without validating the whole project (for sample data)."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from profiles_pipeline.errors import UserError

DEFAULT_LANDING_ZONE = "data/landing"


def landing_zone_of(project_dir: Path) -> Path:
    """`<project>/<landing_zone>` from pb_project.yaml (default data/landing)."""
    path = Path(project_dir) / "pb_project.yaml"
    if not path.is_file():
        raise UserError(f"{project_dir} has no pb_project.yaml; pass the project folder with -p, "
                        "or choose where to write with --out")
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except YAMLError as e:
        raise UserError(f"{path}: not valid YAML ({e}); run `profiles validate -p {project_dir}`") from None
    landing = Path(str(data.get("landing_zone") or DEFAULT_LANDING_ZONE)).expanduser() if isinstance(data, dict) else Path(DEFAULT_LANDING_ZONE)
    return landing if landing.is_absolute() else (Path(project_dir) / landing).resolve()
