"""Statistics charts drawn on the server as SVG: no script, no CDN, no inline style (the CSP
allows none); colours come from classes in admin.css. Every number is also in the page's
table, and each chart has a <title> and text labels, so colour is never the only cue."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

SERIES = 6  # .series-0 .. .series-5 in admin.css
HEAT_LEVELS = 6  # .heat-0 .. .heat-5


def _svg(width: int, height: int, title: str, body: list[str], cls: str) -> Markup:
    return Markup(f'<svg class="chart {cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
                  f'role="img" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
                  + "".join(body) + "</svg>")


def lines(title: str, periods: Sequence[str], series: Sequence[tuple[str, Sequence[int]]],
          width: int = 900, height: int = 260) -> Markup:
    """One polyline per (name, values over periods), with a y axis from 0 to the maximum."""
    left, right, top, bottom = 48, 150, 14, 34
    w, h = width - left - right, height - top - bottom
    top_value = max([1, *(v for _, values in series for v in values)])
    n = max(1, len(periods) - 1)
    body = [f'<line class="axis" x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}"/>',
            f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + h}"/>',
            f'<text class="tick" x="{left - 6}" y="{top + 4}" text-anchor="end">{top_value}</text>',
            f'<text class="tick" x="{left - 6}" y="{top + h}" text-anchor="end">0</text>']
    step = max(1, len(periods) // 8)
    for i in range(0, len(periods), step):
        x = left + w * i / n
        body.append(f'<text class="tick" x="{x:.1f}" y="{height - 12}" text-anchor="middle">'
                    f'{escape(periods[i][5:])}</text>')
    for k, (name, values) in enumerate(series):
        pts = " ".join(f"{left + w * i / n:.1f},{top + h - h * v / top_value:.1f}" for i, v in enumerate(values))
        cls = f"series-{k % SERIES}"
        if len(values) == 1:
            body.append(f'<circle class="{cls} dot" cx="{left}" cy="{top + h - h * values[0] / top_value:.1f}" r="4"/>')
        body.append(f'<polyline class="{cls} line" points="{pts}"><title>{escape(name)}</title></polyline>')
        y = top + 14 + 18 * k
        body.append(f'<line class="{cls} line" x1="{left + w + 12}" y1="{y - 4}" x2="{left + w + 32}" y2="{y - 4}"/>'
                    f'<text class="legend" x="{left + w + 38}" y="{y}">{escape(name)}</text>')
    return _svg(width, height, title, body, "lines")


def funnel(title: str, steps: Sequence[tuple[str, int]], width: int = 900) -> Markup:
    """Horizontal bars scaled to the largest step (job views may outnumber visits), each with
    its count and its share of the first step."""
    label_w, bar_h, gap = 230, 30, 8
    first = max(1, steps[0][1]) if steps else 1
    largest = max([1, *(v for _, v in steps)])
    body = []
    for i, (name, value) in enumerate(steps):
        y = i * (bar_h + gap)
        bw = max(2.0, (width - label_w - 130) * value / largest)
        share = f"{100 * value / first:.0f}%" if steps[0][1] else "—"
        body.append(f'<text class="label" x="{label_w - 8}" y="{y + 20}" text-anchor="end">{escape(name)}</text>'
                    f'<rect class="series-{i % SERIES} bar" x="{label_w}" y="{y}" width="{bw:.1f}" height="{bar_h}">'
                    f'<title>{escape(name)}: {value}</title></rect>'
                    f'<text class="value" x="{label_w + bw + 8:.1f}" y="{y + 20}">{value} ({share})</text>')
    return _svg(width, len(steps) * (bar_h + gap), title, body, "funnel")


def heatmap(title: str, grid: Sequence[Sequence[int]], row_names: Sequence[str], width: int = 900) -> Markup:
    """Rows (weekdays) x 24 hours; darker = more. Each cell's count is in its tooltip."""
    left, top, cols = 90, 20, 24
    cell = (width - left - 10) / cols
    top_value = max([1, *(v for row in grid for v in row)])
    body = [f'<text class="tick" x="{left + cell * c + cell / 2:.1f}" y="{top - 6}" text-anchor="middle">{c}</text>'
            for c in range(cols)]
    for r, row in enumerate(grid):
        y = top + r * cell
        body.append(f'<text class="label" x="{left - 8}" y="{y + cell * 0.65:.1f}" text-anchor="end">'
                    f'{escape(row_names[r])}</text>')
        for c, v in enumerate(row):
            level = 0 if v == 0 else 1 + min(HEAT_LEVELS - 2, int((HEAT_LEVELS - 1) * v / (top_value + 1)))
            body.append(f'<rect class="heat-{level}" x="{left + cell * c:.1f}" y="{y:.1f}" width="{cell - 2:.1f}" '
                        f'height="{cell - 2:.1f}"><title>{escape(row_names[r])} {c}:00 — {v}</title></rect>')
    return _svg(width, int(top + len(grid) * cell + 4), title, body, "heatmap")
