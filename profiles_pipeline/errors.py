"""The exception hierarchy. User mistakes are `UserError`s: the CLI prints their message and
exits 2, never a traceback. Everything else is a bug or a warehouse failure (exit 1)."""

from __future__ import annotations

from dataclasses import dataclass, field


class ProfilesError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code: int = 1


class UserError(ProfilesError):
    """Something the user wrote or asked for is wrong. Exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class Location:
    """Where in the project a problem is: file, 1-based line, and YAML path like `entities[0].id_types`."""

    file: str | None = None
    line: int | None = None
    yaml_path: str | None = None

    def __str__(self) -> str:
        where = self.file or "<project>"
        if self.line:
            where += f":{self.line}"
        if self.yaml_path:
            where += f" at {self.yaml_path}"
        return where


@dataclass(frozen=True)
class Problem:
    """One validation finding: where, what is wrong, and what would be right."""

    location: Location
    message: str
    hint: str | None = None
    code: str = "invalid"
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "yaml_path": self.location.yaml_path,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


class SpecError(UserError):
    """The project YAML is invalid. Carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the project:\n{lines}")


class SqlSnippetError(UserError):
    """A user SQL snippet cannot be parsed or transpiled."""


class WarehouseError(ProfilesError):
    """A statement failed in the warehouse. Carries the statement and the warehouse's message."""

    def __init__(self, message: str, sql: str | None = None, model: str | None = None):
        self.sql = sql
        self.model = model
        prefix = f"model {model}: " if model else ""
        super().__init__(prefix + message)
