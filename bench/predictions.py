"""Benchmark: a propensity model's training (bounded sample) and scoring on 1M users.

    python bench/predictions.py                 # 1M users
    python bench/predictions.py --users 200000

A DuckDB file holds `user_var_table` snapshots for 1M users at the three training instants,
their label instants and the scoring instant (synthetic vars whose order behaviour depends on
earlier activity). Each side runs in its own fresh process, so peak memory is its own:
- ours: `train` (point-in-time rows in SQL, the 30,000-row sample, two candidates on a time split,
  permutation importance, the HTML report, the model saved) then `score` (1M users → the scores
  table, percentiles, the shift figure);
- the reference a user would write: one SQL query for the same sample, a scikit-learn
  HistGradientBoostingClassifier fit on it, then predict_proba for 1M users written back with
  DuckDB.
It prints each phase's seconds, the peak memory of each process and the ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

END = datetime(2026, 3, 1, 12, 0)
WINDOW = timedelta(days=7)
PROJECT = """name: bench_predictions
schema_version: 88
connection: local
model_folders: [models]
id_types:
  - name: user_id
entities:
  - name: user
    id_types: [user_id]
"""
MODELS = """inputs:
  - name: events
    app_defaults: {table: events, occurred_at_col: timestamp,
                   ids: [{select: user_id, type: user_id, entity: user}]}
models:
  - name: stitcher
    model_type: id_stitcher
    model_spec: {entity_key: user, edge_sources: [{from: inputs/events}]}
  - name: buyer_propensity
    model_type: propensity
    model_spec:
      entity_key: user
      training:
        predict_var: entity/user/ordered_7d
        label_value: 1
        predict_window_days: 7
        new_materialisations_config: {strategy: auto, feature_data_min_date_diff: 7, max_no_of_dates: 3}
      prediction:
        output_columns:
          percentile: {name: buyer_percentile}
          score: {name: buyer_score}
      inputs: [entity/user/sessions, entity/user/orders, entity/user/days_since_seen, entity/user/country]
var_groups:
  - name: v
    entity_key: user
    vars:
      - entity_var: {name: sessions, select: count(*), from: inputs/events}
      - entity_var: {name: orders, select: count(*), from: inputs/events}
      - entity_var: {name: days_since_seen, select: max(timestamp), from: inputs/events}
      - entity_var: {name: country, select: max(user_id), from: inputs/events}
      - entity_var: {name: ordered_7d, select: max(1), from: inputs/events}
