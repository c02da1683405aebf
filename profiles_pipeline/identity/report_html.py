"""The stitcher report as one self-contained HTML page (inline CSS and SVG, no external assets)."""

from __future__ import annotations

import html

from profiles_pipeline.identity.report import StitchReport

_CSS = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
    "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.bad{color:#b00}"
)


def _table(head: list[str], rows: list[list[object]]) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def histogram_svg(bins: list[tuple[str, int]], width: int = 640, height: int = 240) -> str:
    """Bars of clusters per size bin, on a log scale so both singletons and big clusters show."""
    import math

    pad, n = 40, max(len(bins), 1)
    top = max((math.log10(c + 1) for _, c in bins), default=1.0) or 1.0
    bar = (width - 2 * pad) / n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="cluster sizes">']
    for i, (label, count) in enumerate(bins):
        h = (height - 2 * pad) * math.log10(count + 1) / top
        x, y = pad + i * bar, height - pad - h
        parts.append(f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{bar - 4:.1f}" height="{h:.1f}" fill="#4a7bd0"><title>{count} clusters of size {html.escape(label)}</title></rect>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" font-size="10" text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - pad + 14}" font-size="10" text-anchor="middle">{html.escape(label)}</text>')
    parts.append(f'<text x="{width / 2}" y="{height - 6}" font-size="11" text-anchor="middle">cluster size (ids); bar height log-scaled</text></svg>')
    return "".join(parts)


def render_report_html(report: StitchReport, title: str | None = None, quality: dict | None = None) -> str:
    """The report as one self-contained page; `quality` (ground-truth figures) adds a section."""
    r = report
    title = title or f"Id stitcher report: {r.stitcher}"
    status = "converged" if r.converged else '<span class="bad">NOT converged</span>'
    summary = _table(
        ["figure", "value"],
        [
            ["ids before filters", r.ids_before_filters], ["ids after filters", r.ids_after_filters],
            ["id occurrences before / after filters", f"{r.id_occurrences_before_filters} / {r.id_occurrences_after_filters}"],
            ["edge occurrences before / after filters", f"{r.edge_occurrences_before_filters} / {r.edge_occurrences_after_filters}"],
            ["distinct edges", r.edges], ["edges used", r.edges_kept],
            ["edges dropped: hub endpoint", r.edges_dropped_hub], ["edges dropped: maximum_edges", r.edges_dropped_maximum_edges],
            ["edges refused: cluster rules (unique, max_per_cluster)", r.edges_refused_cluster_rules],
            ["clusters", r.clusters], ["passes", r.passes], ["seconds", r.seconds],
        ],
    )
    types = sorted(r.ids_by_type)
    per_type = _table(
        ["id type", "ids", "singletons", "hubs"],
        [[t, r.ids_by_type.get(t, 0), r.singletons_by_type.get(t, 0), r.hubs.get(t, 0)] for t in types],
    )
    largest = _table(
        ["main id", "size"] + types, [[c.main_id, c.size] + [c.id_types.get(t, 0) for t in types] for c in r.largest]
    )
    hints = "".join(f"<p class='bad'>{html.escape(h)}</p>" for h in r.hints())
    scores = ""
    if quality:
        rows = [[k.removeprefix("ground_truth/").replace("_", " "), v] for k, v in quality.items()]
        scores = "<h2>Against the ground truth</h2><p>The recall ceiling is the B-cubed recall of " \
                 "the clusters that same-person edges alone build: no stitcher can do better.</p>" + _table(["figure", "value"], rows)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1><p>Components: {status} in {r.passes} passes.</p>"
        f"{hints}<h2>Summary</h2>{summary}{scores}<h2>Cluster sizes</h2>{histogram_svg(r.size_histogram)}"
        f"<h2>Per id type</h2>{per_type}<h2>Largest clusters</h2>{largest}</body></html>"
    )
