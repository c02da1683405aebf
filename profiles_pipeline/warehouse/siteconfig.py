"""Reading pb's `siteconfig.yaml`: YAML with line numbers, one connection output validated.

Errors name the file, the line and the YAML path; values are never echoed (they may be secrets).
"""

from __future__ import annotations

import hashlib
import os
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
    AnyConnectionConfig,
    DuckDBConnectionConfig,
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


#: Literal secrets pb's siteconfig writes in the file -> the config key naming the variable.
SECRET_TO_ENV_KEY = {"password": "password_env", "private_key": "private_key_env",
                     "private_key_passphrase": "private_key_passphrase_env"}


def secret_variable(path: Path, yaml_path: str, key: str) -> str:
    """The environment variable a secret written in the file is kept in (per file and key)."""
    digest = hashlib.sha256(f"{Path(path).resolve()}|{yaml_path}.{key}".encode()).hexdigest()[:12].upper()
    return f"PROFILES_SITECONFIG_SECRET_{digest}"


def literal_secrets(raw: Any, path: Path, yaml_path: str) -> list[str]:
    """'file:line key' of each secret written in the file itself (for a warning; never the value)."""
    if not isinstance(raw, dict):
        return []
    return [f"{path}:{yaml_line(raw, k)} {yaml_path}.{k}" for k in SECRET_TO_ENV_KEY if k in raw]


def _secrets_to_environment(raw: dict, path: Path, yaml_path: str) -> dict:
    """pb's siteconfig writes `password:` in the file. Its value moves to an environment variable
    of this process and the config names that variable, so the config object stays printable and
    the value never reaches a log, Dagster metadata or a message."""
    for key in LITERAL_SECRET_KEYS:
        if key not in raw:
            continue
        env_key = SECRET_TO_ENV_KEY.get(key)
        where = Location(str(path), yaml_line(raw, key), f"{yaml_path}.{key}")
        if env_key is None:
            raise SiteConfigError(where, f"`{key}` is not used by this connection type")
        if env_key in raw:
            raise SiteConfigError(where, f"`{key}` and `{env_key}` are both set; keep one")
        variable = secret_variable(path, yaml_path, key)
        os.environ[variable] = str(raw[key])  # the value is never echoed
        raw = {**{k: v for k, v in raw.items() if k != key}, env_key: variable}
    return raw


def validate_output(
    raw: Any, path: Path, yaml_path: str
) -> AnyConnectionConfig:
    if not isinstance(raw, dict):
        raise SiteConfigError(Location(str(path), None, yaml_path), "an output must be a mapping")
    raw = _secrets_to_environment(raw, path, yaml_path)
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
        message = err["msg"].removeprefix("Value error, ")  # pydantic's prefix to a validator's own words
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
