"""Landing-zone layout on disk: partition paths, atomic Parquet writes, the manifest.

`<out>/<table>/dt=YYYY-MM-DD/part-0.parquet`, `<out>/_ground_truth/ground_truth.parquet` and
`<out>/_manifest.json`. Files are written under a temporary name and renamed, so a reader
(a Dagster sensor, a DuckDB glob) never sees half a file."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import UserError
from .schema import GENERATOR_VERSION, TABLES

MANIFEST = "_manifest.json"
GROUND_TRUTH_DIR = "_ground_truth"


@dataclass(frozen=True)
class Manifest:
    """What `append` needs to continue a landing zone with the same people."""

    seed: int
    users: int
    start_date: date
    days: tuple[date, ...] = field(default_factory=tuple)
    generator_version: str = GENERATOR_VERSION

    @property
    def last_day(self) -> date | None:
        return max(self.days) if self.days else None

    def to_json(self) -> str:
        return json.dumps(
            {
                "generator": "profiles_pipeline.sample_data",
                "generator_version": self.generator_version,
                "seed": self.seed,
                "users": self.users,
                "start_date": self.start_date.isoformat(),
                "days": [d.isoformat() for d in sorted(self.days)],
                "tables": list(TABLES),
            },
            indent=2,
        )


def partition_path(out: Path, table: str, day: date) -> Path:
    return out / table / f"dt={day.isoformat()}" / "part-0.parquet"


def ground_truth_path(out: Path) -> Path:
    return out / GROUND_TRUTH_DIR / "ground_truth.parquet"


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write then rename, so the file is either the old one or the complete new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_manifest(out: Path, manifest: Manifest) -> None:
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(manifest.to_json() + "\n")
    os.replace(tmp, out / MANIFEST)


def read_manifest(out: Path) -> Manifest:
    """The manifest of a landing zone written by `generate`; UserError if there is none."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise UserError(
            f"{path}: no sample-data manifest here. Run `profiles sample-data generate --out {out}` "
            "first, or point --out at a folder it wrote."
        )
    try:
        raw = json.loads(path.read_text())
        return Manifest(
            seed=int(raw["seed"]),
            users=int(raw["users"]),
            start_date=date.fromisoformat(raw["start_date"]),
            days=tuple(date.fromisoformat(d) for d in raw.get("days", [])),
            generator_version=str(raw["generator_version"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"{path}: unreadable sample-data manifest ({exc}); regenerate the folder."
        ) from exc


def prepare_out(out: Path) -> None:
    """Make `out` ready for a fresh landing zone, clearing only what a previous run wrote."""
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder; choose another --out.")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UserError(
            f"{out}: folder is not empty and holds no {MANIFEST}; refusing to write sample data "
            "into it. Choose an empty or new folder for --out."
        )
    for name in (*TABLES, GROUND_TRUTH_DIR):
        shutil.rmtree(out / name, ignore_errors=True)
    (out / MANIFEST).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
