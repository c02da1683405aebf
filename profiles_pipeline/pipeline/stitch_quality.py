"""Stitching quality against a ground truth, when the landing zone has one (sample data does).

Shared or junk identifiers (ground-truth persons starting with `__`: kiosk, household device,
support address, junk values) belong to nobody, so each is scored as its own person: merging
two people through one of them costs precision."""

from __future__ import annotations

from profiles_pipeline.errors import UserError
from profiles_pipeline.identity import StitcherPlan
from profiles_pipeline.identity.quality import cluster_quality
from profiles_pipeline.spec.project import Project
from profiles_pipeline.warehouse.base import WarehouseAdapter
from profiles_pipeline.warehouse.inputs import InputSource, input_relation

GROUND_TRUTH = "_ground_truth/ground_truth.parquet"


def quality_metadata(project: Project, adapter: WarehouseAdapter, plan: StitcherPlan) -> dict:
    """Pairwise and B-cubed precision/recall, or {} when there is no ground truth to compare with."""
    path = project.landing_zone_path / GROUND_TRUTH
    if not path.is_file():
        return {}
    try:
        relation = input_relation(adapter, InputSource(name="ground_truth", path=path))
    except UserError:  # engines that do not read files (Snowflake) skip the comparison
        return {}
    truth = (
        "SELECT id_value, id_type, CASE WHEN person_id LIKE '\\_\\_%' ESCAPE '\\' "
        "THEN person_id || ':' || id_type || ':' || id_value ELSE person_id END AS person_id "
        f"FROM {relation} AS gt"
    )
    q = cluster_quality(adapter, plan, truth)
    return {
        "ground_truth/pairwise_precision": round(q.pairwise_precision, 4),
        "ground_truth/pairwise_recall": round(q.pairwise_recall, 4),
        "ground_truth/bcubed_precision": round(q.bcubed_precision, 4),
        "ground_truth/bcubed_recall": round(q.bcubed_recall, 4),
        "ground_truth/ids_compared": q.ids_compared,
    }
