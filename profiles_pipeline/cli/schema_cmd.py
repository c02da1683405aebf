"""`profiles schema`: the JSON Schema of the project files."""

from __future__ import annotations

from profiles_pipeline.cli.output import handles_errors, print_json


@handles_errors
def schema() -> None:
    """Print the JSON Schema of the project files, for editor autocompletion.

    Example: profiles schema > profiles.schema.json
    """
    from profiles_pipeline.spec import project_json_schema

    print_json(project_json_schema())
