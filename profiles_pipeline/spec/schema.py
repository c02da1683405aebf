"""JSON Schema of the project files, for editors (yaml-language-server, VS Code)."""

from __future__ import annotations

from pydantic import Field
from pydantic.json_schema import models_json_schema

from profiles_pipeline.spec.base import SpecModel
from profiles_pipeline.spec.input_models import Input
from profiles_pipeline.spec.model_types import ModelDef
from profiles_pipeline.spec.project_models import ProjectConfig
from profiles_pipeline.spec.var_models import Macro, VarGroup


class ModelFile(SpecModel):
    """Any YAML file under a model folder: any of these four lists."""

    inputs: list[Input] = Field(default_factory=list)
    models: list[ModelDef] = Field(default_factory=list)
    var_groups: list[VarGroup] = Field(default_factory=list)
    macros: list[Macro] = Field(default_factory=list)


def project_json_schema() -> dict:
    """One schema accepting either pb_project.yaml or a model file; both are also in `$defs`."""
    _, top = models_json_schema([(ProjectConfig, "validation"), (ModelFile, "validation")], title="profiles_pipeline project files")
    defs = top.get("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "profiles_pipeline project files (RudderStack Profiles compatible)",
        "description": "pb_project.yaml matches #/$defs/ProjectConfig; files under model_folders match #/$defs/ModelFile.",
        "anyOf": [{"$ref": "#/$defs/ProjectConfig"}, {"$ref": "#/$defs/ModelFile"}],
        "$defs": defs,
    }
