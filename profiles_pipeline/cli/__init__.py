"""The `profiles` command: the same engine as the Dagster assets, from a terminal."""
