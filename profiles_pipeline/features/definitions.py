"""The features layer's resolved view of a project: every snippet rendered, transpiled to the
engine's dialect and parsed, every reference resolved to a name. The planner works only on
these objects, never on YAML or templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp

from profiles_pipeline.errors import Location


@dataclass
class Window:
    """A var's `window:`; partition keys naming the entity's main id are already mapped to it."""

    partition_by: list[exp.Expression] = field(default_factory=list)
    order_by: list[exp.Ordered] = field(default_factory=list)
    frame: exp.Expression | None = None

    def key(self) -> str:
        parts = [p.sql() for p in self.partition_by] + ["|"] + [o.sql() for o in self.order_by]
        return ",".join(parts) + (f"|{self.frame.sql()}" if self.frame is not None else "")


@dataclass
class Source:
    """An input or sql_template model whose rows vars aggregate."""

    path: str  # inputs/x or models/y
    name: str
    relation: exp.Expression  # table or subquery, no filters
    occurred_at: str | None
    ids: list[tuple[exp.Expression, str]]  # (id expression, id type) in the entity's id type order
    where: exp.Expression | None
    location: Location
    #: The id graph itself (`from: models/<id stitcher>`): each row already holds its main id.
    keyed_by_main_id: bool = False


@dataclass
class InputVarDef:
    name: str
    source: str  # Source.path
    select: exp.Expression
    where: exp.Expression | None
    default: exp.Expression | None
    window: Window | None
    deps: set[str]  # input vars of the same source
    location: Location
    text: str


@dataclass
class EntityVarDef:
    name: str
    select: exp.Expression
    source: str | None  # Source.path; None for a derived var
    where: exp.Expression | None
    default: exp.Expression | None
    window: Window | None
    is_feature: bool
    deps: set[str]  # entity vars referenced
    cohort: str | None  # owning cohort (vars of `entity_cohort:` var_groups), None for the entity
    location: Location
    text: str
    where_text: str | None = None
    grain: str | None = None  # the var_group's time_grain (None: as of the end time); see grains.py
    data_type: exp.DataType | None = None  # column_data_type: the var's type in the outputs

    @property
    def is_derived(self) -> bool:
        return self.source is None


@dataclass
class SqlModelDef:
    """A sql_template model: its query (with DeRefs already replaced) and how to materialize it."""

    name: str
    query: exp.Expression
    output_type: str  # ephemeral | view | table
    deps: set[str]  # model names it DeRefs
    location: Location


@dataclass
class CohortDef:
    name: str
    parent: str | None  # parent cohort name; None for <entity>/all
    condition: exp.Expression | None  # own filters only
    feature_views: list[tuple[str, str]]  # (id type, view name)
    output_type: str
    location: Location
    referenced_vars: set[str] = field(default_factory=set)
    main_view: str | None = None  # the members keyed by the main id, under this name
    grain: str | None = None  # pb's time_grain: members and features as of its last boundary


@dataclass
class FeatureTableDef:
    name: str
    features: list[str]
    location: Location
    cohort: str | None = None  # the table holds this cohort's members only
    grain: str | None = None  # pb's time_grain: the features as of its last boundary


@dataclass
class EntityFeatures:
    """Everything the planner needs for one entity."""

    entity: str
    main_id: str
    id_types: list[str]
    id_graph: str
    sources: dict[str, Source]
    input_vars: list[InputVarDef]
    entity_vars: list[EntityVarDef]
    using_ids: list[tuple[str, str]]  # (id type, view name)
    cohorts: list[CohortDef]
    feature_tables: list[FeatureTableDef]
    feature_view: str = ""  # the view keyed by the main id
    #: rows dated earlier are not believed (placeholder dates): left out of every var
    not_before: datetime | None = None
    #: propensity scores joined into the feature view: (scores table, its feature columns, every column)
    scores: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    def var(self, name: str) -> EntityVarDef | None:
        return next((v for v in self.entity_vars if v.name == name), None)
