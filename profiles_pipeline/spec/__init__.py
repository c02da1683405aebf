"""Project spec layer: pb YAML -> validated pydantic models; every problem names file and line."""

from profiles_pipeline.spec.input_models import AppDefaults, Contract, Input, InputId
from profiles_pipeline.spec.model_types import (
    MODEL_TYPES,
    CohortFeatureView,
    CohortFilter,
    EdgeSource,
    EntityCohortModel,
    EntityCohortSpec,
    FeatureTableModel,
    FeatureTableSpec,
    IdStitcherModel,
    IdStitcherSpec,
    Materialization,
    ModelDef,
    PropensityModel,
    PropensitySpec,
    SqlTemplateModel,
    SqlTemplateSpec,
)
from profiles_pipeline.spec.project import AnyVar, Project
from profiles_pipeline.spec.project_models import (
    Entity,
    FeatureViews,
    IdType,
    IdTypeFilter,
    ProjectConfig,
    UsingId,
)
from profiles_pipeline.spec.references import Reference, find_references, template_context
from profiles_pipeline.spec.schema import project_json_schema
from profiles_pipeline.spec.settings import landing_zone_of
from profiles_pipeline.spec.sql_snippets import strip_template
from profiles_pipeline.spec.validate import ValidationReport, load_project, validate_project
from profiles_pipeline.spec.var_models import EntityVar, InputVar, Macro, VarGroup, Window

__all__ = [
    "MODEL_TYPES", "AnyVar", "AppDefaults", "CohortFeatureView", "CohortFilter", "Contract",
    "EdgeSource", "Entity", "EntityCohortModel", "EntityCohortSpec", "EntityVar", "FeatureTableModel",
    "FeatureTableSpec", "FeatureViews", "IdStitcherModel", "IdStitcherSpec", "IdType", "IdTypeFilter",
    "Input", "InputId", "InputVar", "Macro", "Materialization", "ModelDef", "Project", "ProjectConfig",
    "PropensityModel", "PropensitySpec", "Reference", "SqlTemplateModel", "SqlTemplateSpec",
    "UsingId", "ValidationReport", "VarGroup", "Window", "find_references", "load_project",
    "landing_zone_of", "project_json_schema", "strip_template", "template_context", "validate_project",
]
