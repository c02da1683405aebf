"""From pb's `connection:` name to a warehouse adapter.

The name is looked up in a `siteconfig.yaml` with pb's shape
(`connections.<name>.target`, `connections.<name>.outputs.<target>`): an explicit file, else
the one next to the project, else `~/.pb/siteconfig.yaml`. No entry means the embedded DuckDB
file `<project>/data/profiles.duckdb`, announced by a one-line notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from profiles_pipeline.errors import Location, UserError
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.connection_config import (
    CONNECTION_CONFIG,
    LITERAL_SECRET_KEYS,
    SUPPORTED_TYPES,
    DuckDBConnectionConfig,
    SnowflakeConnectionConfig,
)

EMBEDDED_DB = Path("data") / "profiles.duckdb"


class SiteConfigError(UserError):
    """siteconfig.yaml is unreadable or its connection entry is wrong."""

    def __init__(self, location: Location, message: str):
        self.location = location
        super().__init__(f"{location}: {message}")


@dataclass(frozen=True)
class ResolvedConnection:
    """The config to open, and where it came from (shown by `profiles` and in Dagster metadata)."""

    config: DuckDBConnectionConfig | SnowflakeConnectionConfig
    source: str
    name: str | None = None
    target: str | None = None
    siteconfig: Path | None = None
    notice: str | None = None


def default_siteconfigs(project_dir: Path) -> list[Path]:
    return [Path(project_dir) / "siteconfig.yaml", Path.home() / ".pb" / "siteconfig.yaml"]


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


def _line(node: Any, key: Any) -> int | None:
    """1-based line of `key` in a ruamel mapping, else of the mapping itself."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        return lc.key(key)[0] + 1
    except (KeyError, TypeError):
        return lc.line + 1


def _connections(data: Any, path: Path) -> dict:
    if data is None:
        return {}
    conns = data.get("connections") if isinstance(data, dict) else None
    if conns is None:
        return {}
    if not isinstance(conns, dict):
        raise SiteConfigError(
            Location(str(path), _line(data, "connections"), "connections"),
            "`connections` must be a mapping of connection name -> entry",
        )
    return conns


def _pick_output(entry: Any, name: str, target: str | None, path: Path) -> tuple[str, Any]:
    where = f"connections.{name}"
    outputs = entry.get("outputs") if isinstance(entry, dict) else None
    if not isinstance(outputs, dict) or not outputs:
        raise SiteConfigError(
            Location(str(path), _line(entry, "outputs"), where),
            "needs `target:` and `outputs: {<target>: {type: ..., ...}}`",
        )
    chosen = target or entry.get("target") or (next(iter(outputs)) if len(outputs) == 1 else None)
    if chosen not in outputs:
        raise SiteConfigError(
            Location(str(path), _line(entry, "target"), f"{where}.target"),
            f"target {chosen!r} is not one of the outputs {sorted(outputs)}",
        )
    return chosen, outputs[chosen]


def _validate_output(
    raw: Any, path: Path, yaml_path: str
) -> DuckDBConnectionConfig | SnowflakeConnectionConfig:
    if not isinstance(raw, dict):
        raise SiteConfigError(Location(str(path), None, yaml_path), "an output must be a mapping")
    for key in LITERAL_SECRET_KEYS:
        if key in raw:  # the value is never echoed
            raise SiteConfigError(
                Location(str(path), _line(raw, key), f"{yaml_path}.{key}"),
                f"secrets are not read from siteconfig.yaml; put the value in an environment "
                f"variable and name it instead, e.g. `{key}_env: SNOWFLAKE_{key.upper()}`",
            )
    kind = raw.get("type")
    if kind not in SUPPORTED_TYPES:
        raise SiteConfigError(
            Location(str(path), _line(raw, "type"), f"{yaml_path}.type"),
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
            Location(str(path), _line(raw, key), ".".join([yaml_path, *loc])), message
        ) from None
    if isinstance(config, DuckDBConnectionConfig):
        db = config.path.expanduser()
        config = config.model_copy(
            update={"path": db if db.is_absolute() else path.parent.resolve() / db}
        )
    return config


def resolve_connection(
    project_dir: Path,
    connection_name: str | None,
    siteconfig: Path | None = None,
    *,
    target: str | None = None,
) -> ResolvedConnection:
    """Find `connection_name` (with `target`, else the entry's own) in the siteconfig files."""
    project_dir = Path(project_dir)
    if siteconfig is not None and not Path(siteconfig).is_file():
        raise UserError(f"siteconfig file {siteconfig} does not exist (given explicitly)")
    files = (
        [Path(siteconfig)]
        if siteconfig
        else [p for p in default_siteconfigs(project_dir) if p.is_file()]
    )
    if connection_name:
        for path in files:
            conns = _connections(load_siteconfig(path), path)
            if connection_name in conns:
                chosen, raw = _pick_output(conns[connection_name], connection_name, target, path)
                yaml_path = f"connections.{connection_name}.outputs.{chosen}"
                config = _validate_output(raw, path, yaml_path)
                line = _line(conns[connection_name]["outputs"], chosen)
                return ResolvedConnection(
                    config, f"{path}:{line} {yaml_path}", connection_name, chosen, path
                )
        if siteconfig is not None:
            known = sorted(_connections(load_siteconfig(Path(siteconfig)), Path(siteconfig)))
            raise UserError(
                f"{siteconfig}: no connection {connection_name!r} (connections: {known})"
            )
    db = project_dir.resolve() / EMBEDDED_DB
    if not connection_name:
        why = "the project names no connection"
    elif files:
        why = f"connection {connection_name!r} is not in {', '.join(str(p) for p in files)}"
    else:
        why = (
            f"no siteconfig.yaml (in {project_dir} or ~/.pb) defines connection {connection_name!r}"
        )
    return ResolvedConnection(
        DuckDBConnectionConfig(path=db),
        "embedded default",
        connection_name,
        notice=f"{why}; using the embedded DuckDB at {db}",
    )


def open_adapter(resolved: ResolvedConnection) -> WarehouseAdapter:
    """Open the adapter for a resolved connection (the caller closes it)."""
    config = resolved.config
    if isinstance(config, DuckDBConnectionConfig):
        from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

        return DuckDBAdapter(config.path)
    from profiles_pipeline.warehouse.snowflake_adapter import SnowflakeAdapter

    return SnowflakeAdapter.from_config(config)
