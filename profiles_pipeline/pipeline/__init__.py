"""The project as a graph of steps, shared by the Dagster assets and the CLI."""

from profiles_pipeline.pipeline.build import build_graph
from profiles_pipeline.pipeline.graph import (
    CheckOutcome,
    ProjectGraph,
    RunContext,
    Step,
    StepCheck,
    StepResult,
)

__all__ = ["CheckOutcome", "ProjectGraph", "RunContext", "Step", "StepCheck", "StepResult", "build_graph"]
