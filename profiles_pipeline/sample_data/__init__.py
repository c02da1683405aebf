"""RudderStack-schema sample data with ground truth, written as a Parquet landing zone.

    from profiles_pipeline.sample_data import generate, append_day, read_manifest
    generate(Path("data/landing"), users=10_000, days=7)
    append_day(Path("data/landing"))            # day 8, same people

See README.md in this folder for the people, the hazards and the ground-truth semantics."""

from .api import GenerationSummary, append_day, generate
from .landing import Manifest, partition_path, read_manifest
from .schema import (
    GROUND_TRUTH_SCHEMA,
    JUNK_VALUES,
    SCHEMAS,
    SPECIAL_PERSONS,
    TABLES,
    is_special_person,
)

__all__ = [
    "GROUND_TRUTH_SCHEMA",
    "JUNK_VALUES",
    "SCHEMAS",
    "SPECIAL_PERSONS",
    "TABLES",
    "GenerationSummary",
    "Manifest",
    "append_day",
    "generate",
    "is_special_person",
    "partition_path",
    "read_manifest",
]
