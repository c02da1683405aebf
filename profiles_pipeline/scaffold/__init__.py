"""`profiles init`: a working pb-style project with its own sample data, from templates."""

from profiles_pipeline.scaffold.project import (
    DAGSTER_YAML,
    TEMPLATES,
    ScaffoldResult,
    project_name_for,
    scaffold_project,
)

__all__ = ["DAGSTER_YAML", "TEMPLATES", "ScaffoldResult", "project_name_for", "scaffold_project"]
