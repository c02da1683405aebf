"""The one error this layer raises on purpose: a template the user wrote cannot be rendered."""

from __future__ import annotations

from profiles_pipeline.errors import UserError


class TemplateError(UserError):
    """A syntax error, an unknown name or a failed reference in a template.

    The message reads `<where>, template line <n>: <problem>` so the user can find the YAML key.
    """

    def __init__(self, problem: str, where: str | None = None, line: int | None = None):
        self.problem = problem
        self.where = where
        self.line = line
        prefix = where or "template"
        if line is not None:
            prefix += f", template line {line}"
        super().__init__(f"{prefix}: {problem}")
