"""The pain chart: back and leg pain against days since surgery, drawn on the server as SVG.

No script and no colour-only meaning: back pain is a solid line with circles, leg pain a dashed
line with squares, the template's expected leg-pain band a light area, milestones numbered marks.
It prints as it shows.
"""

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 480, 320
LEFT, RIGHT, TOP, BOTTOM = 36, 22, 70, 48
BACK_COLOUR = "#1d4ed8"
LEG_COLOUR = "#9a3412"
BAND_COLOUR = "#d1fae5"


@dataclass
class Point:
    day: int
    back: int
    leg: int


@dataclass
class Mark:
    day: int
    number: int
    title: str


def _interpolate(band: list[dict], day: float, key: str) -> float:
    points = sorted(band, key=lambda p: p["day"])
    if day <= points[0]["day"]:
        return float(points[0][key])
    for a, b in zip(points, points[1:], strict=False):
        if a["day"] <= day <= b["day"]:
            span = b["day"] - a["day"] or 1
            return a[key] + (b[key] - a[key]) * (day - a["day"]) / span
    return float(points[-1][key])


def daily_points(check_ins, surgery: date) -> list[Point]:
    """One point per day (the day's last check-in), in day order."""
    by_day: dict[int, Point] = {}
    for c in sorted(check_ins, key=lambda c: (c.day, c.recorded_at, c.id)):
        day = (c.day - surgery).days
        by_day[day] = Point(day, c.back_pain, c.leg_pain)
    return [by_day[d] for d in sorted(by_day)]


def _tick_step(span: int) -> int:
    for step in (1, 2, 7, 14, 28):
        if span / step <= 10:
            return step
    return 56


def pain_chart(
    points: list[Point],
    band: list[dict] | None,
    marks: list[Mark],
    labels: dict[str, str],
) -> Markup:
    first = min([0, *(p.day for p in points)])
    last = max([14, *(p.day for p in points), *(m.day for m in marks)])
    first = max(first, -28)
    span = last - first or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: float) -> float:
        return round(LEFT + (day - first) / span * plot_w, 1)

    def y(score: float) -> float:
        return round(TOP + (10 - score) / 10 * plot_h, 1)

    out = [
        f'<svg class="pain-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="pain-chart-title pain-chart-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="15">',
        f'<title id="pain-chart-title">{escape(labels["title"])}</title>',
        f'<desc id="pain-chart-desc">{escape(labels["desc"])}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    if band:
        days = list(range(max(first, 0), last + 1))
        if days:
            upper = [f"{x(d)},{y(_interpolate(band, d, 'high'))}" for d in days]
            lower = [f"{x(d)},{y(_interpolate(band, d, 'low'))}" for d in reversed(days)]
            out.append(
                f'<polygon points="{" ".join(upper + lower)}" fill="{BAND_COLOUR}" '
                f'stroke="#6ee7b7" stroke-width="1">'
                f"<title>{escape(labels['band'])}</title></polygon>"
            )
    for score in range(0, 11, 2):
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(score)}" y2="{y(score)}" '
            f'stroke="#e5e7eb" stroke-width="1"/>'
            f'<text x="{LEFT - 8}" y="{y(score) + 4}" text-anchor="end" '
            f'fill="#374151">{score}</text>'
        )
    step = _tick_step(span)
    start = first - (first % step)
    for day in range(start, last + 1, step):
        if day < first:
            continue
        out.append(
            f'<text x="{x(day)}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
            f'fill="#374151">{day}</text>'
        )
    if first <= 0 <= last:
        out.append(
            f'<line x1="{x(0)}" x2="{x(0)}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#111827" '
            f'stroke-width="1.5"/><text x="{x(0) + 4}" y="{TOP - 6}" fill="#111827">'
            f"{escape(labels['surgery'])}</text>"
        )
    for mark in marks:
        out.append(
            f'<g class="milestone-mark"><title>{mark.number}. {escape(mark.title)}</title>'
            f'<line x1="{x(mark.day)}" x2="{x(mark.day)}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" '
            f'stroke="#4b5563" stroke-width="1" stroke-dasharray="2 3"/>'
            f'<circle cx="{x(mark.day)}" cy="{TOP + 8}" r="8" fill="#ffffff" stroke="#4b5563"/>'
            f'<text x="{x(mark.day)}" y="{TOP + 12}" text-anchor="middle" font-size="11" '
            f'fill="#111827">{mark.number}</text></g>'
        )
    for key, colour, dash in (("back", BACK_COLOUR, ""), ("leg", LEG_COLOUR, "6 4")):
        coords = [(x(p.day), y(getattr(p, key))) for p in points if p.day >= first]
        if len(coords) > 1:
            path = " ".join(f"{cx},{cy}" for cx, cy in coords)
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
                f"{dashes}/>"
            )
        for (cx, cy), p in zip(coords, [p for p in points if p.day >= first], strict=True):
            tip = f"{labels[key]}: {getattr(p, key)} ({labels['day']} {p.day})"
            shape = (
                f'<circle cx="{cx}" cy="{cy}" r="4" fill="{colour}"/>'
                if key == "back"
                else f'<rect x="{cx - 4}" y="{cy - 4}" width="8" height="8" fill="{colour}"/>'
            )
            out.append(f"<g><title>{escape(tip)}</title>{shape}</g>")
    out.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle" fill="#374151">'
        f"{escape(labels['days_axis'])}</text>"
    )
    # Legend: back and leg on the first row, the expected band on the second.
    for n, (key, colour, dash) in enumerate(
        (("back", BACK_COLOUR, ""), ("leg", LEG_COLOUR, "6 4"))
    ):
        lx = LEFT + n * 200
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{lx}" x2="{lx + 24}" y1="14" y2="14" stroke="{colour}" '
            f'stroke-width="2.5"{dashes}/><text x="{lx + 30}" y="19" fill="#111827">'
            f"{escape(labels[key])}</text>"
        )
    if band:
        out.append(
            f'<rect x="{LEFT}" y="30" width="24" height="12" fill="{BAND_COLOUR}" '
            f'stroke="#6ee7b7"/><text x="{LEFT + 30}" y="41" fill="#111827">'
            f"{escape(labels['band'])}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))
