"""`Project`: the validated project as one object, with the look-ups later layers need."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from profiles_pipeline.errors import UserError
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.model_types import (
    EntityCohortModel,
    FeatureTableModel,
    IdStitcherModel,
    ModelDef,
)
from profiles_pipeline.spec.project_models import Entity, IdType, IdTypeFilter, ProjectConfig
from profiles_pipeline.spec.var_models import EntityVar, InputVar, Macro, VarGroup

AnyVar = EntityVar | InputVar


@dataclass
class Project:
    """pb_project.yaml plus every object of every model file, in declaration order."""

    root: Path
    config: ProjectConfig
    inputs: list[Input] = field(default_factory=list)
    models: list[ModelDef] = field(default_factory=list)
    var_groups: list[VarGroup] = field(default_factory=list)
    macros: list[Macro] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.config.name

    def read_file(self, path: str) -> str:
        """pb's `this.ReadFile(path)`: a project file's text (path relative to the project folder)."""
        target = (self.root / str(path).strip()).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise LookupError(f"this.ReadFile('{path}') reads outside the project folder")
        if not target.is_file():
            raise LookupError(f"this.ReadFile('{path}'): no such file in the project (looked for {target})")
        return target.read_text()

    def fingerprint(self) -> str:
        """Changes when any file of the project changes: what was computed from another
        definition is stale (the next run recomputes it)."""
        digest = hashlib.sha1()
        for rel in sorted(self.files):
            digest.update(rel.encode() + b"\0")
            try:
                digest.update((self.root / rel).read_bytes())
            except OSError:
                digest.update(b"<unreadable>")
        return digest.hexdigest()[:16]

    @property
    def sql_dialect(self) -> str:
        return self.config.sql_dialect

    @property
    def entities(self) -> list[Entity]:
        return self.config.entities

    @property
    def id_types(self) -> list[IdType]:
        return self.config.id_types

    @property
    def landing_zone_path(self) -> Path:
        return (self.root / self.config.landing_zone).resolve()

    @property
    def inputs_by_name(self) -> dict[str, Input]:
        return _first_by_name(self.inputs)

    @property
    def models_by_name(self) -> dict[str, ModelDef]:
        return _first_by_name(self.models)

    @property
    def macros_by_name(self) -> dict[str, Macro]:
        return _first_by_name(self.macros)

    @property
    def id_types_by_name(self) -> dict[str, IdType]:
        return _first_by_name(self.config.id_types)

    def entity(self, name: str) -> Entity:
        for entity in self.config.entities:
            if entity.name == name:
                return entity
        known = ", ".join(e.name for e in self.config.entities) or "none"
        raise UserError(f"unknown entity '{name}' (entities in pb_project.yaml: {known})")

    def models_of_type(self, model_type: str) -> list[ModelDef]:
        return [m for m in self.models if m.model_type == model_type]

    def vars_for(self, entity: str) -> list[AnyVar]:
        """Entity vars and input vars of an entity, in declaration order across files."""
        return [v for g in self.var_groups for v in g.variables if v.entity == entity]

    def row_source_names(self) -> list[str]:
        """Names a template may use as `{{name}}` / `{{name.Var("input var")}}`: the inputs and
        the sql_template models (pb lets input vars live on either)."""
        names = [i.name for i in self.inputs]
        return names + [m.name for m in self.models_of_type("sql_template") if m.name not in names]

    def entity_vars_for(self, entity: str) -> list[EntityVar]:
        return [v for v in self.vars_for(entity) if isinstance(v, EntityVar)]

    def input_vars_for(self, entity: str) -> list[InputVar]:
        return [v for v in self.vars_for(entity) if isinstance(v, InputVar)]

    def var(self, entity: str, name: str) -> AnyVar | None:
        return next((v for v in self.vars_for(entity) if v.name == name), None)

    def prediction_outputs(self, entity: str) -> list[tuple[str, list]]:
        """(propensity model, its output columns: score, percentile) for each model of `entity`."""
        return [(m.name, [m.model_spec.prediction.output_columns.score, m.model_spec.prediction.output_columns.percentile])
                for m in self.models_of_type("propensity") if m.model_spec.entity_key == entity]

    def prediction_output(self, entity: str, name: str) -> str | None:
        """The propensity model whose output column (score or percentile) `name` is, for `entity`."""
        return next((model for model, columns in self.prediction_outputs(entity) if name in {c.name for c in columns}),
                    None)

    def stitcher_model(self, entity: str) -> IdStitcherModel | None:
        """The entity's custom id_stitcher model, or None when it uses the default stitcher."""
        path = self.entity(entity).id_stitcher
        target = self.resolve(path) if path else None
        return target if isinstance(target, IdStitcherModel) else None

    def stitcher_name(self, entity: str) -> str:
        """Table name of the entity's id graph (pb: `<entity>_default_id_stitcher` by default)."""
        model = self.stitcher_model(entity)
        return model.name if model else f"{entity}_default_id_stitcher"

    def edge_sources_for(self, entity: str) -> list[str]:
        """Paths (inputs/x, models/y) whose ids feed the entity's id graph."""
        model = self.stitcher_model(entity)
        if model is not None and model.model_spec.edge_sources is not None:
            return [e.from_ for e in model.model_spec.edge_sources]
        inputs = [(f"inputs/{i.name}", i.ids_for(entity)) for i in self.inputs]
        models = [(m.path, [x for x in m.model_spec.ids if x.entity == entity])
                  for m in self.models_of_type("sql_template")]
        said = any(x.to_default_stitcher is not None for _, ids in inputs + models for x in ids)
        return [path for path, ids in inputs + models
                if ids and any(x.to_default_stitcher or (not said and x.to_default_stitcher is None) for x in ids)]

    def resolve(self, path: str) -> Input | ModelDef | None:
        """`inputs/x` -> the input; `models/y` -> the model (or, as pb allows, an input named y)."""
        parts = package_local_path(path).split("/")
        if len(parts) < 2:
            return None
        kind, name = parts[0], parts[1]
        if kind == "inputs":
            return self.inputs_by_name.get(name)
        if kind == "models":
            return self.models_by_name.get(name) or self.inputs_by_name.get(name)
        return None

    def cohort_chain(self, cohort: str) -> list[EntityCohortModel]:
        """The cohort and its ancestors, root first (stops at `<entity>/all` or a cycle)."""
        chain: list[EntityCohortModel] = []
        current = self.models_by_name.get(cohort)
        while isinstance(current, EntityCohortModel) and current not in chain:
            chain.insert(0, current)
            parent = current.model_spec.extends
            current = self.resolve(parent) if parent and parent.startswith("models/") else None
        return chain

    def feature_table_entity(self, model) -> str | None:
        """Entity of a feature_table_model: its entity_key, else its cohort's entity."""
        if model.model_spec.entity_key:
            return model.model_spec.entity_key
        return self.cohort_entity(model.cohort) if model.cohort else None

    def activation_source(self, source: str) -> tuple[str, str, str] | None:
        """(kind, name, entity) of an activation's `source`: a cohort or a feature table
        (`models/<name>`), or an entity's feature view (its name); None when it is none of them."""
        name = source.strip("/").split("/")[-1]
        target = self.resolve(source) if source.startswith("models/") else None
        if isinstance(target, EntityCohortModel):
            entity = self.cohort_entity(name)
            return ("cohort", name, entity) if entity else None
        if isinstance(target, FeatureTableModel):
            entity = self.feature_table_entity(target)
            return ("feature_table", name, entity) if entity else None
        return next((("feature_view", name, e.name) for e in self.entities if e.feature_view_name == name), None)

    def cohort_entity(self, cohort: str) -> str | None:
        """Entity of a cohort: its entity_key, the root of its extends chain, or the only entity."""
        for model in reversed(self.cohort_chain(cohort)):
            spec = model.model_spec
            if spec.entity_key:
                return spec.entity_key
            if spec.extends and not spec.extends.startswith("models/"):
                return spec.extends.split("/")[0]
        return self.entities[0].name if len(self.entities) == 1 else None

    def id_type_filters(self, id_type: str) -> list[IdTypeFilter]:
        """Filters of an id type including those inherited through `extends`, parent first."""
        chain, current, by_name = [], self.id_types_by_name.get(id_type), self.id_types_by_name
        while current is not None and current not in chain:
            chain.insert(0, current)
            current = by_name.get(current.extends) if current.extends else None
        return [f for t in chain for f in t.filters]


def package_local_path(path: str) -> str:
    """`packages/<name>/models/x` -> `models/x`: a package's items are read into the project
    (spec/packages.py), so a path into a package names the same item as the bare path."""
    parts = path.strip().strip("/").split("/")
    while len(parts) > 2 and parts[0] == "packages":
        parts = parts[2:]
    return "/".join(parts)


def _first_by_name(items: list) -> dict:
    out: dict = {}
    for item in items:
        out.setdefault(item.name, item)
    return out
