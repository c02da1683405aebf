"""Files: each accepted batch is one file (CSV, JSON Lines or Parquet) in
`<path>/<activation>/<run>/part-NNNNN.<ext>`, written to a temporary name and renamed, so a
killed sync never leaves half a file under the final name. `path` is a folder (relative to the
project) or an fsspec URL (`s3://bucket/prefix`, `gcs://…`, `memory://…`): credentials come from
fsspec's usual environment and config, never from the project."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pandas as pd

from profiles_pipeline.activations.destinations.base import BatchOutcome, Op, json_default


def _render(rows: list[dict], fmt: str) -> bytes:
    if fmt == "jsonl":
        return "".join(json.dumps(r, default=json_default, sort_keys=True) + "\n" for r in rows).encode()
    frame = pd.DataFrame(rows)
    if fmt == "csv":
        return frame.to_csv(index=False).encode()
    buffer = io.BytesIO()
    frame.astype({k: "string" for k in ("_op", "_key")}).to_parquet(buffer, index=False)
    return buffer.getvalue()


class FileDestination:
    def __init__(self, plan, run_id: str):
        where = plan.destination.path
        run = run_id.replace(":", "-")
        self.format = plan.destination.format
        self.parts = 0
        if "://" in where:
            import fsspec

            self.fs, root = fsspec.core.url_to_fs(where)
            self.folder = f"{root.rstrip('/')}/{plan.name}/{run}"
        else:
            folder = Path(where)
            self.fs, self.folder = None, str((folder if folder.is_absolute() else plan.project_root / folder) / plan.name / run)

    def send(self, batch: list[Op]) -> BatchOutcome:
        self.parts += 1
        data = _render([{"_op": o.op, "_key": o.key, **o.fields} for o in batch], self.format)
        final = f"{self.folder}/part-{self.parts:05d}.{self.format}"
        tmp = final + ".tmp"
        if self.fs is None:
            Path(self.folder).mkdir(parents=True, exist_ok=True)
            Path(tmp).write_bytes(data)
            os.replace(tmp, final)
        else:
            self.fs.makedirs(self.folder, exist_ok=True)
            with self.fs.open(tmp, "wb") as f:
                f.write(data)
            self.fs.mv(tmp, final)
        return BatchOutcome()

    def close(self) -> None:
        return None
