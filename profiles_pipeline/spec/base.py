"""Base class of every spec model: pydantic with `extra="forbid"`, plus where it came from.

The location and the ruamel node are private attributes, so they never appear in the JSON
schema or in `model_dump()`, but later layers can say "user.total_revenue (models/profiles.yaml:42)"."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

from profiles_pipeline.errors import Location
from profiles_pipeline.spec.yaml_io import child_line


class SpecModel(BaseModel):
    """A node of the project YAML with a known shape."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, protected_namespaces=())

    _location: Location | None = PrivateAttr(default=None)
    _node: Any = PrivateAttr(default=None)

    @property
    def location(self) -> Location:
        """Where this object is declared: file relative to the project, line, yaml path."""
        return self._location or Location()

    def loc_of(self, key: str, index: int | None = None) -> Location:
        """Location of one key of this object (e.g. the `select` line of a var), or of item
        `index` of a list under that key."""
        base = self.location
        line = child_line(self._node, key) if self._node is not None else None
        path = f"{base.yaml_path}.{key}" if base.yaml_path else key
        if index is not None:
            items = self._node.get(key) if isinstance(self._node, dict) else None
            line = child_line(items, index) or line
            path += f"[{index}]"
        return Location(base.file, line or base.line, path)


class OpenSpecModel(SpecModel):
    """A node where pb allows keys we do not interpret (kept, typed as Any)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())


def require_exactly_one(model: BaseModel, keys: tuple[str, ...], what: str) -> None:
    """Raise (as a validation error) unless exactly one of `keys` is set on `model`."""
    given = [k for k in keys if getattr(model, k) is not None]
    if len(given) != 1:
        raise ValueError(f"{what} needs exactly one of {', '.join(keys)} (got {given or 'none'})")
