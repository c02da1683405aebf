"""The code location `workspace.yaml` loads: the project in `$PROFILES_PROJECT_DIR` (or config/)."""

from profiles_pipeline.orchestration.definitions import build_definitions

defs = build_definitions()
