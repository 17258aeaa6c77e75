"""Record questionnaires (API, paper or phone), correct them, and record returns to theatre.

Services flush and never commit. A questionnaire's answers are checked against its instrument
version's options; a bad value is refused naming the item, and nothing of the request is kept.
When every questionnaire of a timepoint is answered, the timepoint's pathway task is ticked,
which also stops its "not done yet" reminders.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from tracker.audit.services import record
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.errors import Conflict, FieldErrors, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.outcomes import catalogue, schedule
from tracker.outcomes.definitions import options, text
from tracker.outcomes.models import (
    TIMEPOINTS,
    Instrument,
    QuestionnaireAnswer,
    QuestionnaireResponse,
    TheatreReturn,
)
from tracker.outcomes.scoring import check_answer, score
from tracker.portal.alerts import patient_tz, surgery_day

#: how far in the future a completion time may be (clocks of other systems drift)
CLOCK_SKEW = timedelta(minutes=5)
REASON_MAX = 2000


@dataclass
class Submission:
    """One instrument's answers as a paper form, a phone call or the API gives them."""

    instrument: str
    #: one value per item, in the instrument's order; None for an unanswered item
    answers: list
    completed_at: datetime
    timepoint: str | None = None


def require_open(journey: Journey) -> None:
    if journey.status == "cancelled":
        raise Conflict(_("This journey was cancelled; it takes no more questionnaires."))


def _answer_errors(instrument: Instrument, answers, errors: FieldErrors, prefix: str) -> None:
    items = instrument.definition["items"]
    if not isinstance(answers, list) or len(answers) != len(items):
        errors.add(
            prefix or "answers",
            _(
                "The %(definition)s has %(count)s item(s): send a list of %(count2)s value(s), "
                "null for an item left unanswered.",
                definition=instrument.definition["short_name"]["en"],
                count=len(items),
                count2=len(items),
            ),
        )
        return
    for index, (item, value) in enumerate(zip(items, answers, strict=True)):
        if not check_answer(item, value):
            allowed = [v for v, _ in options(item)]
            errors.add(
                f"{prefix or 'answers'}[{index}]",
                f"Item {index + 1} ({text(item['text'], 'en')}): {value!r} is not an answer; "
                f"choose {allowed[0]}-{allowed[-1]}, or null to leave it unanswered.",
            )


def _timepoint(
    journey: Journey, wanted: str | None, completed_at: datetime, errors: FieldErrors
) -> str | None:
    """The timepoint given (checked against the schedule and the operation), or inferred."""
    plan = schedule.timepoints(journey.template.definition)
    tz = patient_tz(journey)
    if wanted is None:
        return schedule.infer(
            plan,
            completed_at,
            journey.surgery_at,
            surgery_day(journey),
            completed_at.astimezone(tz).date(),
        )
    if wanted not in TIMEPOINTS or wanted not in {tp.key for tp in plan}:
        keys = ", ".join(tp.key for tp in plan) or "none"
        errors.add("timepoint", f"{wanted!r} is not a timepoint of this pathway ({keys}), or null.")
    elif wanted == "baseline" and journey.surgery_at and completed_at >= journey.surgery_at:
        errors.add("timepoint", _("A baseline questionnaire is answered before the operation."))
    elif wanted != "baseline" and (journey.surgery_at is None or completed_at < journey.surgery_at):
        errors.add(
            "timepoint",
            _("The %(wanted)s questionnaire is answered after the operation.", wanted=wanted),
        )
    return wanted


def _check_time(completed_at, now: datetime, errors: FieldErrors, name="completed_at") -> None:
    if not isinstance(completed_at, datetime) or completed_at.tzinfo is None:
        errors.add(name, _("Give when it was answered, with its time zone."))
    elif completed_at > now + CLOCK_SKEW:
        errors.add(name, _("The questionnaire cannot be answered in the future."))


