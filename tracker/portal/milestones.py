"""Recovery milestones: the pathway's expected windows, and the day each was reached.

A milestone is reached by what the patient or staff mark, or by what the record already shows:
a template milestone with ``record: discharge`` is reached on the day the patient went home,
one with ``record: task:<key>`` on the day that journey task was done. What a person marks wins
over the record (it is a correction); either way a reached milestone is never "overdue".
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from tracker.audit.services import record
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import Conflict, NotFound, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.portal import alerts
from tracker.portal.models import Caregiver, MilestoneRecord
from tracker.portal.services import patient_today

#: who says a milestone was reached
SOURCES = ("patient", "staff", "record")


@dataclass
class Milestone:
    key: str
    titles: dict
    anchor: str
    from_day: int
    to_day: int
    expected_from: date | None
    expected_to: date | None
    reached_on: date | None
    #: patient, staff or record (None while not reached)
    source: str | None = None
    #: the staff member who marked or corrected it
    entered_by_name: str | None = None
    #: marked by the patient's caregiver (their name)
    caregiver_name: str | None = None

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get("en") or self.key

    @property
    def anchor_on(self) -> date | None:
        """The date the window counts from (the operation, for every milestone today)."""
        if self.expected_from is None:
            return None
        return self.expected_from - timedelta(days=self.from_day)

    @property
    def day(self) -> int | None:
        """Days after the anchor it was reached."""
        if self.reached_on is None or self.expected_from is None:
            return None
        return (self.reached_on - self.expected_from).days + self.from_day

    def status(self, today: date) -> str:
        """early, on_time, late (reached); waiting, due, overdue (not yet); unknown."""
        if self.expected_from is None:
            return "unknown"
        if self.reached_on is not None:
            if self.reached_on < self.expected_from:
                return "early"
            return "late" if self.reached_on > self.expected_to else "on_time"
        if today < self.expected_from:
            return "waiting"
        return "overdue" if today > self.expected_to else "due"


def template_milestones(journey: Journey) -> list[dict]:
    return [
        ms for stage in journey.template.definition["stages"] for ms in stage.get("milestones", [])
    ]


def recorded_on(journey: Journey, spec: dict) -> date | None:
    """The day the journey's own record says the milestone was reached, if it says so."""
    source = spec.get("record") or ""
    tz = alerts.patient_tz(journey)
    if source == "discharge":
        return journey.discharged_at.astimezone(tz).date() if journey.discharged_at else None
    if source.startswith("task:"):
        key = source.removeprefix("task:")
        task = next((t for t in journey.tasks if t.key == key), None)
        if task is not None and task.status == "done" and task.done_at is not None:
            return task.done_at.astimezone(tz).date()
    return None


def milestones(journey: Journey) -> list[Milestone]:
    tz = alerts.patient_tz(journey)
    marked = {
        r.key: r
        for r in db.session.scalars(
            sa.select(MilestoneRecord).where(MilestoneRecord.journey_id == journey.id)
        )
    }
    names = {}
    staff_ids = {r.entered_by_id for r in marked.values() if r.entered_by_id}
    if staff_ids:
        names = dict(
            db.session.execute(
                sa.select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(staff_ids))
            ).all()
        )
    out = []
    for ms in template_milestones(journey):
        anchor = journey.anchor_date(ms["anchor"], tz)
        row = marked.get(ms["key"])
        if row is not None:
            reached, source = row.reached_on, row.entered_by
        else:
            reached = recorded_on(journey, ms)
            source = "record" if reached else None
        out.append(
            Milestone(
                key=ms["key"],
                titles=ms["title"],
                anchor=ms["anchor"],
                from_day=ms["from_day"],
                to_day=ms["to_day"],
                expected_from=anchor + timedelta(days=ms["from_day"]) if anchor else None,
                expected_to=anchor + timedelta(days=ms["to_day"]) if anchor else None,
                reached_on=reached,
                source=source,
                entered_by_name=names.get(row.entered_by_id) if row else None,
                caregiver_name=row.caregiver.name if row and row.caregiver_id else None,
            )
        )
    return out


def mark_milestone(
    journey: Journey,
    key: str,
    reached_on: date | None,
    *,
    now: datetime,
    staff: StaffUser | None = None,
    caregiver: Caregiver | None = None,
) -> MilestoneRecord:
    """Record (or correct) the day a milestone was reached; staff entries are marked as such."""
    if not journey.is_active:
        raise Conflict(_("This journey has ended."))
    if key not in {ms["key"] for ms in template_milestones(journey)}:
        raise NotFound(_("No such milestone."))
    if not isinstance(reached_on, date):
        raise ValidationFailed.on("reached_on", _("Choose the day."))
    operated = alerts.surgery_day(journey)
    if operated is None or operated > patient_today(journey, now):
        raise ValidationFailed.on("reached_on", _("These milestones start after your operation."))
    if reached_on > patient_today(journey, now):
        raise ValidationFailed.on("reached_on", _("The day cannot be in the future."))
    if reached_on < operated:
        raise ValidationFailed.on("reached_on", _("The day cannot be before your operation."))
    row = db.session.scalar(
        sa.select(MilestoneRecord).where(
            MilestoneRecord.journey_id == journey.id, MilestoneRecord.key == key
        )
    )
    before = row.reached_on if row else None
    if row is None:
        row = MilestoneRecord(journey_id=journey.id, key=key)
        db.session.add(row)
    row.reached_on = reached_on
    row.recorded_at = now
    row.entered_by = "staff" if staff else "patient"
    row.entered_by_id = staff.id if staff else None
    row.caregiver = None if staff else caregiver
    record(
        "portal.milestone",
        row,
        actor=staff or (f"{caregiver.name} (caregiver)" if caregiver else None),
        patient_id=journey.patient_id,
        now=now,
        details={"key": key, "reached_on": [before, reached_on], "entered_by": row.entered_by},
    )
    return row