"""


def _pairs() -> list[tuple[datetime, datetime]]:
    """(features, label) instants as the engine picks them: ends of days, the last label the day before END."""
    from profiles_pipeline.instants import end_of_day

    last = end_of_day(END.date() - timedelta(days=1))
    return [(last - WINDOW - k * timedelta(days=7), last - k * timedelta(days=7)) for k in range(3)]


def _instants() -> list[datetime]:
    return sorted({*[t for p in _pairs() for t in p], END})


def build(root: Path, users: int) -> None:
    """The project and its warehouse: one var-table snapshot per instant."""
    import duckdb

    (root / "models").mkdir(parents=True)
    (root / "pb_project.yaml").write_text(PROJECT)
    (root / "models" / "profiles.yaml").write_text(MODELS)
    (root / "data").mkdir()
    con = duckdb.connect(str(root / "data" / "profiles.duckdb"))
    con.execute(f"""CREATE TABLE people AS SELECT i, 'u' || i AS user_main_id,
        exp(random() * 2 - 3) AS rate, (['US','DE','FR','IN','BR'])[1 + (i % 5)] AS country
        FROM range({users}) t(i)""")
    parts = []
    for at in _instants():
        days = (at - (END - timedelta(days=60))).days
        parts.append(f"""SELECT user_main_id,
            CAST(floor(rate * {days} + random() * 2) AS BIGINT) AS sessions,
            CAST(floor(rate * {days} * 0.15 + random()) AS BIGINT) AS orders,
            CAST(floor(random() / (rate + 0.01)) AS BIGINT) AS days_since_seen, country,
            CASE WHEN random() < 1 - exp(-rate * 7 * 0.15) THEN 1 ELSE 0 END AS ordered_7d,
            TIMESTAMP '{at}' AS valid_at FROM people""")
    con.execute("CREATE TABLE user_var_table AS " + " UNION ALL ".join(parts))
    con.close()


def ours(root: Path) -> dict:
    from profiles_pipeline.predictions import prediction_plans
    from profiles_pipeline.predictions.scoring import score
    from profiles_pipeline.predictions.training import train
    from profiles_pipeline.spec.validate import load_project
    from profiles_pipeline.warehouse.duckdb_adapter import DuckDBAdapter

    project = load_project(root)
    [plan] = prediction_plans(project)
    with DuckDBAdapter(root / "data" / "profiles.duckdb") as adapter:
        t0 = time.perf_counter()
        record = train(adapter, project, plan, END, None)
        t1 = time.perf_counter()
        scored = score(adapter, project, plan, record, END)
        t2 = time.perf_counter()
    return {"train_s": t1 - t0, "score_s": t2 - t1, "auc": record.metrics["quality"], "scored": scored.rows,
            "sample": record.metrics["sampled_rows"]}


def reference(root: Path) -> dict:
    """What a user would write: the same point-in-time sample in one query, one model, predict, write back."""
    import duckdb
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    con = duckdb.connect(str(root / "data" / "profiles.duckdb"))
    pairs = _pairs()
    feats = "f.user_main_id, f.sessions, f.orders, f.days_since_seen, f.country"
    union = " UNION ALL ".join(
        f"SELECT {feats}, l.ordered_7d AS y, TIMESTAMP '{t}' AS t FROM user_var_table f JOIN user_var_table l "
        f"ON l.user_main_id = f.user_main_id AND l.valid_at = TIMESTAMP '{lab}' WHERE f.valid_at = TIMESTAMP '{t}'"
        for t, lab in pairs)
    t0 = time.perf_counter()
    df = con.execute(f"SELECT * FROM ({union}) ORDER BY md5(user_main_id || CAST(t AS VARCHAR)) "
                     "LIMIT 30000").df()
    df["country"] = df["country"].astype("category")
    test = df["t"] == df["t"].max()
    cols = ["sessions", "orders", "days_since_seen", "country"]
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    model.fit(df.loc[~test, cols], df.loc[~test, "y"])
    auc = roc_auc_score(df.loc[test, "y"], model.predict_proba(df.loc[test, cols])[:, 1])
    t1 = time.perf_counter()
    now = con.execute(f"SELECT user_main_id, {', '.join(cols)} FROM user_var_table "
                      f"WHERE valid_at = TIMESTAMP '{END}'").df()
    now["country"] = now["country"].astype("category")
    now["score"] = model.predict_proba(now[cols])[:, 1]
    now["percentile"] = now["score"].rank(pct=True) * 100
    out = now[["user_main_id", "score", "percentile"]]  # noqa: F841 (read by DuckDB below)
    con.execute("CREATE OR REPLACE TABLE ref_scores AS SELECT * FROM out")
    t2 = time.perf_counter()
    return {"train_s": t1 - t0, "score_s": t2 - t1, "auc": float(np.round(auc, 4)), "scored": len(now)}


def _child(side: str, root: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--side", side, "--root", str(root)], capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(f"the {side} side failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--side", choices=["ours", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        out = (ours if args.side == "ours" else reference)(args.root)
        out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        t = time.perf_counter()
        build(root, args.users)
        print(f"built {args.users:,} users x {len(_instants())} snapshots in {time.perf_counter() - t:.1f} s")
        a, b = _child("ours", root), _child("reference", root)
    print(f"{'':12}{'train s':>10}{'score s':>10}{'peak MiB':>10}{'AUC':>8}")
    for name, r in (("ours", a), ("reference", b)):
        print(f"{name:12}{r['train_s']:10.2f}{r['score_s']:10.2f}{r['peak_mib']:10.0f}{r['auc']:8.3f}")
    print(f"ratio       {a['train_s'] / b['train_s']:10.2f}{a['score_s'] / b['score_s']:10.2f}"
          f"{a['peak_mib'] / b['peak_mib']:10.2f}   (ours / reference; ours also trains a linear "
          f"candidate, computes permutation importance and writes the report)")
    print(f"scored {a['scored']:,} users; training sample {a['sample']:,} rows")


if __name__ == "__main__":
    main()