def _existing(idempotency_key: str | None, journey: Journey) -> QuestionnaireResponse | None:
    if not idempotency_key:
        return None
    found = db.session.scalar(
        sa.select(QuestionnaireResponse).where(
            QuestionnaireResponse.idempotency_key == idempotency_key
        )
    )
    if found is not None and found.journey_id != journey.id:
        raise Conflict(_("This Idempotency-Key was used for another journey's questionnaire."))
    return found


def record_submissions(
    journey: Journey,
    submissions: list[Submission],
    *,
    source: str,
    actor: StaffUser,
    now: datetime,
    idempotency_key: str | None = None,
) -> tuple[list[QuestionnaireResponse], bool]:
    """Store completed questionnaires typed in by staff or sent through the API.

    All or nothing: every submission is checked first and a single bad value refuses the whole
    request. Returns the responses and whether they are new (a repeated ``idempotency_key``
    returns what the first request stored).
    """
    existing = _existing(idempotency_key, journey)
    if existing is not None:
        return [existing], False
    require_open(journey)
    errors = FieldErrors()
    checked = []
    several = len(submissions) > 1
    for sub in submissions:
        mine = FieldErrors()
        instrument = catalogue.current(sub.instrument, now=now)
        if instrument is None:
            mine.add("instrument", f"No questionnaire {sub.instrument!r}.")
        else:
            _answer_errors(instrument, sub.answers, mine, sub.instrument if several else "")
        _check_time(sub.completed_at, now, mine)
        if not mine.errors:
            checked.append(
                (sub, instrument, _timepoint(journey, sub.timepoint, sub.completed_at, mine))
            )
        for field, messages in mine.errors.items():
            for message in messages:
                if message not in errors.errors.get(field, []):
                    errors.add(field, message)
    errors.raise_if_any("The questionnaire was not saved: some answers are not valid.")
    responses = []
    for sub, instrument, timepoint in checked:
        items = instrument.definition["items"]
        values = {item["key"]: v for item, v in zip(items, sub.answers, strict=True)}
        response = _store(journey, instrument, timepoint, values, sub.completed_at, now=now)
        response.entered_by, response.entered_by_id, response.source = "staff", actor.id, source
        response.idempotency_key = idempotency_key if not several else None
        responses.append(response)
        audit_completion(response, actor=actor, now=now)
    for timepoint in {r.timepoint for r in responses if r.timepoint}:
        tick_if_complete(journey, timepoint, actor=actor, now=now)
    return responses, True


def _store(
    journey: Journey,
    instrument: Instrument,
    timepoint: str | None,
    values: dict,
    completed_at: datetime,
    *,
    now: datetime,
) -> QuestionnaireResponse:
    result = score(instrument.definition, values)
    response = QuestionnaireResponse(
        journey_id=journey.id,
        patient_id=journey.patient_id,
        instrument=instrument,
        instrument_key=instrument.key,
        timepoint=timepoint,
        status="completed",
        score=result.score,
        band=result.band,
        missing=result.missing,
        started_at=now,
        completed_at=completed_at,
        updated_at=now,
    )
    db.session.add(response)
    for position, item in enumerate(instrument.definition["items"], start=1):
        db.session.add(
            QuestionnaireAnswer(
                response=response,
                item_key=item["key"],
                position=position,
                value=values.get(item["key"]),
                answered_at=completed_at,
            )
        )
    db.session.flush()
    return response


def audit_completion(response: QuestionnaireResponse, *, actor, now: datetime) -> None:
    record(
        "questionnaire.complete",
        response,
        actor=actor or "patient (portal)",
        patient_id=response.patient_id,
        now=now,
        details={
            "instrument": f"{response.instrument.key} v{response.instrument.version}",
            "timepoint": response.timepoint,
            "score": response.score,
            "band": response.band,
            "missing": response.missing,
            "source": response.source,
        },
    )


