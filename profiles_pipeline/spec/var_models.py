"""var_groups (entity vars, input vars) and macros."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, model_validator

from profiles_pipeline.spec.base import SpecModel

#: pb's time grains (features/grains.py gives their boundaries).
TimeGrain = Literal["tick", "tenminutes", "10minutes", "hour", "day", "week", "month", "year"]


class Window(SpecModel):
    partition_by: list[str] = Field(default_factory=list)
    order_by: list[str] = Field(default_factory=list)
    frame_clause: str | None = None


def _sql_text(value: Any) -> Any:
    """A snippet YAML read as a number (`select: 12.347`) is that number's SQL text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


#: A SQL snippet; YAML numbers are their text.
SqlText = Annotated[str, BeforeValidator(_sql_text)]


class _VarBase(SpecModel):
    name: str
    select: SqlText
    from_: str | None = Field(default=None, alias="from")
    where: SqlText | None = None
    default_value: Any = None
    description: str | None = None
    window: Window | None = None
    dependencies: list[str] = Field(
        default_factory=list, description="vars this one reads by their bare name (pb's key): computed first")
    tags: list[str] = Field(default_factory=list, description="pb's labels for the var (available_tags lists "
                            "them); they change no output")

    _var_group: str | None = PrivateAttr(default=None)
    _entity: str | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _default_as_pb_reads_it(cls, data: Any) -> Any:
        """pb 0.26 reads `default:` as `default_value:` (checked against pb's own output)."""
        if isinstance(data, dict) and "default" in data and "default_value" not in data:
            data = {("default_value" if k == "default" else k): v for k, v in data.items()}
        return data

    @property
    def var_group(self) -> str | None:
        """Name of the var_group this var is declared in."""
        return self._var_group

    @property
    def entity(self) -> str | None:
        """Name of the entity this var belongs to (from its var_group)."""
        return self._entity


class EntityVar(_VarBase):
    """One value per entity: an aggregate over `from`, or derived from other vars when `from` is absent."""

    kind: ClassVar[str] = "entity_var"
    is_feature: bool = True
    merge: str | None = None
    materialization: dict[str, Any] | None = Field(
        default=None, description="pb's choice of how it materializes the var's own SQL; no output changes")
    column_data_type: str | None = Field(
        default=None, description="the var's SQL type in the outputs, e.g. '{{warehouse.DataType(\"float\")}}'")

    @property
    def is_derived(self) -> bool:
        return self.from_ is None


class InputVar(_VarBase):
    """A new column on an input (one value per row), usually a window over the input."""

    kind: ClassVar[str] = "input_var"
    from_: str = Field(alias="from")
    is_feature: bool = False


class VarEntry(SpecModel):
    """A list item of `vars:`: exactly one of `entity_var:` or `input_var:`."""

    entity_var: EntityVar | None = None
    input_var: InputVar | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> VarEntry:
        if (self.entity_var is None) == (self.input_var is None):
            raise ValueError("each vars item needs exactly one key: entity_var or input_var")
        return self

    @property
    def var(self) -> EntityVar | InputVar:
        return self.entity_var or self.input_var  # type: ignore[return-value]


#: What pb's early schemas called the var kinds inside a model's `vars:` (loader and migrate read them).
EARLY_VAR_KEYS = {"entityvar": "entity_var", "inputvar": "input_var"}


def _none_is_empty(value: Any) -> Any:
    """`inputs:` with nothing after it (YAML null) is no inputs, as pb reads it."""
    return [] if value is None else value


class VarGroup(SpecModel):
    name: str
    entity_key: str | None = None
    entity_cohort: str | None = Field(default=None, description="vars attached to a cohort, e.g. models/known_users")
    vars: Annotated[list[VarEntry], BeforeValidator(_none_is_empty)] = Field(default_factory=list)
    time_grain: TimeGrain | None = Field(
        default=None, description="pb's time grain: the group's vars are computed as of the last boundary of "
        "this grain at or before the end time (features/grains.py)")

    @property
    def variables(self) -> list[EntityVar | InputVar]:
        return [entry.var for entry in self.vars]


class Macro(SpecModel):
    name: str
    inputs: Annotated[list[str], BeforeValidator(_none_is_empty)] = Field(default_factory=list)
    value: str
