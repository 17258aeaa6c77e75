"""What the outcomes domain shows on staff pages: the journey card, its charts, the report's."""

from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup

from tracker.i18n import gettext as _
from tracker.i18n import lazy_gettext as _l
from tracker.journeys.models import Journey
from tracker.outcomes.charts import DAY_TICKS, WEEK_TICKS, Guide, Series, chart
from tracker.outcomes.models import QuestionnaireResponse, TheatreReturn
from tracker.outcomes.patient import InstrumentOutcome, journey_outcomes
from tracker.outcomes.report import Report
from tracker.outcomes.services import theatre_returns
from tracker.outcomes.status import TimepointStatus, journey_responses, journey_status
from tracker.portal.alerts import patient_tz, surgery_day
from tracker.vocabulary import TIMEPOINTS, label


def _day(journey: Journey, instant: datetime, operated: date | None) -> float | None:
    if operated is None:
        return None
    return float((instant.astimezone(patient_tz(journey)).date() - operated).days)


def _series(journey: Journey, outcome: InstrumentOutcome, operated, unit: str) -> Series:
    name = outcome.definition["short_name"]["en"]
    series = Series(outcome.key, name)
    if outcome.baseline:
        series.points.append(
            (
                None,
                outcome.baseline.score,
                _(
                    "%(name)s before surgery: %(score)s",
                    name=name,
                    score=_fmt(outcome.baseline.score) + unit,
                ),
            )
        )
    for p in outcome.points:
        tip = _(
            "%(name)s at %(timepoint)s: %(score)s",
            name=name,
            timepoint=label(p.timepoint, TIMEPOINTS),
            score=_fmt(p.score) + unit,
        )
        if p.change is not None:
            tip += " " + _("(change %(change)s)", change=f"{p.change:+g}")
        series.points.append((_day(journey, p.completed_at, operated), p.score, tip))
    return series


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}"


def mcid_line(outcome: InstrumentOutcome) -> float | None:
    """The score at or below which the change from baseline reaches the MCID."""
    rule, base = outcome.definition.get("mcid"), outcome.baseline
    if rule is None or base is None:
        return None
    needed = rule["points"]
    if rule.get("percent") and base.score > 0:
        needed = min(needed, base.score * rule["percent"] / 100)
    return max(base.score - needed, 0)


def patient_charts(journey: Journey, outcomes: dict[str, InstrumentOutcome]) -> dict[str, Markup]:
    operated = surgery_day(journey)
    charts = {}
    odi = outcomes.get("odi")
    if odi and (odi.baseline or odi.points):
        guides = []
        if odi.baseline:
            guides.append(
                Guide(
                    odi.baseline.score,
                    _("Baseline %(score)s", score=_fmt(odi.baseline.score)),
                    "6 3",
                )
            )
            line = mcid_line(odi)
            if line is not None:
                guides.append(
                    Guide(line, _("MCID reached at %(score)s or lower", score=_fmt(round(line, 1))))
                )
        charts["odi"] = chart(
            [_series(journey, odi, operated, "")],
            y_max=100,
            x_max=max([90, *(_day(journey, p.completed_at, operated) or 0 for p in odi.points)]),
            ticks=DAY_TICKS,
            labels={
                "title": _("ODI against baseline"),
                "desc": _(
                    "Oswestry Disability Index (0 none to 100 worst) before surgery and at "
                    "each timepoint, with the MCID threshold and the pathway's expected range."
                ),
                "axis": _("Days since surgery (square-root scale)"),
                "baseline": _("Before"),
                "band": _("Expected after surgery (pathway)"),
            },
            expected=odi.expected,
            guides=guides,
            chart_id=f"odi-chart-{journey.id}",
        )
    pains = [outcomes[k] for k in ("leg_pain", "back_pain") if k in outcomes]
    if any(o.baseline or o.points for o in pains):
        last = [_day(journey, p.completed_at, operated) or 0 for o in pains for p in o.points]
        leg = outcomes.get("leg_pain")
        charts["pain"] = chart(
            [_series(journey, o, operated, "") for o in pains],
            y_max=10,
            x_max=max([90, *last]),
            ticks=DAY_TICKS,
            labels={
                "title": _("Back and leg pain at each timepoint"),
                "desc": _(
                    "Back and leg pain (0 none to 10 worst) before surgery and at each "
                    "timepoint, from the questionnaires or the daily check-in nearest the day."
                ),
                "axis": _("Days since surgery (square-root scale)"),
                "baseline": _("Before"),
                "band": _("Expected leg pain (pathway)"),
            },
            expected=leg.expected if leg else None,
            chart_id=f"pain-chart-{journey.id}",
        )
    return charts


@dataclass
class JourneyPanel:
    statuses: list[TimepointStatus]
    outcomes: dict[str, InstrumentOutcome]
    charts: dict[str, Markup]
    responses: list[QuestionnaireResponse]
    returns: list[TheatreReturn]

    @property
    def core(self) -> list[InstrumentOutcome]:
        return [o for o in self.outcomes.values() if o.is_scale]

    @property
    def categories(self) -> list[InstrumentOutcome]:
        return [o for o in self.outcomes.values() if not o.is_scale and o.points]


def journey_panel(journey: Journey, *, now: datetime) -> JourneyPanel:
    responses = journey_responses(journey)
    outcomes = journey_outcomes(journey)
    return JourneyPanel(
        statuses=journey_status(journey, now=now, responses=responses),
        outcomes=outcomes,
        charts=patient_charts(journey, outcomes),
        responses=[r for r in responses if r.is_completed],
        returns=theatre_returns(journey),
    )


def report_charts(report: Report) -> dict[str, Markup]:
    """Median by week since surgery with the interquartile range as a band."""
    charts = {}
    for key, measures, y_max, title in (
        ("pain", ("leg_pain", "back_pain"), 10, _l("Median back and leg pain by week")),
        ("odi", ("odi",), 100, _l("Median ODI by week")),
    ):
        series = []
        for measure in measures:
            points = report.weekly.get(measure, [])
            if not points:
                continue
            name = report.definitions[measure]["short_name"]["en"]
            s = Series(measure, _("%(name)s (median)", name=name))
            for p in points:
                x = None if p.week < 0 else float(p.week)
                when = _("before surgery") if x is None else _("week %(week)s", week=p.week)
                stat = p.stat
                tip = _(
                    "%(name)s %(when)s: median %(median)s, IQR %(q1)s–%(q3)s, n=%(n)s",
                    name=name,
                    when=when,
                    median=_fmt(stat.median),
                    q1=_fmt(stat.q1),
                    q3=_fmt(stat.q3),
                    n=stat.n,
                )
                s.points.append((x, p.stat.median, tip))
                s.iqr.append((x, p.stat.q1, p.stat.q3))
                if p.stat.small:
                    s.hollow.add(x)
            series.append(s)
        if not series:
            continue
        charts[key] = chart(
            series,
            y_max=y_max,
            x_max=52,
            ticks=WEEK_TICKS,
            labels={
                "title": str(title),
                "desc": _(
                    "%(title)s since surgery, with the interquartile range shaded; hollow "
                    "markers are weeks with fewer than 5 patients.",
                    title=title,
                ),
                "axis": _("Weeks since surgery (square-root scale)"),
                "baseline": _("Before"),
                "iqr": _("Interquartile range"),
            },
            chart_id=f"report-{key}-chart",
        )
    return charts