def tick_if_complete(journey: Journey, timepoint: str, *, actor, now: datetime) -> bool:
    """Tick the timepoint's task once all its questionnaires are completed."""
    plan = {tp.key: tp for tp in schedule.timepoints(journey.template.definition)}
    tp = plan.get(timepoint)
    if tp is None or not tp.task or not tp.instruments:
        return False
    done = set(
        db.session.scalars(
            sa.select(QuestionnaireResponse.instrument_key).where(
                QuestionnaireResponse.journey_id == journey.id,
                QuestionnaireResponse.timepoint == timepoint,
                QuestionnaireResponse.status == "completed",
            )
        )
    )
    task = next((t for t in journey.tasks if t.key == tp.task), None)
    if task is None or not task.is_open or not set(tp.instruments) <= done:
        return False
    # Not journeys.complete_task: the patient is no staff user, and the 12-month questionnaire
    # usually arrives after the journey was completed; the task records the fact all the same.
    task.status, task.done_at, task.skip_reason = "done", now, None
    task.done_by_id = getattr(actor, "id", None)
    record(
        "task.complete",
        task,
        actor=actor or "patient (portal)",
        patient_id=journey.patient_id,
        now=now,
        details={"task": task.key, "status": ["open", "done"], "by": f"{timepoint} questionnaire"},
    )
    return True


def mark_entered_in_error(
    response: QuestionnaireResponse, reason: str, *, actor: StaffUser, now: datetime
) -> QuestionnaireResponse:
    """Take a wrongly entered questionnaire out of the outcomes; it stays in the record."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", _("Say why this questionnaire was entered in error."))
    if len(reason) > REASON_MAX:
        raise ValidationFailed.on(
            "reason", _("Keep the reason under %(REASON_MAX)s characters.", REASON_MAX=REASON_MAX)
        )
    if response.status == "entered_in_error":
        raise Conflict(_("This questionnaire is already marked as entered in error."))
    old = response.status
    response.status = "entered_in_error"
    response.error_reason, response.error_at, response.error_by_id = reason, now, actor.id
    response.completed_at = response.completed_at or now
    response.updated_at = now
    record(
        "questionnaire.entered_in_error",
        response,
        actor=actor,
        patient_id=response.patient_id,
        now=now,
        details={"status": [old, "entered_in_error"], "reason": reason},
    )
    return response


def record_theatre_return(
    journey: Journey, occurred_on, reason: str, *, actor: StaffUser, now: datetime
) -> TheatreReturn:
    errors = FieldErrors()
    reason = (reason or "").strip()
    operated = surgery_day(journey)
    if not isinstance(occurred_on, date):
        errors.add("occurred_on", _("Give the day of the return to theatre."))
    elif operated is None or occurred_on < operated:
        errors.add("occurred_on", _("A return to theatre comes after the operation."))
    elif occurred_on > now.astimezone(patient_tz(journey)).date():
        errors.add("occurred_on", _("The day cannot be in the future."))
    if not reason:
        errors.add("reason", _("Say why the patient went back to theatre."))
    elif len(reason) > REASON_MAX:
        errors.add(
            "reason", _("Keep the reason under %(REASON_MAX)s characters.", REASON_MAX=REASON_MAX)
        )
    errors.raise_if_any()
    require_open(journey)
    row = TheatreReturn(
        journey_id=journey.id,
        patient_id=journey.patient_id,
        occurred_on=occurred_on,
        reason=reason,
        recorded_at=now,
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    record(
        "theatre_return.record",
        row,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={"occurred_on": occurred_on, "reason": reason},
    )
    return row


def void_theatre_return(
    row: TheatreReturn, reason: str, *, actor: StaffUser, now: datetime
) -> TheatreReturn:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", _("Say why this return to theatre is withdrawn."))
    if row.voided_at is not None:
        raise Conflict(_("This return to theatre was already withdrawn."))
    row.voided_at, row.voided_by_id, row.void_reason = now, actor.id, reason[:REASON_MAX]
    record(
        "theatre_return.void",
        row,
        actor=actor,
        patient_id=row.patient_id,
        now=now,
        details={"reason": row.void_reason},
    )
    return row


def theatre_returns(journey: Journey) -> list[TheatreReturn]:
    return list(
        db.session.scalars(
            sa.select(TheatreReturn)
            .where(TheatreReturn.journey_id == journey.id)
            .order_by(TheatreReturn.occurred_on, TheatreReturn.id)
        )
    )
