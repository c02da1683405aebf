"""`models:` entries, one class per pb model_type, as a discriminated union on `model_type`."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator, model_validator
from typing_extensions import TypeAliasType

from profiles_pipeline.spec.base import OpenSpecModel, SpecModel
from profiles_pipeline.spec.input_models import InputIds
from profiles_pipeline.spec.var_models import TimeGrain


class Materialization(OpenSpecModel):
    output_type: Literal["ephemeral", "view", "table"] | None = None
    run_type: Literal["discrete", "incremental"] | None = None


class EdgeSource(SpecModel):
    from_: str = Field(alias="from")

    @model_validator(mode="before")
    @classmethod
    def _bare_path(cls, data: Any) -> Any:
        """pb's early schemas list edge sources as bare paths (`- inputs/rsIdentifies`), or
        name the input alone (`- input: rsIdentifies`)."""
        if isinstance(data, str):
            return {"from": data}
        if isinstance(data, dict) and set(data) == {"input"} and isinstance(data["input"], str):
            return {"from": f"inputs/{data['input'].removeprefix('inputs/')}"}
        return data


class IdStitcherSpec(SpecModel):
    entity_key: str
    edge_sources: list[EdgeSource] | None = None
    main_id_type: str | None = None
    materialization: Materialization | None = None
    incremental_timedelta: str | None = None
    validity_time: str | None = None
    log_direct_edge_info: bool | None = Field(default=None, description="pb's debug logging; no effect here "
                                              "(<stitcher>_audit and `profiles show explain` say why ids joined)")
    log_node_metadata: bool | None = Field(default=None, description="pb's debug logging; no effect here")
    time_grain: TimeGrain | None = Field(default=None, description="pb's time grain: the id graph is built as of "
                                         "the grain's last boundary; later ids wait for the next one")


class ColumnMetadata(OpenSpecModel):
    """pb's `features:` items on a sql_template model: what a column of it means (pb 0.26.4 reads
    them as column metadata and publishes the same rows; checked by running it)."""

    name: str
    description: str | None = None


class SqlTemplateSpec(SpecModel):
    single_sql: str | None = None
    features: list[ColumnMetadata] = Field(default_factory=list, description="pb's column metadata of the "
                                           "model (name, description); it changes no rows")
    multi_sql: str | None = None
    materialization: Materialization | None = None
    occurred_at_col: str | None = None
    ids: InputIds = Field(default_factory=list)
    contract: dict[str, Any] | None = None
    validity_time: str | None = None
    time_grain: TimeGrain | None = Field(default=None, description="pb's time grain: the model is built as of "
                                         "the grain's last boundary (features/grains.py)")

    union_inputs: list[str] | None = Field(
        default=None, min_length=1, description="set from pb's `common_column_union` (its `inputs:`): the "
        "rows of these inputs over the columns they all have (features/resolve_models.py)")

    @model_validator(mode="after")
    def _one_sql(self) -> SqlTemplateSpec:
        if self.union_inputs is not None:
            self.single_sql = union_sql(self.union_inputs)
        if (self.single_sql is None) == (self.multi_sql is None):
            raise ValueError("a sql_template needs exactly one of single_sql or multi_sql")
        return self


def union_sql(inputs: list[str]) -> str:
    """The single_sql of a common_column_union: every input's rows (their common columns are
    chosen when the warehouse is known); the DeRefs make the inputs its dependencies."""
    return " UNION ALL ".join(f'SELECT * FROM {{{{ this.DeRef("{path}") }}}}' for path in inputs)


def common_column_union_as_sql_template(item: Any) -> None:
    """pb's `common_column_union` (a model type its Python package registers) read as the
    sql_template it amounts to: `model_spec.inputs` becomes `union_inputs`. In place, so file
    lines stay."""
    if isinstance(item, dict) and item.get("model_type") == "common_column_union":
        item["model_type"] = "sql_template"
        spec = item.get("model_spec")
        if isinstance(spec, dict) and "inputs" in spec:
            spec["union_inputs"] = spec.pop("inputs")


class CohortFilter(SpecModel):
    type: Literal["include", "exclude"]
    value: str


FilterExpression = TypeAliasType(
    "FilterExpression", Union[str, dict[Literal["AND", "OR"], list["FilterExpression"]]]  # noqa: UP007
)


class CohortFeatureView(SpecModel):
    id: str
    name: str


class EntityCohortSpec(SpecModel):
    extends: str | None = Field(default=None, description="parent cohort path; default <entity>/all")
    entity_key: str | None = None
    filter_pipeline: list[CohortFilter] = Field(default_factory=list)
    filter_expression: FilterExpression | None = None
    materialization: Materialization | None = None
    feature_views: list[CohortFeatureView] = Field(default_factory=list)
    feature_view_name: str | None = Field(default=None, description="a view of the members keyed by the main "
                                          "id (pb's feature_views.name)")
    validity_time: str | None = None
    time_grain: TimeGrain | None = Field(default=None, description="pb's time grain: membership and features "
                                         "as of the grain's last boundary at or before the end time")

    @model_validator(mode="before")
    @classmethod
    def _views_as_pb_writes_them(cls, data: Any) -> Any:
        """pb writes a cohort's views as `feature_views: {name: .., using_ids: [...]}` (`name`: the
        members keyed by the main id; `materialization` is pb's own choice); a bare list works too."""
        if isinstance(data, dict) and isinstance(data.get("feature_views"), dict):
            views = data["feature_views"]
            if set(views) <= {"using_ids", "name", "materialization"}:
                named = {"feature_view_name": views["name"]} if views.get("name") else {}
                return {**data, "feature_views": views.get("using_ids") or [], **named}
        return data

    def filter_sql(self) -> str | None:
        """filter_pipeline and filter_expression as one SQL condition (templates untouched)."""
        parts = [
            f"({f.value.strip()})" if f.type == "include" else f"NOT ({f.value.strip()})"
            for f in self.filter_pipeline
        ]
        if self.filter_expression is not None:
            parts.append(f"({expression_sql(self.filter_expression)})")
        return " AND ".join(parts) if parts else None


