"""Starting a patient on a pathway: the details a coordinator enters and their checks, the
journey with its tasks and planned appointments, and the appointments planned once the
surgery date is known (also when it is booked later)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import force_locale

from tracker.audit.services import record
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import Conflict, FieldErrors
from tracker.i18n import gettext as _
from tracker.journeys import wording
from tracker.journeys.checks import LEVEL, check_bookable, check_surgery_time, normalize_levels
from tracker.journeys.models import (
    ANESTHESIA,
    APPROACHES,
    CONDITIONS,
    SIDES,
    Appointment,
    Journey,
    StageTransition,
    Task,
)
from tracker.journeys.queries import active_journey
from tracker.pathways.models import STAGES, PathwayTemplate
from tracker.patients.models import Patient
from tracker.reminders.planning import plan_journey
from tracker.timeutil import at_local, clinic_tz


@dataclass
class JourneyDetails:
    """What a coordinator enters to start a journey."""

    condition: str
    levels: str
    side: str
    approach: str
    anesthesia: str
    consultation_date: date
    surgery_at: datetime | None = None
    surgeon: StaffUser | None = None


def _check_details(
    details: JourneyDetails, template: PathwayTemplate, now: datetime | None = None
) -> None:
    errors = FieldErrors()
    if details.condition not in CONDITIONS:
        errors.add("condition", _("Choose one of: %(join)s.", join=", ".join(CONDITIONS)))
    if details.side not in SIDES:
        errors.add("side", _("Choose one of: %(join)s.", join=", ".join(SIDES)))
    if details.approach not in APPROACHES:
        errors.add("approach", _("Choose one of: %(join)s.", join=", ".join(APPROACHES)))
    if details.anesthesia not in ANESTHESIA:
        errors.add("anesthesia", _("Choose one of: %(join)s.", join=", ".join(ANESTHESIA)))
    levels = normalize_levels(details.levels)
    if not levels or not all(LEVEL.match(p) for p in levels.split(", ")):
        errors.add("levels", _("Enter spinal levels such as L4-L5 or L4-L5, L5-S1."))
    elif len(levels) > 60:
        errors.add("levels", _("Name at most a few levels (up to 60 characters)."))
    if details.surgeon is not None and (
        details.surgeon.role != "clinician" or not details.surgeon.active
    ):
        errors.add("surgeon", _("The surgeon must be an active clinician."))
    if details.surgery_at is not None:
        check_surgery_time(details.surgery_at, details.consultation_date, errors)
        if "surgery_at" not in errors.errors:
            check_bookable("surgery_at", details.surgery_at, now, errors)
    errors.raise_if_any()
    details.levels = levels


def start_journey(
    patient: Patient,
    template: PathwayTemplate,
    details: JourneyDetails,
    *,
    actor: StaffUser | None,
    now: datetime,
) -> Journey:
    """Start ``patient`` on ``template``: create its tasks and planned appointments."""
    _check_details(details, template, now)
    if active_journey(patient) is not None:
        raise Conflict(_("This patient already has an active journey; finish or cancel it first."))
    journey = Journey(
        patient=patient,
        template=template,
        condition=details.condition,
        levels=details.levels,
        side=details.side,
        approach=details.approach,
        anesthesia=details.anesthesia,
        surgeon=details.surgeon,
        consultation_date=details.consultation_date,
        surgery_at=details.surgery_at,
        stage=STAGES[0],
        status="active",
        started_at=now,
        started_by_id=getattr(actor, "id", None),
    )
    db.session.add(journey)
    tz = clinic_tz()
    for stage in template.definition["stages"]:
        for spec in stage.get("tasks", []):
            anchor_day = journey.anchor_date(spec["anchor"], tz)
            db.session.add(
                Task(
                    journey=journey,
                    stage=stage["key"],
                    key=spec["key"],
                    titles=spec["title"],
                    required=bool(spec.get("required", True)),
                    anchor=spec["anchor"],
                    offset_days=spec["offset_days"],
                    due_on=anchor_day + timedelta(days=spec["offset_days"]) if anchor_day else None,
                )
            )
    plan_appointments(journey, now=now)
    db.session.add(
        StageTransition(
            journey=journey,
            from_stage=None,
            to_stage=STAGES[0],
            at=now,
            by_id=getattr(actor, "id", None),
        )
    )
    db.session.flush()
    record(
        "journey.start",
        journey,
        actor=actor,
        patient_id=patient.id,
        now=now,
        details={
            "template": f"{template.slug} v{template.version}",
            "surgery_at": details.surgery_at,
        },
    )
    plan_journey(journey, now=now)
    return journey


def plan_appointments(journey: Journey, *, now: datetime) -> None:
    """Create the template's appointments whose anchor is known and not yet booked."""
    if journey.surgery_at is None:
        return
    tz = clinic_tz()
    booked = {a.key for a in journey.appointments if a.key}
    definition = journey.template.definition
    if "surgery" not in booked:
        db.session.add(
            Appointment(
                journey=journey,
                key="surgery",
                kind="surgery",
                title=_surgery_title(journey.template.name),
                starts_at=journey.surgery_at,
                duration_minutes=int(definition.get("procedure_minutes", 90)),
                location=_english(definition.get("surgery_location")) or "Operating theatre",
                anchor="surgery",
                created_at=now,
                updated_at=now,
            )
        )
    for stage in definition["stages"]:
        for spec in stage.get("appointments", []):
            if spec["key"] in booked:
                continue
            day = journey.anchor_date(spec["anchor"], tz)
            if day is None:
                continue
            clock = time.fromisoformat(spec["time"])
            db.session.add(
                Appointment(
                    journey=journey,
                    key=spec["key"],
                    kind=spec["kind"],
                    title=spec["title"]["en"],
                    starts_at=at_local(day + timedelta(days=spec["offset_days"]), clock, tz),
                    duration_minutes=spec["duration_minutes"],
                    location=_english(spec.get("location")) or "",
                    anchor=spec["anchor"],
                    created_at=now,
                    updated_at=now,
                )
            )


def _surgery_title(name: str) -> str:
    with force_locale("en"):  # stored in English; staff_title words it for each reader
        return wording.surgery_title(name)


def _english(value) -> str | None:
    """Staff pages keep the English of a place the template gives in both languages."""
    return value.get("en") if isinstance(value, dict) else value
