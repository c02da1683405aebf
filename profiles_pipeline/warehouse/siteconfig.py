"""Reading pb's `siteconfig.yaml`: YAML with line numbers, one connection output validated.

Errors name the file, the line and the YAML path; values are never echoed (they may be secrets).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from profiles_pipeline.errors import Location, UserError
from profiles_pipeline.warehouse.connection_config import (
    CONNECTION_CONFIG,
    LITERAL_SECRET_KEYS,
    SUPPORTED_TYPES,
    DuckDBConnectionConfig,
    SnowflakeConnectionConfig,
)


class SiteConfigError(UserError):
    """siteconfig.yaml is unreadable or its connection entry is wrong."""

    def __init__(self, location: Location, message: str):
        self.location = location
        super().__init__(f"{location}: {message}")


def load_siteconfig(path: Path) -> Any:
    """Parse YAML keeping line numbers; a syntax error names the file and line."""
    try:
        return YAML(typ="rt").load(Path(path).read_text())
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise SiteConfigError(
            Location(str(path), line), f"invalid YAML: {e.problem or e}"
        ) from None
    except YAMLError as e:
        raise SiteConfigError(Location(str(path)), f"invalid YAML: {e}") from None


def yaml_line(node: Any, key: Any) -> int | None:
    """1-based line of `key` in a ruamel mapping, else of the mapping itself."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        return lc.key(key)[0] + 1
    except (KeyError, TypeError):
        return lc.line + 1


def connections_of(data: Any, path: Path) -> dict:
    if data is None:
        return {}
    conns = data.get("connections") if isinstance(data, dict) else None
    if conns is None:
        return {}
    if not isinstance(conns, dict):
        raise SiteConfigError(
            Location(str(path), yaml_line(data, "connections"), "connections"),
            "`connections` must be a mapping of connection name -> entry",
        )
    return conns


def pick_output(entry: Any, name: str, target: str | None, path: Path) -> tuple[str, Any]:
    where = f"connections.{name}"
    outputs = entry.get("outputs") if isinstance(entry, dict) else None
    if not isinstance(outputs, dict) or not outputs:
        raise SiteConfigError(
            Location(str(path), yaml_line(entry, "outputs"), where),
            "needs `target:` and `outputs: {<target>: {type: ..., ...}}`",
        )
    chosen = target or entry.get("target") or (next(iter(outputs)) if len(outputs) == 1 else None)
    if chosen not in outputs:
        raise SiteConfigError(
            Location(str(path), yaml_line(entry, "target"), f"{where}.target"),
            f"target {chosen!r} is not one of the outputs {sorted(outputs)}",
        )
    return chosen, outputs[chosen]


def validate_output(
    raw: Any, path: Path, yaml_path: str
) -> DuckDBConnectionConfig | SnowflakeConnectionConfig:
    if not isinstance(raw, dict):
        raise SiteConfigError(Location(str(path), None, yaml_path), "an output must be a mapping")
    for key in LITERAL_SECRET_KEYS:
        if key in raw:  # the value is never echoed
            raise SiteConfigError(
                Location(str(path), yaml_line(raw, key), f"{yaml_path}.{key}"),
                f"secrets are not read from siteconfig.yaml; put the value in an environment "
                f"variable and name it instead, e.g. `{key}_env: SNOWFLAKE_{key.upper()}`",
            )
    kind = raw.get("type")
    if kind not in SUPPORTED_TYPES:
        raise SiteConfigError(
            Location(str(path), yaml_line(raw, "type"), f"{yaml_path}.type"),
            f"type {kind!r} is not supported; use one of {', '.join(SUPPORTED_TYPES)}",
        )
    try:
        config = CONNECTION_CONFIG.validate_python(dict(raw))
    except ValidationError as e:
        err = e.errors(include_input=False)[0]  # never echo values: they may be secrets
        loc = [str(p) for p in err["loc"][1:]]  # first item is the union tag
        key = loc[0] if loc else None
        message = err["msg"]
        if err["type"] == "missing":
            message = f"required key `{key}` is missing" + (
                " (pb's `dbname:`)" if key == "database" else ""
            )
        raise SiteConfigError(
            Location(str(path), yaml_line(raw, key), ".".join([yaml_path, *loc])), message
        ) from None
    if isinstance(config, DuckDBConnectionConfig):
        db = config.path.expanduser()
        config = config.model_copy(
            update={"path": db if db.is_absolute() else path.parent.resolve() / db}
        )
    return config
