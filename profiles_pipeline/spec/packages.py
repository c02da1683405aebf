"""pb's `packages:`: another pb project whose entities, id types, inputs, models and vars join
this one's.

pb fetches a package from git at compile time. This engine never fetches: it reads a package
from a folder, either the local path its `url:` names (`url: ../corelib`, `file:///abs/corelib`)
or, for a git URL, the copy vendored at `packages/<name>/` inside the project (the layout pb's own
cache uses). So a project that lists a remote package runs unchanged once someone has run
`git clone <repo> packages/<name>`.

What the package's entry says is applied as pb applies it:
- `inputsMap: {pkg_input: inputs/ours}` reads the package's input from the project's input
  (the package's own definition is dropped); `pkg_input: nil` means the project has no such
  data: the input is dropped, with the vars and edge sources that read it.
- `overrides: [{requested_enable_status: disabled, models: [paths]}]` drops the named vars
  (`user/all/x`, `entity/user/x`) and models (`models/x`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from profiles_pipeline.errors import Location, Problem
from profiles_pipeline.spec.model_types import union_sql
from profiles_pipeline.spec.project import Project

REMOTE_SCHEMES = ("http://", "https://", "git@", "git://", "ssh://")
#: pb writes both spellings of the override's switch.
_STATUS_KEYS = ("requested_enable_status", "requested_enabled_status")


@dataclass
class PackageEntry:
    """One item of `packages:`, read from its open mapping."""

    index: int
    name: str
    url: str
    inputs_map: dict[str, str | None] = field(default_factory=dict)
    overrides: list[dict] = field(default_factory=list)

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(REMOTE_SCHEMES)

    def folder(self, base: Path) -> Path | None:
        """Where the package's pb_project.yaml lives, or None when it is not on this machine;
        `base`: the folder of the pb_project.yaml that lists the package."""
        if self.is_remote:
            candidate = base / "packages" / self.name
        elif self.url.startswith("file://"):
            candidate = Path(unquote(urlparse(self.url).path))
        else:
            candidate = base / self.url
        return candidate.resolve() if _has_project_file(candidate) else None


def package_entries(project: Project) -> list[PackageEntry]:
    out = []
    for i, package in enumerate(project.config.packages):
        extra = package.model_extra or {}
        raw_map = extra.get("inputsMap") or extra.get("inputs_map") or {}
        inputs_map = {str(k): _mapped(v) for k, v in raw_map.items()} if isinstance(raw_map, dict) else {}
        overrides = [o for o in (extra.get("overrides") or []) if isinstance(o, dict)]
        out.append(PackageEntry(i, str(extra.get("name") or f"#{i + 1}"),
                                str(extra.get("url") or extra.get("gitUrl") or extra.get("path") or ""),
                                inputs_map, overrides))
    return out


def missing_package_problem(entry: PackageEntry, where: Location, listed_by: str | None = None) -> Problem:
    """What to say about a package this machine does not have: how to vendor a remote one, where
    a local one should be. `listed_by`: the package that lists it, when it is not the project."""
    by = f" (listed by package {listed_by})" if listed_by else ""
    if entry.is_remote:
        repo, _, ref = entry.url.replace("/tree/", "/tag/").partition("/tag/")
        checkout = f" && git -C packages/{entry.name} checkout {ref}" if ref and "{{" not in ref else ""
        return Problem(where, f"package {entry.name}{by} comes from {entry.url}: this engine does not fetch packages",
                       f"vendor it (git clone {repo} packages/{entry.name}{checkout}, beside the pb_project.yaml "
                       f"that lists it); packages/{entry.name}/pb_project.yaml is then read as the package",
                       "remote_package")
    return Problem(where, f"package {entry.name}{by}: no pb_project.yaml at '{entry.url or '(no url)'}'",
                   "set url: to the package's folder (relative to the pb_project.yaml that lists it, or "
                   "file:///absolute/path)", "missing_package")


def missing_packages(project: Project) -> list[PackageEntry]:
    """Packages listed in pb_project.yaml that are on neither their local path nor vendored."""
    return [p for p in package_entries(project) if p.folder(project.root) is None]


def apply_entry(entry: PackageEntry, package: Project, project: Project, where: Location) -> list[Problem]:
    """Apply the entry's `inputsMap` and `overrides` to the package's items, in place."""
    problems: list[Problem] = []
    dropped_inputs: set[str] = set()
    for pkg_input, target in entry.inputs_map.items():
        own = package.inputs_by_name.get(pkg_input)
        if own is None:
            problems.append(Problem(where, f"package {entry.name}: inputsMap names '{pkg_input}', which the "
                                    "package does not declare", f"the package's inputs: {', '.join(package.inputs_by_name) or 'none'}",
                                    "unknown_name"))
            continue
        if target is None:
            package.inputs.remove(own)
            dropped_inputs.add(pkg_input)
            continue
        ours = project.resolve(target)
        if ours is None or target.strip("/").split("/")[0] != "inputs":
            problems.append(Problem(where, f"package {entry.name}: inputsMap {pkg_input}: '{target}' does not name "
                                    "an input of this project", "write inputs/<name> of an input in your models folder, or nil",
                                    "unknown_name"))
            continue  # the package's own definition stays, so its readers report nothing more
        package.inputs.remove(own)
        if ours.name != pkg_input:
            # The package's templates and `from:` paths say `pkg_input`: it reads the same rows.
            package.inputs.append(ours.model_copy(update={"name": pkg_input}))
    disabled = _disabled_paths(entry)
    for group in package.var_groups:
        group.vars = [e for e in group.vars
                      if not (_reads(e.var, dropped_inputs) or _var_paths(group, e.var) & disabled)]
    package.models = [m for m in package.models if m.path not in disabled]
    for model in package.models:
        spec = getattr(model, "model_spec", None)
        edges = getattr(spec, "edge_sources", None)
        if edges:
            spec.edge_sources = [e for e in edges if _input_name(e.from_) not in dropped_inputs]
        union = getattr(spec, "union_inputs", None)
        if union and (kept := [p for p in union if _input_name(p) not in dropped_inputs]) != union:
            # a common_column_union unions the inputs the project has (pb leaves out nil ones)
            spec.union_inputs, spec.single_sql = kept, union_sql(kept)
    return problems


def merge_definitions(package: Project, project: Project) -> None:
    """The package's entities and id types join the project's: a same-named entity gains the id
    types it lacks (the project's own settings win), a new one is added as the package wrote it."""
    entities = {e.name: e for e in project.config.entities}
    for entity in package.config.entities:
        if entity.name not in entities:
            project.config.entities.append(entity)
            continue
        ours = entities[entity.name]
        ours.id_types.extend(t for t in entity.id_types if t not in ours.id_types)
        if ours.id_stitcher is None and entity.id_stitcher is not None:
            ours.id_stitcher = entity.id_stitcher
    known = {t.name for t in project.config.id_types}
    project.config.id_types.extend(t for t in package.config.id_types if t.name not in known)


def _mapped(value) -> str | None:
    text = None if value is None else str(value).strip()
    return None if text in (None, "", "nil", "null", "None") else text


def _has_project_file(folder: Path) -> bool:
    return any((folder / n).is_file() for n in ("pb_project.yaml", "pb_project.yml"))


def _disabled_paths(entry: PackageEntry) -> set[str]:
    out: set[str] = set()
    for override in entry.overrides:
        status = next((str(override[k]) for k in _STATUS_KEYS if k in override), "")
        if status.lower() == "disabled":
            out.update(str(p).strip().strip("/") for p in override.get("models") or [])
    return out


def _var_paths(group, var) -> set[str]:
    """The spellings pb accepts for a var: `<entity>/all/<var>` and `entity/<entity>/<var>`."""
    entity = group.entity_key or getattr(var, "entity", None)
    return {f"{entity}/all/{var.name}", f"entity/{entity}/{var.name}"} if entity else set()


def _reads(var, inputs: set[str]) -> bool:
    return bool(inputs) and _input_name(getattr(var, "from_", None)) in inputs


def _input_name(path: str | None) -> str | None:
    parts = (path or "").strip().strip("/").split("/")
    return parts[1] if len(parts) == 2 and parts[0] in ("inputs", "models") else None
