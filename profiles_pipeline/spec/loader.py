"""Read a pb project directory: pb_project.yaml plus every .yaml/.yml under its model_folders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from profiles_pipeline.errors import Location, Problem
from profiles_pipeline.spec.binding import validate_item
from profiles_pipeline.spec.hints import did_you_mean
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.model_types import ModelDef, common_column_union_as_sql_template
from profiles_pipeline.spec.packages import (
    apply_entry,
    merge_definitions,
    missing_package_problem,
    package_entries,
)
from profiles_pipeline.spec.project import Project
from profiles_pipeline.spec.project_models import Entity, IdType, ProjectConfig
from profiles_pipeline.spec.var_models import EARLY_VAR_KEYS, Macro, VarEntry, VarGroup
from profiles_pipeline.spec.yaml_io import YamlDoc, child_line, load_yaml, node_line

PROJECT_FILE = "pb_project.yaml"
#: Top-level keys of a model file that tune how pb generates SQL (`optimizations:` bundles vars
#: into fewer statements); they never change outputs, and this engine plans its own statements.
HINT_SECTIONS = ("optimizations",)
SECTIONS: dict[str, Any] = {"inputs": Input, "models": ModelDef, "var_groups": VarGroup, "macros": Macro}
PROJECT_SHAPE = (
    "a project is a folder with pb_project.yaml (name, schema_version, connection, "
    "model_folders: [models], entities, id_types) and YAML files under models/ holding "
    "inputs:, models:, var_groups: and macros:"
)


@dataclass
class Loaded:
    """What reading produced: the project (if pb_project.yaml was usable), problems, and the names
    of items that exist but failed validation (so they are not also reported as unknown)."""

    project: Project | None
    problems: list[Problem] = field(default_factory=list)
    invalid_names: dict[str, set[str]] = field(default_factory=dict)
    unreadable_files: list[str] = field(default_factory=list)


def read_project(path: str | Path) -> Loaded:
    root = Path(path)
    if root.is_file():
        root = root.parent
    if not root.is_dir():
        return Loaded(None, [Problem(Location(str(path)), f"project folder {path} does not exist", PROJECT_SHAPE, "no_project")])
    project_file = next((root / n for n in (PROJECT_FILE, "pb_project.yml") if (root / n).is_file()), None)
    if project_file is None:
        empty = not any(root.iterdir())
        what = "the folder is empty" if empty else "it has no pb_project.yaml"
        return Loaded(None, [Problem(Location(PROJECT_FILE), f"{root} is not a profiles project: {what}", PROJECT_SHAPE, "no_project")])
    doc, err = load_yaml(project_file, project_file.name)
    if err:
        return Loaded(None, [err])
    loaded = Loaded(None)
    config = _read_config(doc, loaded)  # type: ignore[arg-type]
    if config is None:
        return loaded
    project = Project(root=root.resolve(), config=config, files=[doc.rel_path])  # type: ignore[union-attr]
    for rel in _model_files(root, config, doc, loaded):  # type: ignore[arg-type]
        _read_model_file(root, rel, project, loaded)
    _read_packages(project, doc, loaded, project.root, seen={project.root})  # type: ignore[arg-type]
    loaded.project = project
    return loaded


def _read_packages(project: Project, doc: YamlDoc, loaded: Loaded, base: Path, seen: set[Path],
                   listed_by: str | None = None) -> None:
    """Read each package `doc` lists and this machine has (spec/packages.py says where, from
    `base`: the folder of the pb_project.yaml listing it) into `project`. Files are named relative
    to the project, so messages point into `packages/<name>/...`. Items the project itself
    declares win over the package's of the same name. `listed_by`: the package whose
    pb_project.yaml `doc` is (None: the project's own, whose missing packages its checks report)."""
    packages_node = doc.root.get("packages")
    for entry in package_entries(project):
        folder = entry.folder(base)
        if folder is None and listed_by is not None:
            # a package's own package: the project's checks see only the project's list
            line = child_line(packages_node, entry.index) if isinstance(packages_node, list) else None
            loaded.problems.append(missing_package_problem(entry, Location(doc.rel_path, line, f"packages[{entry.index}]"),
                                                           listed_by))
        if folder is None or folder in seen:
            continue
        seen.add(folder)
        prefix = folder.relative_to(project.root).as_posix() if folder.is_relative_to(project.root) else folder.as_posix()
        project_file = next(folder / n for n in (PROJECT_FILE, "pb_project.yml") if (folder / n).is_file())
        pkg_doc, err = load_yaml(project_file, f"{prefix}/{project_file.name}")
        if err:
            loaded.problems.append(err)
            continue
        config = _read_config(pkg_doc, loaded)  # type: ignore[arg-type]
        if config is None:
            continue
        package = Project(root=project.root, config=config, files=[pkg_doc.rel_path])  # type: ignore[union-attr]
        for rel in _model_files(folder, config, pkg_doc, loaded):  # type: ignore[arg-type]
            _read_model_file(project.root, f"{prefix}/{rel}", package, loaded)
        _read_packages(package, pkg_doc, loaded, folder, seen, entry.name)  # type: ignore[arg-type]
        line = child_line(packages_node, entry.index) if isinstance(packages_node, list) else None
        loaded.problems.extend(apply_entry(entry, package, project, Location(doc.rel_path, line, f"packages[{entry.index}]")))
        merge_definitions(package, project)
        for key in ("inputs", "models", "macros"):
            ours = {item.name for item in getattr(project, key)}
            getattr(project, key).extend(item for item in getattr(package, key) if item.name not in ours)
        project.var_groups.extend(package.var_groups)
        project.files.extend(package.files)


def _read_config(doc: YamlDoc, loaded: Loaded) -> ProjectConfig | None:
    node = doc.root
    if not isinstance(node, dict):
        loaded.problems.append(Problem(Location(doc.rel_path, 1), "pb_project.yaml must be a mapping of keys", PROJECT_SHAPE))
        return None
    lists: dict[str, list] = {}
    for key, cls in (("entities", Entity), ("id_types", IdType)):
        items = node.get(key)
        lists[key] = []
        if items is None or not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            obj, problems = validate_item(cls, item, doc.rel_path, (key, i))
            loaded.problems.extend(problems)
            if obj is not None:
                lists[key].append(obj)
            elif isinstance(item, dict) and item.get("name"):
                loaded.invalid_names.setdefault(key, set()).add(str(item["name"]))
    scalars = {k: v for k, v in node.items() if not (k in lists and isinstance(v, list))}
    scalars_node = _shallow(node, scalars)
    config, problems = validate_item(ProjectConfig, scalars_node, doc.rel_path, ())
    loaded.problems.extend(problems)
    if config is None:
        bad = {p.location.yaml_path.split(".")[0].split("[")[0] for p in problems if p.location.yaml_path}
        retry = _shallow(node, {k: v for k, v in scalars.items() if k not in bad})
        if "name" not in retry:
            retry["name"] = "<invalid>"
        config, _ = validate_item(ProjectConfig, retry, doc.rel_path, ())
        if config is None:
            return None
    config.entities, config.id_types = lists["entities"], lists["id_types"]
    return config


def _shallow(node: Any, items: dict) -> Any:
    """A copy of a ruamel mapping with only `items`, keeping line info for the kept keys."""
    copy = type(node)()
    for key, value in items.items():
        copy[key] = value
    if hasattr(node, "lc"):
        copy._yaml_set_line_col(node.lc.line, node.lc.col)
        source = node.lc.data or {}
        copy.lc.data = {k: source[k] for k in items if k in source}
    return copy


def _model_files(root: Path, config: ProjectConfig, doc: YamlDoc, loaded: Loaded) -> list[str]:
    files: list[str] = []
    folders_node = doc.root.get("model_folders")
    for i, folder in enumerate(config.model_folders):
        folder_path = root / folder
        if not folder_path.is_dir():
            line = child_line(folders_node, i) if isinstance(folders_node, list) else node_line(doc.root)
            loaded.problems.append(
                Problem(
                    Location(doc.rel_path, line, f"model_folders[{i}]"),
                    f"model folder '{folder}' does not exist in {root}",
                    "create it or fix model_folders in pb_project.yaml",
                    "missing_folder",
                )
            )
            continue
        found = [p for p in folder_path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
        files.extend(p.relative_to(root).as_posix() for p in sorted(found))
    return list(dict.fromkeys(files))


def _read_model_file(root: Path, rel: str, project: Project, loaded: Loaded) -> None:
    doc, err = load_yaml(root / rel, rel)
    if err:
        loaded.problems.append(err)
        loaded.unreadable_files.append(rel)
        return
    project.files.append(rel)
    node = doc.root  # type: ignore[union-attr]
    if node is None:
        return
    if not isinstance(node, dict):
        loaded.problems.append(Problem(Location(rel, node_line(node) or 1), "a model file must be a mapping with inputs:, models:, var_groups: or macros:"))
        return
    for key, items in node.items():
        line = child_line(node, key)
        if key in HINT_SECTIONS:
            continue
        if key not in SECTIONS:
            loaded.problems.append(
                Problem(Location(rel, line, str(key)), f"unknown top-level key '{key}'", did_you_mean(str(key), SECTIONS, "allowed top-level keys"), "unknown_key")
            )
            continue
        if items is None:
            continue
        if not isinstance(items, list):
            loaded.problems.append(
                Problem(Location(rel, line, str(key)), f"'{key}' must be a list, got {type(items).__name__}", f"write each item of '{key}' on its own line starting with '- '", "wrong_type")
            )
            continue
        for i, item in enumerate(items):
            if key == "var_groups":
                _read_var_group(item, rel, ("var_groups", i), project, loaded)
                continue
            if key == "models" and (inline := _inline_var_group(item)) is not None:
                _read_var_group(inline, rel, ("models", i, "model_spec"), project, loaded)
            if key == "models":
                _read_inline_macros(item, rel, i, project, loaded)
                common_column_union_as_sql_template(item)
            obj, problems = validate_item(SECTIONS[key], item, rel, (key, i))
            loaded.problems.extend(problems)
            if obj is None:
                name = item.get("name") if isinstance(item, dict) else None
                if name:
                    loaded.invalid_names.setdefault(key, set()).add(str(name))
                continue
            getattr(project, key).append(obj)




def _inline_var_group(model: Any) -> Any:
    """The vars a model declares in its own `model_spec.vars:` (pb's early schemas: a
    feature_table_model listed its entity vars there; `pb migrate` moves them to a var_group),
    as a var_group of the model's entity named `<model>_vars`, taken out of the model; None when
    it declares none."""
    spec = model.get("model_spec") if isinstance(model, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("vars"), list):
        return None
    entries = spec.pop("vars")
    renamed = []
    for entry in entries:
        if isinstance(entry, dict) and len(entry) == 1:
            [(kind, body)] = entry.items()
            if kind in EARLY_VAR_KEYS:
                entry = _shallow(entry, {EARLY_VAR_KEYS[kind]: body})
        renamed.append(entry)
    group = _shallow(spec, {"name": f"{model.get('name')}_vars", "entity_key": spec.get("entity_key")})
    group["vars"] = renamed
    return group


def _read_inline_macros(model: Any, rel: str, i: int, project: Project, loaded: Loaded) -> None:
    """Macros a model declares in its own `model_spec.macros:` (pb's early schemas) are the
    project's macros, taken out of the model."""
    spec = model.get("model_spec") if isinstance(model, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("macros"), list):
        return
    for j, item in enumerate(spec.pop("macros")):
        obj, problems = validate_item(SECTIONS["macros"], item, rel, ("models", i, "model_spec", "macros", j))
        loaded.problems.extend(problems)
        if obj is not None:
            project.macros.append(obj)


def _read_var_group(item: Any, rel: str, where: tuple, project: Project, loaded: Loaded) -> None:
    """Validate the group, then each var on its own, so one bad var does not drop its siblings.
    `where`: the group's path in the file, for messages."""
    entries = item.get("vars") if isinstance(item, dict) else None
    head = _shallow(item, {k: v for k, v in item.items() if k != "vars"}) if isinstance(entries, list) else item
    group, problems = validate_item(VarGroup, head, rel, where)
    loaded.problems.extend(problems)
    if group is None:
        return
    group._node = item
    for j, entry in enumerate(entries or []):
        obj, problems = validate_item(VarEntry, entry, rel, (*where, "vars", j))
        loaded.problems.extend(problems)
        if obj is not None:
            group.vars.append(obj)
        elif isinstance(entry, dict):
            for inner in entry.values():
                if isinstance(inner, dict) and inner.get("name"):
                    loaded.invalid_names.setdefault("vars", set()).add(str(inner["name"]))
    project.var_groups.append(group)
