"""`ProfilesProject`: a profiles (pb) project as a Dagster Component, for teams that keep their
own code location. Declare it in a `defs.yaml` and the project's assets, checks, daily job,
schedule and sensors join the location beside the team's own definitions:

    type: profiles_pipeline.orchestration.component.ProfilesProject
    attributes:
      project_dir: ../../profiles_project   # relative to this defs.yaml's folder
      connection: prod_snowflake            # optional: instead of pb_project.yaml's
      prefix: marketing                      # optional: default the project's name

Everything is named after the prefix (asset keys `marketing/...`, job `marketing__profiles_daily`,
resource `marketing__warehouse`; see `naming`), so two projects live in one location. The job
runs only this project's assets, in one process; the location's executor is not touched.
`workspace.yaml`'s code location (one project, plain names) is unchanged."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from profiles_pipeline.orchestration.definitions import build_definitions
from profiles_pipeline.orchestration.naming import Naming, as_prefix


class ProfilesProject(dg.Component, dg.Model, dg.Resolvable):
    """A RudderStack Profiles (pb) project: every input, id-graph stage, feature group, feature
    view and cohort as a daily-partitioned asset, with checks, a daily job, schedule and sensors."""

    project_dir: str = Field(description="The folder holding pb_project.yaml; relative paths are from "
                             "the folder of the defs.yaml that declares this component.")
    connection: str | None = Field(default=None, description="A siteconfig connection to use instead of "
                                   "the one pb_project.yaml names.")
    prefix: str | None = Field(default=None, description="Prefix of asset keys and of the job, schedule, "
                               "sensor and resource names. Default: the project's name.")

    def project_path(self, context: dg.ComponentLoadContext | None = None) -> Path:
        path = Path(self.project_dir).expanduser()
        if not path.is_absolute() and context is not None:
            path = Path(context.path) / path
        return path.resolve()

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        from profiles_pipeline.spec import load_project

        root = self.project_path(context)
        project = load_project(root)
        naming = Naming(self.prefix or as_prefix(project.name))
        return build_definitions(root, project, naming=naming, connection=self.connection)