def expression_sql(expr: Any) -> str:
    """pb's `filter_expression` ({AND: [...]} / {OR: [...]} / string) as a SQL condition."""
    if isinstance(expr, str):
        return expr.strip()
    (op, items), = expr.items()
    return f" {op} ".join(f"({expression_sql(i)})" for i in items)


class FeatureTableSpec(SpecModel):
    entity_key: str | None = None
    entity_cohort: str | None = Field(default=None, description="a cohort (models/<name>): the table holds its "
                                      "members only; its entity is the cohort's")
    features: list[str]
    validity_time: str | None = None
    materialization: Materialization | None = None
    time_grain: TimeGrain | None = Field(default=None, description="pb's time grain: the features as of the "
                                         "grain's last boundary at or before the end time")
    compatibility_mode: dict[str, Any] | None = Field(
        default=None, description="pb's switches for how it generates its own SQL (e.g. "
        "linear_dependency_of_vars); they change no output here")


class OutputColumn(SpecModel):
    name: str
    description: str | None = None
    is_feature: bool = Field(default=True, description="whether the column is a feature of the entity (in its "
                             "feature view) or only kept in the scores table")


class OutputColumns(SpecModel):
    percentile: OutputColumn
    score: OutputColumn


class MaterialisationDates(SpecModel):
    """pb's `new_materialisations_config`: the instants T training rows are taken at (features as
    of T, the label as of T + predict_window_days)."""

    strategy: Literal["auto", "manual", ""] = Field(
        default="", description="auto: up to max_no_of_dates instants (ends of days), feature_data_min_date_diff "
        "days apart, the latest predict_window_days before the last day end at or before the run's end time; "
        "manual: the pairs under dates; '' (default): only that latest instant")
    feature_data_min_date_diff: int = Field(default=7, ge=1, description="auto: days between training instants")
    max_no_of_dates: int = Field(default=3, ge=1, le=52, description="auto: at most this many training instants")
    dates: list[str] = Field(default_factory=list, description="manual: 'feature_date,label_date' pairs")

    @model_validator(mode="after")
    def _manual_has_dates(self) -> MaterialisationDates:
        if self.strategy == "manual" and not self.dates:
            raise ValueError("strategy manual needs dates: ['<feature date>,<label date>', ...]")
        for pair in self.dates:
            if len([p for p in str(pair).split(",") if p.strip()]) != 2:
                raise ValueError(f"dates item {pair!r} is not '<feature date>,<label date>' (e.g. '2024-01-01,2024-01-08')")
        return self


