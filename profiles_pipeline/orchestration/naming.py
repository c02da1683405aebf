"""How one project's definitions are named inside a code location.

The code location `workspace.yaml` loads holds one project and keeps the plain names
(`profiles_daily`, asset keys as the steps' keys, the resource `warehouse`). A project dropped
into a team's own code location as a component (`ProfilesProject`) is prefixed, so several live
side by side: its asset keys start with the prefix, its job, schedule and sensors are named
`<prefix>__...`, its warehouse resource is `<prefix>__warehouse` and its pool `profiles_<prefix>_<kind>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dagster as dg

from profiles_pipeline.errors import UserError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def as_prefix(text: str) -> str:
    """A project name as a Dagster name (letters, digits, underscores)."""
    name = re.sub(r"\W+", "_", text).strip("_") or "profiles"
    return f"p_{name}" if name[0].isdigit() else name


@dataclass(frozen=True)
class Naming:
    prefix: str | None = None

    def __post_init__(self) -> None:
        if self.prefix is not None and not _NAME.match(self.prefix):
            raise UserError(f"prefix {self.prefix!r}: use letters, digits and underscores, starting with a letter "
                            f"(e.g. {as_prefix(self.prefix)!r})")

    def key(self, step_key: tuple[str, ...]) -> dg.AssetKey:
        return dg.AssetKey([self.prefix, *step_key] if self.prefix else list(step_key))

    def name(self, base: str) -> str:
        """A job, schedule or sensor name: `base`, or `<prefix>__<base>`."""
        return f"{self.prefix}__{base}" if self.prefix else base

    @property
    def resource_key(self) -> str:
        return self.name("warehouse")

    def pool(self, warehouse_kind: str) -> str:
        """Every asset writing the project's warehouse shares one pool (limit 1 in dagster.yaml)."""
        return f"profiles_{self.prefix}_{warehouse_kind}" if self.prefix else f"profiles_{warehouse_kind}"


PLAIN = Naming()
