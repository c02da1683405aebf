"""Identity stitching: edges → connected components → id graph, incrementally, with guards."""

from profiles_pipeline.identity.extract import EdgeExtractResult, extract_edges
from profiles_pipeline.identity.plan import (
    DEFAULT_HUB_THRESHOLD,
    EdgeSource,
    IdFilter,
    IdSelect,
    IdTypeRules,
    SqlList,
    StitcherPlan,
)
from profiles_pipeline.identity.report import StitchReport, build_report
from profiles_pipeline.identity.stitch import StitchResult, stitch
from profiles_pipeline.identity.tables import StitcherTables

__all__ = [
    "DEFAULT_HUB_THRESHOLD",
    "EdgeExtractResult",
    "EdgeSource",
    "IdFilter",
    "IdSelect",
    "IdTypeRules",
    "SqlList",
    "StitchReport",
    "StitchResult",
    "StitcherPlan",
    "StitcherTables",
    "build_report",
    "extract_edges",
    "stitch",
]