class PropensityTraining(SpecModel):
    """pb's `training` block (profiles-mlcorelib's keys). Unsupported ones are named by validate."""

    predict_var: str = Field(description="the label: this var's value predict_window_days after each training instant")
    predict_window_days: int = Field(ge=1)
    label_value: Any = Field(default=None, description="classification: the value of predict_var that is the "
                             "positive class (default: true, or 1)")
    validity: Literal["day", "week", "month"] = Field(default="month", description="how long a trained model "
                                                      "scores before it is retrained")
    type: Literal["classification", "regression"] = "classification"
    eligible_users: str | None = Field(default=None, description="SQL over the entity's vars as of T: who "
                                       "training rows are taken for")
    max_row_count: int = Field(default=30_000, ge=100, description="the training sample's bound (rows leave "
                               "the warehouse only up to this many)")
    recall_to_precision_importance: float = Field(default=1.0, gt=0, description="classification: beta of the "
                                                  "F-beta score the decision threshold maximises")
    ignore_features: list[str] = Field(default_factory=list, description="inputs not used as features")
    new_materialisations_config: MaterialisationDates = Field(default_factory=MaterialisationDates)
    numeric_features: list[str] = Field(default_factory=list, description="treat these as numbers")
    categorical_features: list[str] = Field(default_factory=list, description="treat these as categories")
    timestamp_columns: list[str] = Field(default_factory=list, description="timestamps, used as days before T")
    booleantype_columns: list[str] = Field(default_factory=list, description="booleans, used as 0/1")
    top_k_array_categories: int | None = Field(default=None, ge=1, description="the most frequent categories "
                                               "kept per categorical feature (others are one 'other')")
    warehouse: str | None = Field(default=None, description="pb: the Snowpark warehouse training runs on; here "
                                  "training runs in this process, so it has no effect")
    # our extension: quality floors the asset checks enforce
    min_auc: float = Field(default=0.6, ge=0, le=1, description="ours: the AUC (R² for regression) on the "
                           "time-split holdout below which the training check fails")

    @field_validator("label_value", mode="before")
    @classmethod
    def _scalar(cls, v: Any) -> Any:
        if isinstance(v, (list, dict)):
            raise ValueError("label_value is one value of predict_var (e.g. 1 or true)")
        return v


class PropensityPrediction(SpecModel):
    output_columns: OutputColumns
    eligible_users: str | None = Field(default=None, description="SQL over the entity's vars: who is scored "
                                       "(default: everyone)")
    warehouse: str | None = Field(default=None, description="pb: the Snowpark warehouse; no effect here")
    # our extension
    max_score_shift: float = Field(default=0.25, ge=0, description="ours: the population stability index of the "
                                   "scores against the previous day's above which the shift check warns")


_PB_UNSUPPORTED_TRAINING = {
    "arraytype_columns": "array features are not used by this engine's models",
    "algorithms": "this engine chooses between gradient boosting and a linear baseline itself",
    "file_lookup_path": "trained models are kept under the project's data/predictions folder",
}


class PropensitySpec(SpecModel):
    """pb's propensity model: trained on the entity's vars as of past instants, scoring every day."""

    entity_key: str
    training: PropensityTraining
    prediction: PropensityPrediction
    inputs: list[str] = Field(min_length=1, description="var paths like entity/user/revenue, or "
                              "models/<feature table> for all of its features")
    ids: list[Any] | None = None
    validity_time: str | None = None
    materialization: Materialization | None = None

    @model_validator(mode="before")
    @classmethod
    def _unsupported(cls, data: Any) -> Any:
        training = data.get("training") if isinstance(data, dict) else None
        for key, why in _PB_UNSUPPORTED_TRAINING.items():
            if isinstance(training, dict) and key in training:
                raise ValueError(f"training.{key} is not supported: {why}; remove it")
        return data


class Hooks(SpecModel):
    """pb's `hooks:` on an entity or a model: SQL pb runs before and after it. Empty (as pb's own
    templates write it) is accepted; SQL in it is a validate error until it is run here."""

    pre_run: str | None = None
    post_run: str | None = None

    @model_validator(mode="after")
    def _empty(self) -> Hooks:
        for key in ("pre_run", "post_run"):
            if (getattr(self, key) or "").strip():
                raise ValueError(f"{key} holds SQL; this engine does not run hooks yet (run it as a "
                                 f"sql_template model, or leave it empty)")
        return self


class _ModelBase(SpecModel):
    name: str
    hooks: Hooks | None = None

    @property
    def path(self) -> str:
        return f"models/{self.name}"


class IdStitcherModel(_ModelBase):
    model_type: Literal["id_stitcher"]
    model_spec: IdStitcherSpec


class SqlTemplateModel(_ModelBase):
    model_type: Literal["sql_template"]
    model_spec: SqlTemplateSpec


class EntityCohortModel(_ModelBase):
    model_type: Literal["entity_cohort"]
    model_spec: EntityCohortSpec


class FeatureTableModel(_ModelBase):
    model_type: Literal["feature_table_model"]
    model_spec: FeatureTableSpec

    @property
    def cohort(self) -> str | None:
        """The cohort whose members the table holds (`entity_cohort: models/<name>`), if any."""
        spec = self.model_spec
        return spec.entity_cohort.strip("/").split("/")[-1] if spec.entity_cohort else None


class PropensityModel(_ModelBase):
    model_type: Literal["propensity"]
    model_spec: PropensitySpec


