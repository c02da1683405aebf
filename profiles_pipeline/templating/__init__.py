"""Templating: render pb (pongo2-flavoured) SQL templates with Jinja2, and find what they refer to."""

from profiles_pipeline.templating.context import Macro, TemplateContext
from profiles_pipeline.templating.errors import TemplateError
from profiles_pipeline.templating.golayout import go_format
from profiles_pipeline.templating.references import References, find_references
from profiles_pipeline.templating.render import render

__all__ = [
    "Macro",
    "References",
    "TemplateContext",
    "TemplateError",
    "find_references",
    "go_format",
    "render",
]
