"""pb_project.yaml: project settings, entities and id types (pb syntax plus our extensions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from profiles_pipeline.spec.base import OpenSpecModel, SpecModel, require_exactly_one
from profiles_pipeline.spec.model_types import Hooks


class FilterSql(SpecModel):
    """An id type filter whose values come from a query: `sql: {select, from}`."""

    select: str
    from_: str = Field(alias="from")


class IdTypeFilter(SpecModel):
    """One include/exclude rule for id values, applied in the order listed."""

    type: Literal["include", "exclude"]
    value: str | None = None
    regex: str | None = None
    sql: FilterSql | None = None

    @model_validator(mode="after")
    def _one_matcher(self) -> IdTypeFilter:
        require_exactly_one(self, ("value", "regex", "sql"), "an id type filter")
        return self


class IdType(SpecModel):
    """A kind of identifier (email, anonymous_id, ...) with its filters and edge limits."""

    name: str
    extends: str | None = None
    filters: list[IdTypeFilter] = Field(default_factory=list)
    maximum_edges: list[dict[str, int]] = Field(
        default_factory=list,
        description="pb syntax: a list of single-key maps, e.g. [{email: 2}, {anonymous_id: 5}]",
    )
    hub_threshold: int | None = Field(
        default=None, description="extension: ids with more distinct neighbours than this are quarantined"
    )
    unique: bool = Field(
        default=False, description="extension: a profile holds at most one value of this id type (user_id)"
    )
    max_per_cluster: int | None = Field(
        default=None, ge=1, description="extension: a profile holds at most this many values of this id type"
    )
    priority: int | None = Field(
        default=None, description="extension: when links conflict with a cluster rule in the same instant, "
        "links of the id type with the lower priority number are decided first",
    )

    @field_validator("maximum_edges")
    @classmethod
    def _single_key(cls, value: list[dict[str, int]]) -> list[dict[str, int]]:
        for item in value:
            if len(item) != 1:
                raise ValueError(
                    f"each maximum_edges entry is one 'id_type: count' pair, got {dict(item)}"
                )
        return value

    @model_validator(mode="after")
    def _one_cluster_limit(self) -> IdType:
        if self.unique and self.max_per_cluster not in (None, 1):
            raise ValueError(f"id type {self.name!r} sets unique: true and max_per_cluster: {self.max_per_cluster}; "
                             "unique means at most one per profile: keep one of the two")
        return self

    @property
    def cluster_limit(self) -> int | None:
        """The most values of this type one profile may hold (1 when unique); None: no limit."""
        return 1 if self.unique else self.max_per_cluster

    @property
    def max_edges_map(self) -> dict[str, int]:
        """maximum_edges as {other_id_type: limit}."""
        return {k: v for item in self.maximum_edges for k, v in item.items()}


class UsingId(SpecModel):
    """A feature view keyed by one id type instead of the main id."""

    id: str
    name: str | None = Field(default=None, description="the view's name; default <entity>_feature_view_<id>")


class FeatureViews(SpecModel):
    name: str | None = Field(default=None, description="the main feature view's name; default "
                             "<entity>_feature_view")
    using_ids: list[UsingId] = Field(default_factory=list)


class Entity(SpecModel):
    """A thing we build profiles for (user, account, ...)."""

    name: str
    description: str | None = None
    id_column_name: str | None = None
    id_stitcher: str | None = Field(default=None, description="model path, e.g. models/user_id_stitcher")
    id_types: list[str] = Field(default_factory=list)
    feature_views: FeatureViews = Field(default_factory=FeatureViews)
    serve_traits: list[Any] | None = None
    hooks: Hooks | None = None

    @property
    def main_id_column(self) -> str:
        """`id_column_name`, defaulting to `<entity>_main_id` as pb does."""
        return self.id_column_name or f"{self.name}_main_id"

    @property
    def feature_view_name(self) -> str:
        """The feature view keyed by the main id: `feature_views.name`, else `<entity>_feature_view`."""
        return self.feature_views.name or f"{self.name}_feature_view"

    def using_id_views(self) -> list[tuple[str, str]]:
        """(id type, view name) of every view keyed by an id type; an unnamed one is
        `<entity>_feature_view_<id type>`."""
        return [(u.id, u.name or f"{self.name}_feature_view_{u.id}") for u in self.feature_views.using_ids]


class ChecksConfig(SpecModel):
    """Extension: bounds for the data-quality checks that run after each materialization."""

    max_cluster_size: int = Field(
        default=1000, ge=1, description="no identity cluster may hold more ids than this (blocking)"
    )
    max_null_rate: dict[str, float] = Field(
        default_factory=dict,
        description="var name -> highest allowed share of nulls in the entity's feature view",
    )
    max_cohort_change: float = Field(
        default=0.5, ge=0, description="largest allowed relative change of a cohort's size between runs"
    )


#: Id values that stand for "no value": exported nulls and placeholders. Matching ids link
#: strangers (every row with `null` as its user id would be one person), so they are dropped.
DEFAULT_JUNK_IDS = ("null", "none", "undefined", "nan", "nil", "(null)")


class JunkIdsConfig(SpecModel):
    """Extension: id values dropped before stitching, whatever their id type (counted in the
    stitcher's audit, `<stitcher>__excluded`). Blank values are always dropped."""

    values: list[str] = Field(
        default_factory=lambda: list(DEFAULT_JUNK_IDS),
        description="values dropped, compared trimmed and case-insensitively; [] keeps them all",
    )
    control_characters: bool = Field(
        default=True, description="drop ids holding a control character (NUL, tab, newline, ...)"
    )


class EventTimesConfig(SpecModel):
    """Extension: which event times are believable. Rows outside are left out of the id graph and
    the features, and counted (a run's summary, the input's metadata, `profiles__left_out`)."""

    not_before: date | None = Field(
        default=None, description="earliest believable event day (YYYY-MM-DD); default: partitions_start, "
        "else 1970-01-01 (epoch zeros and placeholder dates fall before it)")
    future_tolerance: str = Field(
        default="1d", description="how far past now an event may be dated (clock skew), as 24h or 1d")

    @field_validator("not_before", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        return _as_day(value)

    @field_validator("future_tolerance")
    @classmethod
    def _duration(cls, value: str) -> str:
        from profiles_pipeline.instants import parse_duration

        parse_duration(value)
        return value


def _as_day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a day; write it as YYYY-MM-DD, e.g. 2024-01-01") from None


#: pb's default retention for `pb cleanup materials` when none is given.
DEFAULT_RETENTION = timedelta(days=180)


class ProjectConfig(SpecModel):
    """The contents of pb_project.yaml."""

    name: str
    schema_version: int | None = None
    connection: str | None = None
    profile: str | None = Field(default=None, description="the early schemas' name for `connection`")
    model_folders: list[str] = Field(default_factory=lambda: ["models"])
    entities: list[Entity] = Field(default_factory=list)
    id_types: list[IdType] = Field(default_factory=list)
    include_untimed: bool | None = None
    available_tags: list[OpenSpecModel] = Field(default_factory=list, description="the tags vars may carry "
                                                "(`name`, `description`)")
    allow_beta: bool | None = Field(default=None, description="pb's opt-in to its beta releases; no effect here")
    carry_forward_privileges: bool | None = None
    python_requirements: list[str] = Field(default_factory=list)
    packages: list[OpenSpecModel] = Field(default_factory=list)
    sql_dialect: str = Field(default="snowflake", description="extension: sqlglot dialect of user SQL snippets")
    landing_zone: str = Field(
        default="data/landing", description="extension: landing zone folder, relative to the project"
    )
    partitions_start: date | None = Field(
        default=None,
        description="extension: first day (YYYY-MM-DD, quoted or not) of the daily partitions; "
        "default: the day of the earliest event across the inputs",
    )
    retention_period: str | None = Field(
        default=None,
        description="how long snapshots (the id graph's history, feature snapshots) are kept, as pb "
        "writes it (720h0m0s, 24h) or in days (30d); the latest is never dropped; default 180 days",
    )
    checks: ChecksConfig = Field(default_factory=ChecksConfig, description="extension: check bounds")
    junk_ids: JunkIdsConfig = Field(default_factory=JunkIdsConfig, description="extension: ids dropped as junk")
    event_times: EventTimesConfig = Field(default_factory=EventTimesConfig,
                                          description="extension: believable event times")

    @field_validator("partitions_start", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        return _as_day(value)

    @model_validator(mode="after")
    def _profile_is_connection(self) -> ProjectConfig:
        """`profile:` (pb's early schemas) names the connection when `connection:` is absent."""
        if self.connection is None and self.profile is not None:
            self.connection = self.profile
        return self

    @field_validator("retention_period")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            from profiles_pipeline.instants import parse_duration

            parse_duration(value)
        return value

    @property
    def believable_from(self) -> date:
        """The earliest believable event day: `event_times.not_before`, else `partitions_start`,
        else 1970-01-01."""
        return self.event_times.not_before or self.partitions_start or date(1970, 1, 1)

    @property
    def future_tolerance(self) -> timedelta:
        from profiles_pipeline.instants import parse_duration

        return parse_duration(self.event_times.future_tolerance)

    @property
    def retention(self) -> timedelta:
        """`retention_period` as a timedelta (pb's cleanup default, 180 days, when unset)."""
        from profiles_pipeline.instants import parse_duration

        return parse_duration(self.retention_period) if self.retention_period else DEFAULT_RETENTION
