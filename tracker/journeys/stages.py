"""Moving a journey between its stages: advance (past unfinished required tasks only with a
reason), move back, complete after follow-up, cancel (with its future appointments)."""

from datetime import datetime

from tracker.audit.services import record
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.appointments import mark_cancelled
from tracker.journeys.checks import require_active
from tracker.journeys.models import Journey, StageTransition, Task
from tracker.pathways.models import STAGES
from tracker.reminders import notices
from tracker.reminders.planning import plan_journey


def unfinished_required(journey: Journey, stage: str | None = None) -> list[Task]:
    stage = stage or journey.stage
    return [t for t in journey.tasks if t.stage == stage and t.required and t.status == "open"]


def _transition(journey, to_stage, *, actor, now, reason=None, override=False) -> StageTransition:
    step = StageTransition(
        journey=journey,
        from_stage=journey.stage,
        to_stage=to_stage,
        at=now,
        by_id=getattr(actor, "id", None),
        reason=reason,
        override=override,
    )
    db.session.add(step)
    return step


def _override_needed(journey: Journey, override_reason: str | None) -> bool:
    """Whether this move skips unfinished required tasks; refuse it without a reason."""
    open_tasks = unfinished_required(journey)
    if not open_tasks:
        return False
    if not (override_reason or "").strip():
        names = "; ".join(t.title for t in open_tasks)
        raise Conflict.on(
            "override_reason",
            _(
                "%(count)s required task(s) of this stage are not done (%(names)s). "
                "Finish them, or give a reason to go on anyway.",
                count=len(open_tasks),
                names=names,
            ),
        )
    return True


def advance(
    journey: Journey, *, actor, now: datetime, override_reason: str | None = None
) -> Journey:
    """Move to the next stage; after follow-up the journey is completed."""
    require_active(journey)
    if journey.stage == STAGES[-1]:
        return complete(journey, actor=actor, now=now, override_reason=override_reason)
    target = STAGES[journey.stage_index + 1]
    if target == "procedure" and journey.surgery_at is None:
        raise Conflict.on("surgery_at", _("Book the surgery date and time before procedure day."))
    override = _override_needed(journey, override_reason)
    reason = override_reason.strip() if override else None
    _transition(journey, target, actor=actor, now=now, reason=reason, override=override)
    old = journey.stage
    journey.stage = target
    if target == "follow_up" and journey.discharged_at is None:
        journey.discharged_at = now
    record(
        "journey.advance",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"stage": [old, target], "override_reason": reason},
    )
    return journey


def move_back(journey: Journey, *, reason: str, actor, now: datetime) -> Journey:
    require_active(journey)
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why the journey moves back."))
    if journey.stage_index == 0:
        raise Conflict(_("The journey is at its first stage."))
    target = STAGES[journey.stage_index - 1]
    _transition(journey, target, actor=actor, now=now, reason=reason.strip())
    old = journey.stage
    journey.stage = target
    record(
        "journey.back",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"stage": [old, target], "reason": reason.strip()},
    )
    return journey


def complete(
    journey: Journey, *, actor, now: datetime, override_reason: str | None = None
) -> Journey:
    require_active(journey)
    if journey.stage != STAGES[-1]:
        raise Conflict(_("A journey is completed only after follow-up."))
    override = _override_needed(journey, override_reason)
    reason = override_reason.strip() if override else None
    _transition(journey, "completed", actor=actor, now=now, reason=reason, override=override)
    journey.status = "completed"
    journey.ended_at = now
    record(
        "journey.complete",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"override_reason": reason},
    )
    return journey


def cancel(journey: Journey, *, reason: str, actor, now: datetime) -> Journey:
    require_active(journey)
    if not (reason or "").strip():
        raise ValidationFailed.on("reason", _("Say why the journey is cancelled."))
    reason = reason.strip()
    surgery_ahead = journey.surgery_at is not None and journey.surgery_at > now
    _transition(journey, "cancelled", actor=actor, now=now, reason=reason)
    journey.status = "cancelled"
    journey.ended_at = now
    journey.cancel_reason = reason
    for appointment in journey.appointments:
        if appointment.status == "scheduled" and appointment.starts_at > now:
            mark_cancelled(appointment, f"Journey cancelled: {reason}", now)
    record(
        "journey.cancel",
        journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"reason": reason},
    )
    plan_journey(journey, now=now)
    if surgery_ahead:
        notices.surgery_cancelled(journey, now=now)
    return journey
