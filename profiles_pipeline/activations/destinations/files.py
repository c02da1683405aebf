"""Files: each accepted batch is one file (CSV, JSON Lines or Parquet) in
`<path>/<activation>/<run>/part-NNNNN.<ext>`, written to a temporary name and renamed, so a
killed sync never leaves half a file under the final name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from profiles_pipeline.activations.destinations.base import BatchOutcome, Op, json_default


class FileDestination:
    def __init__(self, plan, run_id: str):
        folder = Path(plan.destination.path)
        if not folder.is_absolute():
            folder = plan.project_root / folder
        self.folder = folder / plan.name / run_id.replace(":", "-")
        self.format = plan.destination.format
        self.parts = 0

    def send(self, batch: list[Op]) -> BatchOutcome:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.parts += 1
        final = self.folder / f"part-{self.parts:05d}.{self.format}"
        tmp = final.with_name(final.name + ".tmp")
        rows = [{"_op": o.op, "_key": o.key, **o.fields} for o in batch]
        if self.format == "jsonl":
            tmp.write_text("".join(json.dumps(r, default=json_default, sort_keys=True) + "\n" for r in rows), encoding="utf-8")
        elif self.format == "csv":
            pd.DataFrame(rows).to_csv(tmp, index=False)
        else:
            pd.DataFrame(rows).astype({k: "string" for k in ("_op", "_key")}).to_parquet(tmp, index=False)
        os.replace(tmp, final)
        return BatchOutcome()

    def close(self) -> None:
        return None