class ActivationDestination(SpecModel):
    """Where an activation sends rows. Secrets are named by environment variables, never written here."""

    type: Literal["webhook", "file", "braze", "hubspot", "redis", "table"]
    url: str | None = Field(default=None, description="webhook: the endpoint (or url_env); braze: the REST "
                            "endpoint of your instance (https://rest.iad-01.braze.com); hubspot: default "
                            "https://api.hubapi.com")
    url_env: str | None = Field(default=None, description="webhook: an environment variable holding the endpoint")
    auth_header: str = Field(default="Authorization", description="webhook: the header auth_env's value goes in")
    auth_env: str | None = Field(default=None, description="webhook: environment variable holding the auth header value")
    hmac_secret_env: str | None = Field(default=None, description="webhook: environment variable holding the "
                                        "HMAC-SHA256 key; the body's signature goes in X-Profiles-Signature")
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=6, ge=1, description="webhook: tries per batch before the sync fails")
    api_key_env: str | None = Field(default=None, description="braze, hubspot: environment variable holding the "
                                    "API key / private app token (sent as a Bearer token)")
    id_field: str | None = Field(default=None, description="braze: external_id (default) or email; hubspot: the "
                                 "idProperty (default email)")
    path: str | None = Field(default=None, description="file: folder (relative to the project) or fsspec URL "
                             "(s3://bucket/prefix) files go into")
    key_prefix: str = Field(default="profiles", description="redis: the prefix of every key written")
    table: str | None = Field(default=None, description="table: the warehouse table kept equal to the source "
                              "(created when missing)")
    connection: str | None = Field(default=None, description="table: a connection of siteconfig.yaml to write to "
                                   "(default: the project's own warehouse)")
    format: Literal["csv", "jsonl", "parquet"] = "jsonl"
    when_unset: Literal["fail", "skip"] = Field(
        default="fail", description="when an environment variable this destination reads is not set: fail the "
        "sync (default), or skip it and say so in the run summary (an optional destination, an example project)")

    def env_names(self) -> list[str]:
        """The environment variables this destination reads (credentials, a URL kept out of the project)."""
        url_env = [self.url_env] if self.url_env and not self.url else []
        return [n for n in (*url_env, self.auth_env, self.hmac_secret_env, self.api_key_env) if n]

    @model_validator(mode="after")
    def _complete(self) -> ActivationDestination:
        if self.type == "webhook" and not (self.url or self.url_env):
            raise ValueError("a webhook destination needs url: or url_env:")
        if self.type == "file" and not self.path:
            raise ValueError("a file destination needs path: (a folder, relative to the project)")
        if self.type == "table" and not self.table:
            raise ValueError("a table destination needs table: (the name of the table to keep)")
        if self.type == "redis" and not (self.url or self.url_env):
            raise ValueError("a redis destination needs url: or url_env: (redis://host:port/db)")
        if self.type in ("braze", "hubspot") and not self.api_key_env:
            raise ValueError(f"a {self.type} destination needs api_key_env: (the environment variable holding its key)")
        if self.type == "braze" and not self.url:
            raise ValueError("a braze destination needs url: (your instance's REST endpoint, e.g. "
                             "https://rest.iad-01.braze.com)")
        if self.type == "braze" and self.id_field not in (None, "external_id", "email"):
            raise ValueError(f"braze keys users by external_id or email, not {self.id_field!r}")
        return self


class ActivationSpec(SpecModel):
    """Our extension: send a cohort, feature view or feature table to a destination, as a diff
    against what was last accepted there."""

    source: str = Field(description="models/<cohort or feature table>, or a feature view's name")
    identifier: str = Field(description="what the destination keys on: an id type of the entity, or its main id column")
    columns: dict[str, str] = Field(default_factory=dict, description="source column: destination field name")
    destination: ActivationDestination
    sync_mode: Literal["upsert", "mirror", "insert", "all"] = "upsert"
    batch_size: int = Field(default=100, ge=1, le=10_000)
    rate_limit: float | None = Field(default=None, gt=0, description="at most this many requests per second")
    max_rejection_rate: float = Field(default=0.05, ge=0, le=1,
                                      description="the asset check fails when more of a sync's rows are rejected")

    @model_validator(mode="after")
    def _mode_fits(self) -> ActivationSpec:
        if self.sync_mode == "mirror" and self.destination.type == "hubspot":
            raise ValueError("hubspot contacts are upserted, not removed here: use sync_mode upsert or insert")
        return self


class ActivationModel(_ModelBase):
    model_type: Literal["activation"]
    model_spec: ActivationSpec


ModelDef = Annotated[
    Union[IdStitcherModel, SqlTemplateModel, EntityCohortModel, FeatureTableModel, PropensityModel, ActivationModel],  # noqa: UP007
    Field(discriminator="model_type"),
]
MODEL_TYPES = ("id_stitcher", "sql_template", "entity_cohort", "feature_table_model", "propensity", "activation")
