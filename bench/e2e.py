"""Benchmark: `profiles run` end to end, as a user runs it, against the script a user would write.

    python bench/e2e.py                       # 1M edges
    python bench/e2e.py --edges 3000000       # the issue's size (3M edges over ~4.5M ids)

A CSV of identity-like edges (anonymous id, user id, timestamp; string ids; half of the people
with several devices) is the project's one input. Timed in the same run, each in its own fresh
process (so its peak memory is its own):
- ours: `profiles run -p <project>` (through Dagster, the report, checks and quality included);
- the reference: a pandas + scipy script that reads the same CSV with pyarrow, factorizes the
  ids, runs `connected_components` and writes the labels to Parquet.
Both must give the same clusters (checked). Then a day with 1% new edges (a second CSV in the
input's folder) through `profiles run` again, and its ratio to the full run. The breakdown by
phase comes from the run's Dagster step events (the rest: process start, project load, Dagster
setup, publishing).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROFILES = Path(sys.executable).with_name("profiles")

PROJECT = """name: e2e_bench
schema_version: 88
connection: local
model_folders: [models]
id_types:
  - name: anonymous_id
  - name: user_id
entities:
  - name: user
    id_stitcher: models/user_id_stitcher
    id_types: [anonymous_id, user_id]
"""
MODELS = """inputs:
  - name: edges
    app_defaults:
      path: data/edges
      occurred_at_col: ts
      ids:
        - {select: anon, type: anonymous_id, entity: user}
        - {select: uid, type: user_id, entity: user}
models:
  - name: user_id_stitcher
    model_type: id_stitcher
    model_spec:
      entity_key: user
      edge_sources: [{from: inputs/edges}]
var_groups:
  - name: counts
    entity_key: user
    vars:
      - entity_var: {name: events, select: count(*), from: inputs/edges}
"""

REFERENCE = r'''
import sys, time
import numpy as np, pyarrow as pa, pyarrow.csv as pcsv, pyarrow.parquet as pq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
t0 = time.perf_counter()
t = pa.concat_tables([pcsv.read_csv(p, convert_options=pcsv.ConvertOptions(include_columns=["anon", "uid"]))
                      for p in sys.argv[1:-1]])
# two id types: factorize each column on its own, number the second after the first
a, b = t["anon"].combine_chunks().dictionary_encode(), t["uid"].combine_chunks().dictionary_encode()
a_codes, a_ids = a.indices.to_numpy(), a.dictionary
b_codes, b_ids = b.indices.to_numpy(), b.dictionary
n, m = len(a_ids) + len(b_ids), len(a_codes)
k, labels = connected_components(coo_matrix((np.ones(m, dtype=np.int8), (a_codes, b_codes + len(a_ids))), shape=(n, n)),
                                 directed=False)
pq.write_table(pa.table({"id_type": ["anonymous_id"] * len(a_ids) + ["user_id"] * len(b_ids),
                         "id": pa.concat_arrays([a_ids, b_ids]), "label": labels}), sys.argv[-1])
print(k, time.perf_counter() - t0)
'''


def write_edges(path: Path, edges: int, first: int, day: str, seed: int) -> None:
    """Identity-like edges: each row an anonymous id seen with a user id (about 1.5 ids per edge)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    people = max(1, edges // 2)
    anon = np.arange(first, first + edges)
    person = rng.integers(0, people, edges)
    frame = pd.DataFrame({"anon": "anon-" + pd.Series(anon).astype(str),
                          "uid": "user-" + pd.Series(person).astype(str),
                          "ts": pd.Timestamp(day) + pd.to_timedelta(rng.integers(0, 86_399, edges), unit="s")})
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, str]:
    """(seconds, peak RSS in MiB, stdout) of one fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{out[-3000:]}")
    return seconds, int(usage.ru_maxrss / 1024), out


def step_seconds(project: Path) -> dict[str, float]:
    """Seconds per asset step of the project's latest Dagster run, from its event log."""
    import dagster as dg

    from profiles_pipeline.orchestration.instance_home import dagster_home_for

    with dg.DagsterInstance.from_config(str(dagster_home_for(project))) as instance:
        run = instance.get_runs(limit=1)[0]
        starts, out = {}, {}
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type_value == "STEP_START":
                starts[event.step_key] = record.timestamp
            elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
                out[event.step_key] = record.timestamp - starts[event.step_key]
        return out


