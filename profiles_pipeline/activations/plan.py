"""An activation model (YAML) → what a sync needs: the source relation, its key, the columns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from profiles_pipeline.errors import UserError
from profiles_pipeline.spec.model_types import ActivationDestination, ActivationModel
from profiles_pipeline.spec.project import Project

Key = tuple[str, ...]


@dataclass(frozen=True)
class ActivationPlan:
    name: str
    #: the published relation the rows come from, and the step that builds it
    source_relation: str
    source_step: Key
    entity: str
    main_id_column: str
    #: the id type the destination keys on; None: the main id
    id_type: str | None
    #: the entity's id graph (needed when `id_type` is set)
    id_graph: str | None
    #: source column → destination field
    columns: dict[str, str]
    mode: str
    batch_size: int
    rate_limit: float | None
    max_rejection_rate: float
    destination: ActivationDestination
    project_root: Path

    @property
    def sends_ids(self) -> bool:
        """Whether each row carries its profile's ids (`_ids`): a profile store looks profiles up by any id."""
        return self.destination.type == "redis" and self.source_step[0] != "cohorts" and self.id_graph is not None

    @property
    def is_membership(self) -> bool:
        """A cohort's rows say who is in it; other sources' rows are profiles."""
        return self.source_step[0] == "cohorts"

    @property
    def state_table(self) -> str:
        """What the destination accepted: (key, row_hash, synced_at, run_id)."""
        return f"{self.name}__synced"

    @property
    def rejected_table(self) -> str:
        return f"{self.name}__rejected"

    @property
    def meta_table(self) -> str:
        """One row: the end time of the last sync (an older partition does not roll it back)."""
        return f"{self.name}__sync_state"


#: The step that builds each kind of activation source (`Project.activation_source`).
_STEP_GROUP = {"cohort": "cohorts", "feature_table": "feature_tables", "feature_view": "features"}


def _source(project: Project, spec_source: str) -> tuple[str, Key, str]:
    """(relation, step key, entity) of an activation's `source`."""
    found = project.activation_source(spec_source)
    if found is None:
        raise UserError(f"activation source {spec_source!r} is not a cohort, feature table or feature view of this "
                        "project; use models/<cohort> or models/<feature table>")
    kind, name, entity = found
    return name, (_STEP_GROUP[kind], entity if kind == "feature_view" else name), entity


def activation_plans(project: Project) -> list[ActivationPlan]:
    plans = []
    for model in project.models_of_type("activation"):
        assert isinstance(model, ActivationModel)
        spec = model.model_spec
        relation, step, entity_name = _source(project, spec.source)
        entity = project.entity(entity_name)
        main = entity.main_id_column
        id_type = None if spec.identifier == main else spec.identifier
        if id_type is not None and id_type not in entity.id_types:
            raise UserError(f"activation {model.name}: identifier {spec.identifier!r} is not an id type of entity "
                            f"{entity_name} ({', '.join(entity.id_types)}) nor its main id {main!r}")
        plans.append(ActivationPlan(
            name=model.name, source_relation=relation, source_step=step, entity=entity_name, main_id_column=main,
            id_type=id_type, id_graph=project.stitcher_name(entity_name) if entity.id_stitcher or id_type else None,
            columns=dict(spec.columns), mode=spec.sync_mode, batch_size=spec.batch_size, rate_limit=spec.rate_limit,
            max_rejection_rate=spec.max_rejection_rate, destination=spec.destination, project_root=project.root,
        ))
    return plans
