"""Parse every user SQL snippet in the declared dialect; a bad one is a problem at its line."""

from __future__ import annotations

from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from profiles_pipeline.errors import Location
from profiles_pipeline.spec.check_context import CheckContext
from profiles_pipeline.spec.check_names import DIALECTS
from profiles_pipeline.spec.snippets import project_snippets
from profiles_pipeline.spec.sql_snippets import parse_error


def check_sql(ctx: CheckContext) -> None:
    dialect = ctx.project.sql_dialect
    if dialect not in DIALECTS:
        return
    for snippet in project_snippets(ctx.project):
        error = parse_error(snippet.text, snippet.kind, dialect)
        if error is None:
            continue
        # A template where a name cannot stand (a CAST type, a frame clause): parse it rendered.
        rendered = ctx.rendered(snippet.text) if "{{" in snippet.text or "{%" in snippet.text else None
        if rendered is not None and parse_error(rendered, snippet.kind, dialect) is None:
            continue
        message, line_in_snippet = error
        where = snippet.location
        if isinstance(snippet.raw_value, LiteralScalarString | FoldedScalarString) and where.line:
            where = Location(where.file, where.line + line_in_snippet, where.yaml_path)
        named = f"{snippet.subject}: " if snippet.subject else ""
        ctx.add(where, f"{named}SQL does not parse ({dialect}): {message}", f"snippet: {snippet.text.strip()[:120]}", "bad_sql")
