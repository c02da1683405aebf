"""The project's step graph as a picture: a layered left-to-right layout, drawn as SVG (no
dependency) or PNG (Pillow). No graphviz: its `dot` binary is often not installed."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from profiles_pipeline.errors import UserError

BOX_H, GAP_X, GAP_Y, PAD, CHAR_W = 40, 70, 18, 20, 7.2
COLOURS = {"input": "#e8f1fb", "edges": "#fdf0dc", "id_graph": "#fbe1c2", "sql_model": "#eee8f7",
           "features": "#e2f3e4", "feature_view": "#d5efe9", "cohort": "#f9e0e6",
           "activation": "#fdf0d5", "prediction": "#e8def8"}


@dataclass(frozen=True)
class Box:
    path: str
    kind: str
    x: float
    y: float
    w: float


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]
    edges: list[tuple[str, str]]
    width: float
    height: float


def _layers(nodes: list[str], ups: dict[str, list[str]]) -> dict[str, int]:
    layer: dict[str, int] = {}
    for n in nodes:  # dependency order: upstream layers are known
        layer[n] = 1 + max((layer[u] for u in ups[n] if u in layer), default=-1)
    return layer


def _order(columns: list[list[str]], ups: dict[str, list[str]], downs: dict[str, list[str]]) -> None:
    """Barycenter sweeps: place each node near the mean position of its neighbours, to cut
    crossings; a node without placed neighbours keeps its place."""
    def centre(n: str, nbrs: dict[str, list[str]], pos: dict[str, int], here: int) -> float:
        placed = [pos[m] for m in nbrs[n] if m in pos]
        return sum(placed) / len(placed) if placed else here

    def sweep(cols: list[list[str]], nbrs: dict[str, list[str]]) -> None:
        for prev, col in zip(cols, cols[1:], strict=False):
            pos = {n: i for i, n in enumerate(prev)}
            keys = {n: centre(n, nbrs, pos, i) for i, n in enumerate(col)}
            col.sort(key=keys.__getitem__)

    for _ in range(4):
        sweep(columns, ups)
        sweep(columns[::-1], downs)


def layout(graph) -> Layout:
    """Boxes and edges of a ProjectGraph (steps are in dependency order)."""
    nodes = [s.path for s in graph.steps]
    kinds = {s.path: s.kind for s in graph.steps}
    known = set(nodes)
    ups = {s.path: ["/".join(u) for u in s.upstream if "/".join(u) in known] for s in graph.steps}
    downs: dict[str, list[str]] = {n: [] for n in nodes}
    for n, us in ups.items():
        for u in us:
            downs[u].append(n)
    layer = _layers(nodes, ups)
    columns = [[n for n in nodes if layer[n] == i] for i in range(max(layer.values(), default=-1) + 1)]
    _order(columns, ups, downs)
    height = max((len(c) for c in columns), default=1) * (BOX_H + GAP_Y) - GAP_Y + 2 * PAD
    boxes, x = {}, PAD
    for col in columns:
        w = max(len(n) for n in col) * CHAR_W + 24
        top = (height - (len(col) * (BOX_H + GAP_Y) - GAP_Y)) / 2
        for i, n in enumerate(col):
            boxes[n] = Box(n, kinds[n], x, top + i * (BOX_H + GAP_Y), w)
        x += w + GAP_X
    edges = [(u, n) for n in nodes for u in ups[n]]
    return Layout(boxes, edges, x - GAP_X + PAD, height)


def _curve(a: Box, b: Box) -> tuple[tuple[float, float], ...]:
    x1, y1, x2, y2 = a.x + a.w, a.y + BOX_H / 2, b.x, b.y + BOX_H / 2
    mid = (x1 + x2) / 2
    return (x1, y1), (mid, y1), (mid, y2), (x2 - 6, y2)


def to_svg(lay: Layout, title: str) -> str:
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" height="{lay.height + 24:.0f}" '
           f'font-family="sans-serif" font-size="12"><title>{html.escape(title)}</title>',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="2" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>',
           f'<text x="{PAD}" y="16" font-size="13" font-weight="bold">{html.escape(title)}</text>',
           '<g transform="translate(0,24)">']
    for u, v in lay.edges:
        (x1, y1), (c1x, c1y), (c2x, c2y), (x2, y2) = _curve(lay.boxes[u], lay.boxes[v])
        out.append(f'<path d="M{x1:.1f},{y1:.1f} C{c1x:.1f},{c1y:.1f} {c2x:.1f},{c2y:.1f} {x2:.1f},{y2:.1f}" '
                   'fill="none" stroke="#777" stroke-width="1.2" marker-end="url(#arrow)"/>')
    for b in lay.boxes.values():
        out.append(f'<g><title>{html.escape(b.path)} ({b.kind})</title><rect x="{b.x:.1f}" y="{b.y:.1f}" '
                   f'width="{b.w:.1f}" height="{BOX_H}" rx="6" fill="{COLOURS.get(b.kind, "#eee")}" stroke="#555"/>'
                   f'<text x="{b.x + 12:.1f}" y="{b.y + 17:.1f}">{html.escape(b.path)}</text>'
                   f'<text x="{b.x + 12:.1f}" y="{b.y + 32:.1f}" fill="#666" font-size="10">{b.kind}</text></g>')
    out.append("</g></svg>")
    return "\n".join(out)


def _bezier(points, steps: int = 24) -> list[tuple[float, float]]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    out = []
    for i in range(steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3
        out.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return out


def write_png(lay: Layout, title: str, path: Path, scale: float = 2.0) -> None:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise UserError("--png needs the Pillow package (pip install pillow); --svg needs nothing") from None
    s = scale
    img = Image.new("RGB", (int(lay.width * s), int((lay.height + 24) * s)), "white")
    draw = ImageDraw.Draw(img)
    font, small, bold = (ImageFont.load_default(size=int(n * s)) for n in (12, 10, 13))
    draw.text((PAD * s, 4 * s), title, fill="black", font=bold)

    def p(x: float, y: float) -> tuple[float, float]:
        return x * s, (y + 24) * s

    for u, v in lay.edges:
        pts = [p(x, y) for x, y in _bezier(_curve(lay.boxes[u], lay.boxes[v]))]
        draw.line(pts, fill="#777777", width=max(1, int(1.2 * s)))
        (xe, ye) = pts[-1]
        draw.polygon([(xe, ye - 4 * s), (xe + 7 * s, ye), (xe, ye + 4 * s)], fill="#777777")
    for b in lay.boxes.values():
        draw.rounded_rectangle([p(b.x, b.y), p(b.x + b.w, b.y + BOX_H)], radius=6 * s,
                               fill=COLOURS.get(b.kind, "#eeeeee"), outline="#555555", width=max(1, int(s)))
        draw.text(p(b.x + 12, b.y + 6), b.path, fill="black", font=font)
        draw.text(p(b.x + 12, b.y + 23), b.kind, fill="#666666", font=small)
    img.save(path, format="PNG")