def same_clusters(project: Path, labels: Path) -> tuple[bool, int]:
    import duckdb

    con = duckdb.connect(str(project / "data" / "profiles.duckdb"), read_only=True)
    ref = f"read_parquet('{labels}')"
    # the same partition: every cluster of ours maps to one label and back
    mixed = con.execute(f"""SELECT
        (SELECT count(*) FROM (SELECT user_main_id FROM user_id_stitcher g JOIN {ref} r
            ON r.id_type = g.other_id_type AND r.id = g.other_id GROUP BY 1 HAVING count(DISTINCT r.label) > 1)),
        (SELECT count(*) FROM (SELECT r.label FROM user_id_stitcher g JOIN {ref} r
            ON r.id_type = g.other_id_type AND r.id = g.other_id GROUP BY 1 HAVING count(DISTINCT g.user_main_id) > 1)),
        (SELECT count(DISTINCT user_main_id) FROM user_id_stitcher)""").fetchone()
    con.close()
    return mixed[0] == 0 and mixed[1] == 0, mixed[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        (root / "models").mkdir(parents=True)
        (root / "pb_project.yaml").write_text(PROJECT)
        (root / "models" / "profiles.yaml").write_text(MODELS)
        day1 = root / "data" / "edges" / "day1.csv"
        write_edges(day1, args.edges, 0, "2026-01-01", 1)
        help_s, _, _ = timed([str(PROFILES), "--help"])
        validate_s, _, _ = timed([str(PROFILES), "validate", "-p", str(root)])
        ours_s, ours_mib, _ = timed([str(PROFILES), "run", "-p", str(root)])
        steps = step_seconds(root)
        labels = Path(tmp) / "labels.parquet"
        ref_s, ref_mib, said = timed([sys.executable, "-c", REFERENCE, str(day1), str(labels)])
        ok, clusters = same_clusters(root, labels)
        noop_s, _, _ = timed([str(PROFILES), "run", "-p", str(root)])
        write_edges(root / "data" / "edges" / "day2.csv", max(1, args.edges // 100), args.edges, "2026-01-02", 2)
        day_s, _, _ = timed([str(PROFILES), "run", "-p", str(root)])
        day_steps = step_seconds(root)
    print(f"{args.edges:,} edges; {clusters:,} clusters; same clusters as the reference: {ok}")
    print(f"profiles run (full)     {ours_s:8.1f} s  peak {ours_mib:6,} MiB")
    print(f"reference script        {ref_s:8.1f} s  peak {ref_mib:6,} MiB   (its own timer: {float(said.split()[1]):.1f} s)")
    print(f"ratio                   {ours_s / ref_s:8.2f}x  (target <= 6x, goal 2x)")
    print(f"1% new day              {day_s:8.1f} s  = {day_s / ours_s:.1%} of the full run (target <= 10%)")
    print(f"nothing new             {noop_s:8.1f} s  (target <= 3 s)")
    print(f"profiles --help         {help_s:8.2f} s  (target <= 0.5 s); validate {validate_s:.2f} s")
    print("full run by step (Dagster events):")
    for key, s in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {key:48} {s:7.2f} s")
    print(f"  {'(outside steps: start, load, Dagster setup, publish)':48} {ours_s - sum(steps.values()):7.2f} s")
    print("1% day by step:")
    for key, s in sorted(day_steps.items(), key=lambda kv: -kv[1])[:6]:
        print(f"  {key:48} {s:7.2f} s")
    if not ok:
        raise SystemExit("the clusters differ from the reference's")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
