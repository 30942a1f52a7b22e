"""Small server-drawn SVG pictures (no JavaScript, no CDN): an evidence graph and a bar chart.
Pure functions of their input; every text is escaped."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

ROLE_COLOURS = (("死亡", "#7f1d1d"), ("村干部", "#b45309"), ("工作人员", "#6d28d9"), ("岗位人员", "#1d4ed8"))


def _colour(role: str) -> str:
    return next((c for key, c in ROLE_COLOURS if key in (role or "")), "#475569")


def graph_svg(nodes: list[dict], links: list[dict], width: int = 640, height: int = 360) -> Markup:
    """People as labelled circles on a ring (the flagged holder first, in the centre when there are
    several), their links as labelled lines."""
    if not nodes:
        return Markup("")
    cx, cy = width / 2, height / 2
    pos = {}
    if len(nodes) == 1:
        pos[nodes[0]["id"]] = (cx, cy)
    else:
        centre, ring = nodes[0], nodes[1:]
        pos[centre["id"]] = (cx, cy)
        r = min(width, height) / 2 - 60
        for i, n in enumerate(ring):
            a = -math.pi / 2 + 2 * math.pi * i / len(ring)
            pos[n["id"]] = (cx + r * 1.4 * math.cos(a), cy + r * math.sin(a))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="evidence-graph" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="人员关系图">'
    ]
    for link in links:
        a, b = pos.get(link.get("a")), pos.get(link.get("b"))
        if not a or not b:
            continue
        parts.append(
            f'<line x1="{a[0]:.0f}" y1="{a[1]:.0f}" x2="{b[0]:.0f}" y2="{b[1]:.0f}" stroke="#94a3b8" '
            'stroke-width="2"/>'
        )
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        parts.append(
            f'<text x="{mx:.0f}" y="{my - 4:.0f}" font-size="12" text-anchor="middle" fill="#334155">'
            f"{escape(link.get('label', ''))}</text>"
        )
    for n in nodes:
        x, y = pos[n["id"]]
        colour = _colour(n.get("role", ""))
        parts.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="26" fill="{colour}" opacity="0.9"/>')
        parts.append(
            f'<text x="{x:.0f}" y="{y + 5:.0f}" font-size="13" text-anchor="middle" fill="#fff">'
            f"{escape(n.get('name', ''))}</text>"
        )
        parts.append(
            f'<text x="{x:.0f}" y="{y + 44:.0f}" font-size="11" text-anchor="middle" fill="#334155">'
            f"{escape((n.get('role') or '')[:18])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart_svg(
    rows: list[tuple[str, int]],
    *,
    title: str = "",
    width: int = 640,
    bar: int = 18,
    colour: str = "#1d4ed8",
    fmt=None,
) -> Markup:
    """Horizontal bars: (label, value) rows, biggest first as given; `fmt` shows a value (default 12,345)."""
    fmt = fmt or (lambda v: f"{v:,}")
    if not rows:
        return Markup("")
    top = max(v for _, v in rows) or 1
    label_w, pad = 170, 24
    height = pad + len(rows) * (bar + 6) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}">'
    ]
    if title:
        parts.append(
            f'<text x="0" y="14" font-size="13" font-weight="bold" fill="#0f172a">{escape(title)}</text>'
        )
    for i, (label, value) in enumerate(rows):
        y = pad + i * (bar + 6)
        w = (width - label_w - 60) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar - 4}" font-size="12" text-anchor="end" fill="#334155">'
            f"{escape(label)}</text>"
        )
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 4}" font-size="12" '
            f'fill="#0f172a">{escape(fmt(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_table_svg(
    matrix: dict[tuple[str, str], int], rows: list[str], cols: list[str], *, title: str = "", cell: int = 26
) -> Markup:
    """A heat grid: rows × columns, each cell shaded by its count (rules × townships)."""
    if not rows or not cols:
        return Markup("")
    top = max(matrix.values() or [1]) or 1
    label_w, head_h = 150, 70
    width, height = label_w + len(cols) * cell + 10, head_h + len(rows) * cell + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{min(width, 900)}" role="img" aria-label="{escape(title)}">'
    ]
    for j, c in enumerate(cols):
        x = label_w + j * cell + cell / 2
        parts.append(
            f'<text transform="translate({x:.0f},{head_h - 6}) rotate(-60)" font-size="11" fill="#334155">'
            f"{escape(c)}</text>"
        )
    for i, r in enumerate(rows):
        y = head_h + i * cell
        parts.append(
            f'<text x="{label_w - 6}" y="{y + cell - 9}" font-size="11" text-anchor="end" fill="#334155">'
            f"{escape(r)}</text>"
        )
        for j, c in enumerate(cols):
            v = matrix.get((r, c), 0)
            shade = 0.08 + 0.85 * v / top if v else 0.03
            parts.append(
                f'<rect x="{label_w + j * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="#b91c1c" fill-opacity="{shade:.2f}"><title>{escape(r)} × {escape(c)}：'
                f"{v}</title></rect>"
            )
            if v:
                parts.append(
                    f'<text x="{label_w + j * cell + cell / 2 - 1:.0f}" y="{y + cell - 9}" font-size="10" '
                    f'text-anchor="middle" fill="#0f172a">{v}</text>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))
