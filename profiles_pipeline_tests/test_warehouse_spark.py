"""The example project on a real local Spark (the Databricks adapter's local mode) publishes the
same tables as on DuckDB.

The sample data's landing zone is loaded into Spark tables, as a Databricks user's events sit in
their warehouse; `profiles run` then runs through the CLI against a siteconfig of `type:
databricks, spark: local[2]`, in fresh processes (a Spark session, its JVM and its metastore
belong to one process). Slow: a Spark statement costs a tenth of a second or more.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from profiles_pipeline_tests.fixtures.cli.built import cli, profiles

REPO = Path(__file__).resolve().parents[1]
INPUTS = ("identifies", "tracks", "pages", "order_completed")
#: What the example publishes (and the state the next run needs), compared table by table.
TABLES = ("user_id_stitcher", "user_id_stitcher__history", "user_id_stitcher__checkpoints", "user_var_table",
          "user_feature_view", "user_features_by_email", "known_users", "high_value_known_users",
          "high_value_users_by_email", "user_profile", "user_all", "user_known_users")
SITECONFIG = """connections:
  spark:
    target: dev
    outputs:
      dev:
        type: databricks
        spark: local[2]
        warehouse_dir: {folder}
        schema: profiles
"""
SPARK_SCRIPT = """
import json, sys
from profiles_pipeline.warehouse.databricks_adapter import LocalSparkAdapter
folder, what = sys.argv[1], sys.argv[2]
adapter = LocalSparkAdapter.start("local[2]", folder, "profiles")
if what == "load":
    adapter.execute("CREATE SCHEMA IF NOT EXISTS website", read="spark")
    for name, path in json.loads(sys.argv[3]).items():
        adapter.execute(f"CREATE TABLE website.{name} AS SELECT * FROM parquet.`{path}`", read="spark")
else:
    out = {}
    for table in json.loads(sys.argv[3]):
        cols, rows = adapter.fetch_with_columns(f"SELECT * FROM profiles.{table}", read="spark")
        out[table] = {"columns": cols, "rows": [[str(v) if v is not None else None for v in r] for r in rows]}
    print(json.dumps(out))
"""


def _spark(folder: Path, what: str, arg: object) -> str:
    done = subprocess.run([sys.executable, "-c", SPARK_SCRIPT, str(folder), what, json.dumps(arg)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def _value(v: object) -> object:
    """One cell as both engines can agree on: text, with numbers and times in one spelling."""
    if v is None:
        return None
    text = str(v)
    try:
        number = float(text)
        return None if math.isnan(number) else round(number, 9)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None).isoformat(sep=" ")
    except ValueError:
        return text


def _rows(columns: list[str], rows: list) -> tuple[list[str], list[tuple]]:
    """Columns in name order, rows sorted; a run's id (a new uuid each run) left out."""
    order = sorted((i for i in range(len(columns)) if not columns[i].endswith("run_id")), key=lambda i: columns[i])
    body = [tuple(_value(r[i]) for i in order) for r in rows]
    return [columns[i] for i in order], sorted(body, key=lambda r: tuple("" if v is None else str(v) for v in r))


@pytest.mark.slow
def test_the_example_publishes_the_same_tables_on_local_spark_as_on_duckdb(tmp_path: Path) -> None:
    duck = tmp_path / "duck"
    shutil.copytree(REPO / "config", duck, ignore=shutil.ignore_patterns("data", "output"))
    assert cli("sample-data", "generate", "-p", duck, "--users", 150, "--days", 3).exit_code == 0
    spark = tmp_path / "spark"
    shutil.copytree(duck, spark, ignore=shutil.ignore_patterns("data"))
    # the events as warehouse tables, named the way the project names them
    landing = duck / "data" / "landing"
    _spark(spark / "warehouse", "load", {t: f"{landing}/{t}/*/*.parquet" for t in INPUTS})
    (spark / "siteconfig.yaml").write_text(SITECONFIG.format(folder=spark / "warehouse"))
    text = (spark / "pb_project.yaml").read_text()
    (spark / "pb_project.yaml").write_text(text.replace("connection: local", "connection: spark"))

    result = cli("run", "-p", duck)
    assert result.exit_code == 0, result.stdout + result.stderr
    ran = profiles("run", "-p", spark, timeout=900)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "local Spark (local[2])" in ran.stdout

    got = json.loads(_spark(spark / "warehouse", "read", list(TABLES)))
    con = duckdb.connect(str(duck / "data" / "profiles.duckdb"), read_only=True)
    try:
        for table in TABLES:
            cur = con.execute(f'SELECT * FROM "{table}"')
            want = _rows([d[0] for d in cur.description], [list(r) for r in cur.fetchall()])
            ours = _rows(got[table]["columns"], got[table]["rows"])
            assert ours[0] == want[0], (table, ours[0], want[0])
            assert len(ours[1]) == len(want[1]), (table, len(ours[1]), len(want[1]))
            assert want[1] or table.startswith("high_value"), f"{table} is empty: the comparison means nothing"
            assert ours[1] == want[1], (table, [r for r in ours[1] if r not in want[1]][:3],
                                        [r for r in want[1] if r not in ours[1]][:3])
    finally:
        con.close()
