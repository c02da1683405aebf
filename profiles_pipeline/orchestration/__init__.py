"""Dagster layer: the project graph as daily-partitioned assets, checks, job, schedule, sensors.

Import `build_definitions` / `definitions_for_graph` from
`profiles_pipeline.orchestration.definitions`; importing this package loads no project.
"""
