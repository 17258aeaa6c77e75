"""A patient answering a timepoint's questionnaires in the portal, one item per screen.

Every answer is saved the moment it is given (an open response per instrument, one row per
item), so nothing is lost when the phone sleeps and the patient resumes where they stopped.
Submitting scores and completes the open responses once: a second submit changes nothing.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tracker.audit.services import record
from tracker.db import db
from tracker.errors import Conflict, NotFound, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.outcomes import catalogue
from tracker.outcomes.models import Instrument, QuestionnaireAnswer, QuestionnaireResponse
from tracker.outcomes.scoring import check_answer, score
from tracker.outcomes.services import audit_completion, require_open, tick_if_complete
from tracker.outcomes.status import TimepointStatus, journey_status


@dataclass(frozen=True)
class Step:
    """One screen: one item of one instrument; ``number`` counts from 1 over the timepoint."""

    number: int
    instrument: Instrument
    item: dict
    position: int

    @property
    def key(self) -> tuple[str, str]:
        return self.instrument.key, self.item["key"]

    @property
    def first_of_instrument(self) -> bool:
        return self.position == 1


def timepoint_status(journey: Journey, key: str, *, now: datetime) -> TimepointStatus:
    """The journey's timepoint ``key``; NotFound when the schedule has none with questions."""
    for status in journey_status(journey, now=now):
        if status.key == key and status.instruments:
            return status
    raise NotFound(_("No such questionnaire."))


def steps(status: TimepointStatus, *, now: datetime) -> list[Step]:
    out = []
    for key in status.instruments:
        instrument = catalogue.current(key, now=now)
        for position, item in enumerate(instrument.definition["items"], start=1):
            out.append(Step(len(out) + 1, instrument, item, position))
    return out


def _open_responses(journey: Journey, timepoint: str) -> dict[str, QuestionnaireResponse]:
    rows = db.session.scalars(
        sa.select(QuestionnaireResponse).where(
            QuestionnaireResponse.journey_id == journey.id,
            QuestionnaireResponse.timepoint == timepoint,
            QuestionnaireResponse.status == "in_progress",
        )
    )
    return {row.instrument_key: row for row in rows}


def given(journey: Journey, timepoint: str) -> dict[tuple[str, str], int | None]:
    """What the patient has answered so far: (instrument, item) -> value (None: skipped)."""
    rows = db.session.execute(
        sa.select(
            QuestionnaireResponse.instrument_key,
            QuestionnaireAnswer.item_key,
            QuestionnaireAnswer.value,
        )
        .join(QuestionnaireAnswer.response)
        .where(
            QuestionnaireResponse.journey_id == journey.id,
            QuestionnaireResponse.timepoint == timepoint,
            QuestionnaireResponse.status == "in_progress",
        )
    )
    return {(instrument, item): value for instrument, item, value in rows}


def next_step(all_steps: list[Step], answers: dict) -> Step | None:
    """The first step not answered (nor skipped) yet, or None when every one has been."""
    return next((step for step in all_steps if step.key not in answers), None)


def _require_answerable(status: TimepointStatus) -> None:
    if status.state == "done":
        raise Conflict(_("You have already sent these answers. Thank you."))
    if not status.answerable:
        raise Conflict(_("This questionnaire is not open at the moment."))


def _open_response(journey: Journey, status: TimepointStatus, instrument: Instrument, now):
    response = _open_responses(journey, status.key).get(instrument.key)
    if response is not None:
        return response
    response = QuestionnaireResponse(
        journey_id=journey.id,
        patient_id=journey.patient_id,
        instrument=instrument,
        instrument_key=instrument.key,
        timepoint=status.key,
        status="in_progress",
        entered_by="patient",
        source="portal",
        started_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except sa.exc.IntegrityError:
        # The same patient's other tab opened it at the same moment: use that one.
        response = _open_responses(journey, status.key).get(instrument.key)
        if response is None:
            raise
    return response


def save_answer(
    journey: Journey, timepoint: str, number: int, value: int | None, *, now: datetime
) -> QuestionnaireAnswer:
    """Save (or change) the answer to step ``number``; None records that it was skipped."""
    require_open(journey)
    status = timepoint_status(journey, timepoint, now=now)
    _require_answerable(status)
    all_steps = steps(status, now=now)
    if not 1 <= number <= len(all_steps):
        raise NotFound(_("No such question."))
    step = all_steps[number - 1]
    if not check_answer(step.item, value):
        raise ValidationFailed.on("answer", _("Choose one of the answers."))
    response = _open_response(journey, status, step.instrument, now)
    answer = db.session.scalar(
        sa.select(QuestionnaireAnswer).where(
            QuestionnaireAnswer.response_id == response.id,
            QuestionnaireAnswer.item_key == step.item["key"],
        )
    )
    if answer is None:
        answer = QuestionnaireAnswer(
            response_id=response.id, item_key=step.item["key"], position=step.position
        )
        try:
            with db.session.begin_nested():
                answer.value, answer.answered_at = value, now
                db.session.add(answer)
        except sa.exc.IntegrityError:
            # A double tap sent it twice at once: the other request saved the row.
            answer = db.session.scalar(
                sa.select(QuestionnaireAnswer).where(
                    QuestionnaireAnswer.response_id == response.id,
                    QuestionnaireAnswer.item_key == step.item["key"],
                )
            )
    answer.value, answer.answered_at = value, now
    response.updated_at = now
    return answer


def submit(journey: Journey, timepoint: str, *, now: datetime) -> list[QuestionnaireResponse]:
    """Score and complete the timepoint's open responses. Submitting again changes nothing."""
    require_open(journey)
    status = timepoint_status(journey, timepoint, now=now)
    if status.state == "done":
        return []
    _require_answerable(status)
    opened = _open_responses(journey, timepoint)
    answers = given(journey, timepoint)
    completed = []
    for key in status.instruments:
        if key in status.completed:
            continue  # answered already (e.g. on paper at the clinic)
        instrument = catalogue.current(key, now=now)
        response = opened.get(key) or _open_response(journey, status, instrument, now)
        values = {
            item["key"]: answers.get((key, item["key"]))
            for item in response.instrument.definition["items"]
        }
        result = score(response.instrument.definition, values)
        response.status, response.completed_at, response.updated_at = "completed", now, now
        response.score, response.band, response.missing = result.score, result.band, result.missing
        completed.append(response)
    db.session.flush()
    for response in completed:
        audit_completion(response, actor=None, now=now)
    if completed:
        tick_if_complete(journey, timepoint, actor=None, now=now)
        record(
            "questionnaire.submit",
            journey,
            actor="patient (portal)",
            patient_id=journey.patient_id,
            now=now,
            details={"timepoint": timepoint, "instruments": [r.instrument_key for r in completed]},
        )
    return completed
