"""Look-up, explain, merges, audit, the report (data and HTML) and the quality measures."""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "identity"))
from identity_reference import graph_of, load_rows, make_plan, rows_from_edges  # noqa: E402

from profiles_pipeline.errors import UserError  # noqa: E402
from profiles_pipeline.identity import (  # noqa: E402
    IdTypeRules,
    build_report,
    cluster_quality,
    explain,
    extract_edges,
    lookup,
    render_report_html,
    stitch,
)
from profiles_pipeline.instants import end_of_day  # noqa: E402
from profiles_pipeline.warehouse.testing import ENGINES, open_test_adapter  # noqa: E402

START = datetime(2024, 5, 1)
TYPES = {0: "a", 1: "b", 2: "c", 3: "a", 4: "b", 5: "a", 6: "c", 7: "a", 8: "a", 9: "a", 10: "b"}
# day 0: chain 0-1-2-3 and pair 4-5; day 1: 3-4 merges them (via a later edge); 6 alone.
# node 10 (type b) links to 7, 8, 9: a hub when b's threshold is 2.
DAY0 = [(0, 1, 10, 0), (1, 2, 20, 1), (2, 3, 30, 0), (4, 5, 5, 0), (10, 7, 40, 0), (10, 8, 41, 0), (10, 9, 42, 1)]
DAY1 = [(3, 4, 1440 + 60, 1)]


@pytest.fixture(params=ENGINES)
def built(request, tmp_path, monkeypatch):
    with open_test_adapter(request.param, tmp_path, monkeypatch) as adapter:
        plan = make_plan({"b": IdTypeRules("b", hub_threshold=2)})
        load_rows(adapter, rows_from_edges(DAY0 + DAY1, [(6, 100, 0)], TYPES.__getitem__, START))
        day0, day1 = START.date(), (START + timedelta(days=1)).date()
        extract_edges(adapter, plan, day0)
        first = stitch(adapter, plan, end_time=end_of_day(day0), run_id="r1")
        extract_edges(adapter, plan, day1)
        second = stitch(adapter, plan, end_time=end_of_day(day1), run_id="r2")
        yield adapter, plan, first, second


def test_merge_keeps_the_older_main_id_and_is_logged(built):
    adapter, plan, first, second = built
    assert (first.mode, second.mode) == ("full", "incremental")
    graph = graph_of(adapter, plan)
    assert graph[("n0", "a")] == graph[("n5", "a")]
    older = hashlib.md5(b"user\x01a\x01n5").hexdigest()  # {4, 5} was seen first (minute 5)
    newer = hashlib.md5(b"user\x01a\x01n0").hexdigest()
    assert graph[("n0", "a")] == older
    merges = adapter.fetch(f"SELECT old_main_id, new_main_id, run_id FROM {plan.name}_merges")
    assert merges == [(newer, older, "r2")]
    assert second.merges == 1


def test_lookup_and_explain(built):
    adapter, plan, _, _ = built
    found = lookup(adapter, plan, "n3")
    assert found.id_type == "a" and [m.id_value for m in found.members][:2] == ["n5", "n4"]
    assert {m.id_value for m in found.members} == {f"n{i}" for i in range(6)}
    chain = explain(adapter, plan, "n0", "n5")
    assert chain.same_cluster
    assert [(e.id1, e.id2) for e in chain.path] == [("n0", "n1"), ("n1", "n2"), ("n2", "n3"), ("n3", "n4"), ("n4", "n5")]
    assert chain.path[3].source == "app" and chain.path[3].first_seen_at == START + timedelta(days=1, hours=1)
    apart = explain(adapter, plan, "n0", "n6")
    assert not apart.same_cluster and "different clusters" in str(apart)
    with pytest.raises(UserError, match="not in id graph"):
        lookup(adapter, plan, "nobody")
    with pytest.raises(UserError, match="not in id graph"):
        lookup(adapter, plan, "n0", "c")


def test_hub_is_quarantined_and_audited(built):
    adapter, plan, _, second = built
    graph = graph_of(adapter, plan)
    assert len({graph[(f"n{i}", t)] for i, t in ((7, "a"), (8, "a"), (9, "a"), (10, "b"))}) == 4
    audit = adapter.fetch(f"SELECT kind, id1, id1_type, reason FROM {plan.name}_audit WHERE kind = 'node'")
    assert audit == [("node", "n10", "b", "hub")]
    r = second.report
    assert r.hubs == {"b": 1} and r.edges_dropped_hub == 3 and r.edges == 8 and r.edges_kept == 5
    assert r.clusters == 6 and r.size_counts == {1: 5, 6: 1}
    assert r.singletons_by_type == {"a": 3, "b": 1, "c": 1}
    assert r.largest[0].size == 6 and r.largest[0].id_types == {"a": 3, "b": 2, "c": 1}


def test_report_html_is_self_contained(built):
    adapter, plan, _, _ = built
    page = render_report_html(build_report(adapter, plan, passes=3, seconds=1.5))
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<rect" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert "Largest clusters" in page


def test_quality_against_ground_truth(built):
    adapter, plan, _, _ = built
    # truth: 0-2 are person p1, 3-5 person p2; we merged them → pairwise precision 6/15, recall 1.
    adapter.execute(
        "CREATE OR REPLACE TABLE truth AS SELECT * FROM (VALUES ('n0','a','p1'), ('n1','b','p1'), "
        "('n2','c','p1'), ('n3','a','p2'), ('n4','b','p2'), ('n5','a','p2')) AS t(id_value, id_type, person_id)"
    )
    q = cluster_quality(adapter, plan, "SELECT * FROM truth")
    assert q.ids_compared == 6
    assert q.pairwise_precision == pytest.approx(6 / 15) and q.pairwise_recall == 1.0
    assert q.bcubed_precision == pytest.approx(0.5) and q.bcubed_recall == 1.0
