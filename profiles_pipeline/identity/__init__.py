"""Identity stitching: edges → connected components → id graph, incrementally, with guards."""

from profiles_pipeline.identity.extract import EdgeExtractResult, extract_edges, stale_days
from profiles_pipeline.identity.lookup import Explanation, LookupResult, explain, lookup
from profiles_pipeline.identity.plan import (
    DEFAULT_HUB_THRESHOLD,
    EdgeSource,
    IdFilter,
    IdSelect,
    IdTypeRules,
    SqlList,
    StitcherPlan,
)
from profiles_pipeline.identity.quality import Quality, cluster_quality
from profiles_pipeline.identity.report import StitchReport, build_report
from profiles_pipeline.identity.report_html import render_report_html
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
    "Explanation",
    "LookupResult",
    "Quality",
    "build_report",
    "cluster_quality",
    "explain",
    "lookup",
    "render_report_html",
    "extract_edges",
    "stale_days",
    "stitch",
]
