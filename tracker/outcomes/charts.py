"""Outcome charts drawn on the server as SVG, like the portal's pain chart.

No script and no colour-only meaning: each series has its own line style and marker, bands
are light areas with a legend entry, and every point carries a <title> with its numbers. Time
runs on a square-root scale (days or weeks since the operation), so the first weeks, when most
changes, are not squeezed against the axis while a year still fits; the baseline sits left of
the operation. It prints as it shows.
"""

import math
from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH, HEIGHT = 520, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 18, 58, 46
BASELINE_GAP = 0.14  # share of the plot width between the baseline and the operation
PALETTE = {
    "leg_pain": ("#9a3412", "6 4", "square"),
    "back_pain": ("#1d4ed8", "", "circle"),
    "odi": ("#6d28d9", "", "diamond"),
}
BAND_COLOUR, BAND_EDGE = "#d1fae5", "#6ee7b7"
IQR_OPACITY = 0.18


@dataclass
class Series:
    key: str
    label: str
    #: (x, y, tooltip); x in days or weeks since the operation, None for the baseline
    points: list[tuple[float | None, float, str]] = field(default_factory=list)
    #: (x, low, high) of an interquartile band, in x order
    iqr: list[tuple[float | None, float, float]] = field(default_factory=list)
    hollow: set[float | None] = field(default_factory=set)


@dataclass
class Guide:
    """A horizontal reference line (baseline, MCID threshold)."""

    y: float
    label: str
    dash: str = "2 3"


def _scale(x_max: float):
    plot_w = WIDTH - LEFT - RIGHT
    origin = LEFT + plot_w * BASELINE_GAP
    span = math.sqrt(max(x_max, 1))

    def x(value: float | None) -> float:
        if value is None:
            return round((LEFT + origin) / 2, 1)
        return round(origin + math.sqrt(max(value, 0)) / span * (WIDTH - RIGHT - origin), 1)

    return x, origin


def _marker(shape: str, cx: float, cy: float, colour: str, hollow: bool) -> str:
    fill = "#ffffff" if hollow else colour
    stroke = f' stroke="{colour}" stroke-width="2"'
    if shape == "square":
        return f'<rect x="{cx - 4.5}" y="{cy - 4.5}" width="9" height="9" fill="{fill}"{stroke}/>'
    if shape == "diamond":
        pts = f"{cx},{cy - 6} {cx + 6},{cy} {cx},{cy + 6} {cx - 6},{cy}"
        return f'<polygon points="{pts}" fill="{fill}"{stroke}/>'
    return f'<circle cx="{cx}" cy="{cy}" r="4.5" fill="{fill}"{stroke}/>'


