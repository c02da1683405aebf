"""`profiles migrate` (pb's `pb migrate auto | manual`): rewrite a project written in pb's early
layouts in the current one. The loader already reads those layouts as they stand; migrating makes
the files say what they mean, so pb's current releases read them too.

What moves (each step names file, line and input):
- an input's source, event time and ids written at the top of the input (schema_version < 44:
  `table:`, `occurred_at_col:`, `ids:` beside `name:`) go under `app_defaults:`;
- ids written beside `app_defaults:` (schema 40) go inside it;
- edge sources written as bare paths (`- inputs/x`) or `- input: x` become `- from: inputs/x`;
- vars a model declares in its own `model_spec.vars:` (`entityvar:`, `inputvar:`) move to a
  var group `<model>_vars` of the model's entity, spelled `entity_var:` / `input_var:`;
- in pb_project.yaml, `profile:` becomes `connection:` and `schema_version` becomes
  CURRENT_SCHEMA_VERSION.
Files are round-tripped with ruamel.yaml, so comments, key order and quoting are kept."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from profiles_pipeline.errors import UserError
from profiles_pipeline.spec.input_models import EARLY_LAYOUT_KEYS
from profiles_pipeline.spec.var_models import EARLY_VAR_KEYS

#: The schema_version our scaffold writes (pb 0.26's).
CURRENT_SCHEMA_VERSION = 85
#: Folders of a project that are outputs, never copied into a migrated copy.
NOT_COPIED = ("data", "output", "migrated", ".git", "dagster_home")


@dataclass(frozen=True)
class MigrationStep:
    file: str
    line: int | None
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 1}: {self.what}"


def _load(text: str) -> tuple[Any, YAML]:
    """The file's tree, and a YAML writer that indents as the file does (so a migrated file's
    diff is what moved, not every line)."""
    from ruamel.yaml.util import load_yaml_guess_indent

    data, indent, offset = load_yaml_guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long SQL line
    yaml.indent(mapping=indent or 2, sequence=(indent or 2) + (offset or 0), offset=offset or 0)
    return data, yaml


def _line(node: Any, key: str | None = None) -> int | None:
    try:
        return (node.lc.key(key)[0] if key is not None else node.lc.line) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _migrate_input(item: CommentedMap, rel: str) -> list[MigrationStep]:
    moved = [k for k in EARLY_LAYOUT_KEYS if k in item]
    defaults = item.get("app_defaults")
    if moved and "occurred_at_col" in item:  # pb writes it under app_defaults beside the source
        moved.insert(0, "occurred_at_col")
    if not moved or (defaults is not None and not isinstance(defaults, dict)):
        return []
    if isinstance(defaults, dict) and set(moved) & set(defaults):
        return []  # said twice: validate names the clash, migrating would hide it
    first = min(moved, key=list(item).index)
    line = _line(item, first)
    if defaults is None:
        defaults = CommentedMap()
        item.insert(list(item).index(first), "app_defaults", defaults)
    for key in moved:
        defaults[key] = item.pop(key)
    name = item.get("name", "?")
    return [MigrationStep(rel, line, f"input {name}: {', '.join(moved)} moved under app_defaults")]


def _migrate_edge_sources(model: CommentedMap, rel: str) -> list[MigrationStep]:
    spec = model.get("model_spec")
    sources = spec.get("edge_sources") if isinstance(spec, dict) else None
    steps = []
    for i, source in enumerate(sources if isinstance(sources, list) else ()):
        if isinstance(source, str):
            path = source
        elif isinstance(source, dict) and set(source) == {"input"} and isinstance(source["input"], str):
            path = f"inputs/{source['input'].removeprefix('inputs/')}"
        else:
            continue
        line = _line(sources, None) if not hasattr(sources, "lc") else sources.lc.item(i)[0] + 1
        sources[i] = CommentedMap([("from", path)])
        steps.append(MigrationStep(rel, line, f"model {model.get('name')}: edge source {path} written as `from: {path}`"))
    return steps


def _migrate_inline_vars(model: CommentedMap, data: CommentedMap, rel: str) -> list[MigrationStep]:
    spec = model.get("model_spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("vars"), list):
        return []
    line = _line(spec, "vars")
    entries = spec.pop("vars")
    for entry in entries:
        if isinstance(entry, CommentedMap) and len(entry) == 1:
            [(kind, body)] = entry.items()
            if kind in EARLY_VAR_KEYS:
                entry.insert(0, EARLY_VAR_KEYS[kind], body)
                del entry[kind]
    name = f"{model.get('name')}_vars"
    group = CommentedMap([("name", name), ("entity_key", spec.get("entity_key")), ("vars", entries)])
    if not isinstance(data.get("var_groups"), list):
        data["var_groups"] = []
    data["var_groups"].append(group)
    return [MigrationStep(rel, line, f"model {model.get('name')}: its model_spec.vars moved to var group {name}")]


def _migrate_models_file(data: Any, rel: str) -> list[MigrationStep]:
    if not isinstance(data, CommentedMap):
        return []
    steps: list[MigrationStep] = []
    inputs, models = data.get("inputs"), data.get("models")
    for item in inputs if isinstance(inputs, list) else ():
        if isinstance(item, CommentedMap):
            steps += _migrate_input(item, rel)
    for model in models if isinstance(models, list) else ():
        if isinstance(model, CommentedMap):
            steps += _migrate_edge_sources(model, rel) + _migrate_inline_vars(model, data, rel)
    return steps


def _migrate_project_file(data: Any) -> list[MigrationStep]:
    if not isinstance(data, CommentedMap):
        return []
    steps = []
    if "profile" in data and "connection" not in data:
        line = _line(data, "profile")
        data.insert(list(data).index("profile"), "connection", data.pop("profile"))
        steps.append(MigrationStep("pb_project.yaml", line, "profile: written as connection:"))
    version = data.get("schema_version")
    if not (isinstance(version, int) and version >= CURRENT_SCHEMA_VERSION):
        line = _line(data, "schema_version") if "schema_version" in data else None
        data["schema_version"] = CURRENT_SCHEMA_VERSION
        steps.append(MigrationStep("pb_project.yaml", line, f"schema_version {version} → {CURRENT_SCHEMA_VERSION}"))
    return steps


def _yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                  and not set(p.relative_to(root).parts) & set(NOT_COPIED) and p.name != "siteconfig.yaml")


def migration_steps(root: Path, *, write_to: Path | None = None) -> list[MigrationStep]:
    """What migrating `root` changes; with `write_to`, also write the migrated files there
    (which may be `root` itself: in place). Files that need no change are not rewritten."""
    root = Path(root)
    if not (root / "pb_project.yaml").is_file():
        raise UserError(f"{root} is not a pb project: no pb_project.yaml there")
    steps: list[MigrationStep] = []
    for path in _yaml_files(root):
        rel = path.relative_to(root).as_posix()
        try:
            data, yaml = _load(path.read_text(encoding="utf-8"))
        except Exception as e:  # noqa: BLE001 - ruamel's errors carry the line
            raise UserError(f"{rel}: cannot read YAML: {str(e).splitlines()[0]}") from None
        changed = _migrate_project_file(data) if rel == "pb_project.yaml" else _migrate_models_file(data, rel)
        steps += changed
        if changed and write_to is not None:
            target = Path(write_to) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", encoding="utf-8") as f:
                yaml.dump(data, f)
    return steps


def copy_project(root: Path, destination: Path, *, force: bool = False) -> None:
    """The project's files (not its outputs) in `destination`, for migrating a copy."""
    root, destination = Path(root).resolve(), Path(destination).resolve()
    if destination == root:
        raise UserError("--destination is the project itself; use --inplace to migrate it in place")
    if destination.exists() and any(destination.iterdir()) and not force:
        raise UserError(f"{destination} is not empty; pass --force to write into it, or another --destination")
    inside = destination.relative_to(root).parts[:1] if destination.is_relative_to(root) else ()
    shutil.copytree(root, destination, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(*NOT_COPIED, *inside, "*.duckdb", "*.duckdb.*"))
