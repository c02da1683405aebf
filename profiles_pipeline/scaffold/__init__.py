"""`profiles init`: a working pb-style project with its own sample data, from templates."""

from profiles_pipeline.scaffold.project import (
    TEMPLATES,
    ScaffoldResult,
    project_name_for,
    scaffold_project,
)

__all__ = ["TEMPLATES", "ScaffoldResult", "project_name_for", "scaffold_project"]