def chart(
    series: list[Series],
    *,
    y_max: float,
    x_max: float,
    ticks: list[tuple[float, str]],
    labels: dict[str, str],
    expected: list[dict] | None = None,
    guides: list[Guide] = (),
    chart_id: str = "outcome-chart",
) -> Markup:
    """An SVG line chart; ``labels`` needs title, desc, axis, baseline and (with a band) band."""
    x, origin = _scale(x_max)
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + (y_max - min(max(value, 0), y_max)) / y_max * plot_h, 1)

    out = [
        f'<svg class="outcome-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="{chart_id}-title">{escape(labels["title"])}</title>',
        f'<desc id="{chart_id}-desc">{escape(labels["desc"])}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    if expected:
        days = sorted(expected, key=lambda p: p["day"])
        upper = [f"{x(p['day'])},{y(p['high'])}" for p in days]
        lower = [f"{x(p['day'])},{y(p['low'])}" for p in reversed(days)]
        out.append(
            f'<polygon points="{" ".join(upper + lower)}" fill="{BAND_COLOUR}" '
            f'stroke="{BAND_EDGE}"><title>{escape(labels["band"])}</title></polygon>'
        )
    step = y_max / 5
    for n in range(6):
        value = round(n * step, 1)
        text = int(value) if float(value).is_integer() else value
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value)}" y2="{y(value)}" '
            f'stroke="#e5e7eb"/><text x="{LEFT - 6}" y="{y(value) + 4}" text-anchor="end" '
            f'fill="#374151">{text}</text>'
        )
    out.append(
        f'<line x1="{origin}" x2="{origin}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#111827"/>'
    )
    out.append(
        f'<text x="{x(None)}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#374151">'
        f"{escape(labels['baseline'])}</text>"
    )
    for value, text in ticks:
        out.append(
            f'<text x="{x(value)}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'fill="#374151">{escape(text)}</text>'
        )
    out.append(
        f'<text x="{(origin + WIDTH - RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle" '
        f'fill="#374151">{escape(labels["axis"])}</text>'
    )
    for guide in guides:
        out.append(
            f'<g><title>{escape(guide.label)}</title><line x1="{LEFT}" x2="{WIDTH - RIGHT}" '
            f'y1="{y(guide.y)}" y2="{y(guide.y)}" stroke="#4b5563" '
            f'stroke-dasharray="{guide.dash}"/>'
            f'<text x="{WIDTH - RIGHT - 2}" y="{y(guide.y) - 4}" text-anchor="end" '
            f'font-size="11" fill="#374151">{escape(guide.label)}</text></g>'
        )
    for s in series:
        colour, dash, shape = PALETTE.get(s.key, ("#111827", "", "circle"))
        if len(s.iqr) > 1:
            upper = [f"{x(px)},{y(hi)}" for px, _, hi in s.iqr]
            lower = [f"{x(px)},{y(lo)}" for px, lo, _ in reversed(s.iqr)]
            out.append(
                f'<polygon points="{" ".join(upper + lower)}" fill="{colour}" '
                f'fill-opacity="{IQR_OPACITY}" stroke="none"/>'
            )
        coords = [(x(px), y(py), tip, px) for px, py, tip in s.points]
        if len(coords) > 1:
            path = " ".join(f"{cx},{cy}" for cx, cy, _, _ in coords)
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
                f"{dashes}/>"
            )
        for cx, cy, tip, px in coords:
            marker = _marker(shape, cx, cy, colour, px in s.hollow)
            out.append(f"<g><title>{escape(tip)}</title>{marker}</g>")
    legend = list(series)
    for n, s in enumerate(legend):
        colour, dash, shape = PALETTE.get(s.key, ("#111827", "", "circle"))
        lx = LEFT + n * 170
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{lx}" x2="{lx + 26}" y1="14" y2="14" stroke="{colour}" '
            f'stroke-width="2.5"{dashes}/>{_marker(shape, lx + 13, 14, colour, False)}'
            f'<text x="{lx + 32}" y="18" fill="#111827">{escape(s.label)}</text>'
        )
    second = []
    if expected:
        second.append(
            f'<rect x="{LEFT}" y="28" width="26" height="11" fill="{BAND_COLOUR}" '
            f'stroke="{BAND_EDGE}"/><text x="{LEFT + 32}" y="38" fill="#111827">'
            f"{escape(labels['band'])}</text>"
        )
    if any(s.iqr for s in series):
        lx = LEFT + (200 if expected else 0)
        second.append(
            f'<rect x="{lx}" y="28" width="26" height="11" fill="#6b7280" '
            f'fill-opacity="{IQR_OPACITY * 2}"/><text x="{lx + 32}" y="38" fill="#111827">'
            f"{escape(labels.get('iqr', ''))}</text>"
        )
    out.extend(second)
    out.append("</svg>")
    return Markup("".join(out))


DAY_TICKS = [(0, "0"), (14, "2w"), (42, "6w"), (90, "3m"), (182, "6m"), (365, "12m")]
WEEK_TICKS = [(0, "0"), (2, "2"), (6, "6"), (13, "13"), (26, "26"), (52, "52")]
