"""Stitching quality against a ground truth, when the landing zone has one (sample data does).

Identifiers that belong to nobody (ground-truth persons starting with `__`: a store kiosk, the
support address, junk values) are each scored as their own person: merging two people through one
of them costs precision. A household device belongs to two people at once: no partition can be
right about it (joined to either owner it is wrong for the other; alone it is wrong for both), so
it is not scored itself. Merging its two owners through it still costs precision, since their own
ids are scored."""

from __future__ import annotations

from profiles_pipeline.errors import UserError
from profiles_pipeline.identity import StitcherPlan
from profiles_pipeline.identity.quality import cluster_quality, recall_ceiling
from profiles_pipeline.sample_data.schema import HOUSEHOLD_PERSON
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.inputs import InputSource, input_relation

GROUND_TRUTH = "_ground_truth/ground_truth.parquet"


def quality_metadata(project: Project, adapter: WarehouseAdapter, plan: StitcherPlan) -> dict:
    """Pairwise and B-cubed precision/recall and the B-cubed recall ceiling (what the edges allow),
    or {} when there is no ground truth to compare with."""
    path = project.landing_zone_path / GROUND_TRUTH
    if not path.is_file():
        return {}
    try:
        relation = input_relation(adapter, InputSource(name="ground_truth", path=path))
    except UserError:  # engines that do not read files (Snowflake) skip the comparison
        return {}
    truth = scored_truth_sql(relation)
    q = cluster_quality(adapter, plan, truth)
    ceiling = recall_ceiling(adapter, plan, truth)
    return {
        "ground_truth/pairwise_precision": round(q.pairwise_precision, 4),
        "ground_truth/pairwise_recall": round(q.pairwise_recall, 4),
        "ground_truth/bcubed_precision": round(q.bcubed_precision, 4),
        "ground_truth/bcubed_recall": round(q.bcubed_recall, 4),
        "ground_truth/bcubed_recall_ceiling": round(ceiling, 4),
        "ground_truth/bcubed_recall_vs_ceiling": round(q.bcubed_recall / ceiling, 4) if ceiling else 1.0,
        "ground_truth/ids_compared": q.ids_compared,
    }


def scored_truth_sql(relation) -> str:
    """(id_value, id_type, person_id) to score against, from a ground truth relation: ids of
    nobody as their own person, household devices left out (see the module docstring)."""
    return (
        "SELECT id_value, id_type, CASE WHEN person_id LIKE '\\_\\_%' ESCAPE '\\' "
        "THEN person_id || ':' || id_type || ':' || id_value ELSE person_id END AS person_id "
        f"FROM {relation} AS gt WHERE person_id <> '{HOUSEHOLD_PERSON}'"
    )
