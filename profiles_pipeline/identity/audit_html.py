"""The id stitcher audit as one self-contained HTML page: the report's figures, then coverage,
the busiest ids and a drawing of the largest cluster (inline SVG, no external assets)."""

from __future__ import annotations

import html

from profiles_pipeline.identity.audit import MAX_DRAWN_IDS, ClusterPicture, StitcherAudit
from profiles_pipeline.identity.report_html import _CSS, _table, histogram_svg

_PALETTE = ("#4a7bd0", "#d0794a", "#4aa36b", "#a64ad0", "#d0b44a", "#4ab8d0", "#d04a7b", "#7b8a99")


def cluster_svg(picture: ClusterPicture, width: int = 720, height: int = 520) -> str:
    """The cluster's ids as dots coloured by id type, its kept links as lines, bridge ids ringed."""
    types = sorted({ty for _, ty, _, _ in picture.nodes})
    colour = {ty: _PALETTE[i % len(_PALETTE)] for i, ty in enumerate(types)}
    bridges = set(picture.bridges)
    pad = 30

    def at(i: int) -> tuple[float, float]:
        _, _, x, y = picture.nodes[i]
        return pad + x * (width - 2 * pad), pad + y * (height - 2 * pad - 30)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="largest cluster">']
    for a, b in picture.links:
        (x1, y1), (x2, y2) = at(a), at(b)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#bbb"/>')
    for i, (value, ty, _, _) in enumerate(picture.nodes):
        x, y = at(i)
        ring = ' stroke="#000" stroke-width="2"' if (value, ty) in bridges else ""
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour[ty]}"{ring}>'
                     f'<title>{html.escape(ty)}: {html.escape(value)}</title></circle>')
    for i, ty in enumerate(types):
        x = pad + i * 130
        parts.append(f'<circle cx="{x}" cy="{height - 14}" r="5" fill="{colour[ty]}"/>'
                     f'<text x="{x + 9}" y="{height - 10}" font-size="11">{html.escape(ty)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_audit_html(audit: StitcherAudit) -> str:
    r = audit.report
    title = f"Id stitcher audit: {r.stitcher}"
    summary = _table(["figure", "value"], [
        ["ids (after filters)", audit.ids], ["profiles (clusters)", audit.profiles],
        ["ids per profile", audit.ids_per_profile], ["singletons", r.size_counts.get(1, 0)],
        ["edges used / distinct", f"{r.edges_kept} / {r.edges}"],
        ["edges dropped: hub endpoint / maximum_edges", f"{r.edges_dropped_hub} / {r.edges_dropped_maximum_edges}"],
        ["largest cluster", r.largest[0].size if r.largest else 0],
    ])
    types = sorted(r.ids_by_type)
    coverage = _table(["id type", "ids", "profiles holding one", "share of profiles", "singletons", "hubs"], [
        [t, r.ids_by_type.get(t, 0), audit.coverage.get(t, 0),
         f"{audit.coverage.get(t, 0) / audit.profiles:.1%}" if audit.profiles else "-",
         r.singletons_by_type.get(t, 0), r.hubs.get(t, 0)] for t in types])
    largest = _table(["main id", "size"] + types,
                     [[c.main_id, c.size] + [c.id_types.get(t, 0) for t in types] for c in r.largest])
    busiest = _table(["id", "id type", "links", "cluster size", "main id"],
                     [[b.id_value, b.id_type, b.degree, b.cluster_size, b.main_id] for b in audit.busiest])
    picture = ""
    if audit.largest_cluster is not None:
        pic = audit.largest_cluster
        if pic.shown:
            picture = (f"<h2>Largest cluster {html.escape(pic.main_id)}</h2><p>{len(pic.nodes)} ids, "
                       f"{len(pic.links)} links; ringed: bridge ids ({len(pic.bridges)}), each of which would split "
                       f"the cluster if its links were dropped.</p>{cluster_svg(pic)}")
        else:
            picture = (f"<h2>Largest cluster {html.escape(pic.main_id)}</h2><p>Not drawn: it holds more than "
                       f"{MAX_DRAWN_IDS} ids. <code>profiles show explain A B</code> traces how two of its ids are linked.</p>")
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<h2>Before and after stitching</h2>{summary}<h2>Cluster sizes</h2>{histogram_svg(r.size_histogram)}"
        f"<h2>Coverage by id type</h2>{coverage}<h2>Largest clusters</h2>{largest}"
        f"<h2>Ids with the most links</h2>{busiest}{picture}</body></html>"
    )
