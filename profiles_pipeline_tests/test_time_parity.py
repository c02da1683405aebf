"""A mid-day end time gives what RudderStack's pb gives (its exported outputs are the oracle,
see fixtures/pbref/midday/README.md): rows at the end time are in, later ones out, and a day
difference to `end_time_sql` counts calendar days up to that date."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
from fixtures.cli.built import cli

FIXTURE = Path(__file__).parent / "fixtures" / "pbref" / "midday"


def _pb_features_by_user() -> dict[str, dict[str, str]]:
    with open(FIXTURE / "pb_out" / "user_default_id_stitcher.csv") as f:
        user_of = {r["user_main_id"]: r["other_id"] for r in csv.DictReader(f) if r["other_id_type"] == "user_id"}
    with open(FIXTURE / "pb_out" / "user_feature_view.csv") as f:
        return {user_of[r.pop("user_main_id")]: r for r in csv.DictReader(f)}


def test_mid_day_end_time_matches_pb(tmp_path):
    project = tmp_path / "probe"
    shutil.copytree(FIXTURE / "project", project)
    (project / "data").mkdir()
    with duckdb.connect(str(project / "data" / "profiles.duckdb")) as con:  # the warehouse table pb read
        con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv_auto('{FIXTURE / 'orders.csv'}')")
    result = cli("run", "-p", project, "--end_time", "2026-01-31T12:00:00Z")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "as of 2026-01-31 12:00:00" in " ".join(result.stdout.split())
    with duckdb.connect(str(project / "data" / "profiles.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT g.other_id, f.days_since_first, f.end_time_text, f.first_order_at, f.last_order_at, f.n_orders "
            "FROM user_feature_view AS f JOIN user_default_id_stitcher AS g ON g.user_main_id = f.user_main_id "
            "WHERE g.other_id_type = 'user_id' ORDER BY 1").fetchall()
    ours = {u: {"days_since_first": str(d), "end_time_text": t, "first_order_at": str(a), "last_order_at": str(b),
                "n_orders": str(n)} for u, d, t, a, b, n in rows}
    assert ours == _pb_features_by_user()
    assert ours["u1"]["n_orders"] == "3" and ours["u1"]["days_since_first"] == "30"  # the row at 12:00:01 is out
