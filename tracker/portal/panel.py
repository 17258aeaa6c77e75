"""What the portal shows about a journey on other pages: the chart and the staff panel."""

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from markupsafe import Markup

from tracker.clock import utcnow
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.portal import alerts, milestones, services
from tracker.portal.chart import Mark, daily_points, pain_chart
from tracker.portal.models import Alert, CheckIn, PortalInvitation


def chart_for(journey: Journey, language: str) -> Markup | None:
    """The pain chart in ``language``; None before the surgery date is known."""
    operated = alerts.surgery_day(journey)
    if operated is None:
        return None
    items = milestones.milestones(journey)
    reached = sorted((m for m in items if m.reached_on), key=lambda m: (m.reached_on, m.key))
    marks = [
        Mark(day=(m.reached_on - operated).days, number=n, title=m.title(language))
        for n, m in enumerate(reached, start=1)
    ]
    with force_locale(language):
        labels = {
            "title": _("Pain since the operation"),
            "desc": _(
                "Back and leg pain from 0 (none) to 10 (worst), by days since the operation, "
                "with the expected range of leg pain shaded."
            ),
            "back": _("Back pain"),
            "leg": _("Leg pain"),
            "band": _("Expected leg pain"),
            "days_axis": _("Days since the operation"),
            "surgery": _("Operation"),
            "day": _("day"),
        }
    points = daily_points(services.check_ins(journey), operated)
    band = journey.template.definition.get("expected_recovery")
    return pain_chart(points, band, marks, labels)


@dataclass
class StaffPanel:
    invitation: PortalInvitation | None
    latest_invitation: PortalInvitation | None
    chart: Markup | None
    milestones: list[milestones.Milestone]
    check_ins: list[CheckIn]
    alerts: list[Alert]
    today: date


def staff_panel(journey: Journey) -> StaffPanel:
    """Everything the journey page's portal card shows."""
    now = utcnow()
    return StaffPanel(
        invitation=services.active_invitation(journey, now=now),
        latest_invitation=services.latest_invitation(journey),
        chart=chart_for(journey, "en"),
        milestones=milestones.milestones(journey),
        check_ins=services.check_ins(journey, limit=10),
        alerts=services.open_alerts(journey),
        today=services.patient_today(journey, now),
    )
