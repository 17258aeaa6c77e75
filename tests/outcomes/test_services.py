"""Recording questionnaires typed in by staff, corrections, returns to theatre; and the patient
answering in the portal: saved item by item, resumable, submitted once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tests.outcomes.conftest import ODI_28, ODI_60
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.errors import Conflict, NotFound, ValidationFailed
from tracker.journeys import services as journeys
from tracker.outcomes import answering
from tracker.outcomes.models import QuestionnaireAnswer, QuestionnaireResponse
from tracker.outcomes.patient import journey_outcomes
from tracker.outcomes.services import (
    Submission,
    mark_entered_in_error,
    record_submissions,
    record_theatre_return,
    void_theatre_return,
)
from tracker.outcomes.status import journey_status


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_paper_questionnaire_is_all_or_nothing(operated, coordinator):
    journey = operated(50)
    at = journey.surgery_at + timedelta(days=40)
    good = Submission("odi", ODI_28, at, "6w")
    bad = Submission("leg_pain", [11], at, "6w")
    with pytest.raises(ValidationFailed) as error:
        record_submissions(journey, [good, bad], source="paper", actor=coordinator, now=NOW)
    assert list(error.value.errors) == ["leg_pain[0]"]
    assert "choose 0-10" in error.value.errors["leg_pain[0]"][0]
    db.session.rollback()
    assert count(QuestionnaireResponse) == count(QuestionnaireAnswer) == 0

    responses, created = record_submissions(
        journey,
        [good, Submission("leg_pain", [2], at, "6w")],
        source="paper",
        actor=coordinator,
        now=NOW,
    )
    db.session.commit()
    assert created and [r.score for r in responses] == [28.0, 2.0]
    odi = responses[0]
    assert (odi.entered_by, odi.entered_by_id, odi.source) == ("staff", coordinator.id, "paper")
    assert [a.value for a in odi.answers] == ODI_28
    assert [a.position for a in odi.answers] == list(range(1, 11))


def test_a_cancelled_journey_takes_no_questionnaires(make_journey, coordinator, instruments):
    journey = make_journey()
    journeys.cancel(journey, reason="Moved abroad", actor=coordinator, now=NOW)
    with pytest.raises(Conflict, match="cancelled"):
        record_submissions(
            journey, [Submission("odi", ODI_60, NOW)], source="paper", actor=coordinator, now=NOW
        )


def test_entered_in_error_takes_it_out_of_the_outcome_but_keeps_it(operated, answer, coordinator):
    journey = operated(60)
    answer(journey, "odi", ODI_60, at=journey.surgery_at - timedelta(days=2))
    wrong = answer(journey, "odi", ODI_28, at=journey.surgery_at + timedelta(days=43))
    assert journey_outcomes(journey)["odi"].points[0].score == 28.0
    with pytest.raises(ValidationFailed):
        mark_entered_in_error(wrong, "  ", actor=coordinator, now=NOW)
    mark_entered_in_error(wrong, "Another patient's form", actor=coordinator, now=NOW)
    db.session.commit()
    assert journey_outcomes(journey)["odi"].points == []
    assert db.session.get(QuestionnaireResponse, wrong.id).status == "entered_in_error"
    with pytest.raises(Conflict):
        mark_entered_in_error(wrong, "again", actor=coordinator, now=NOW)
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "questionnaire.entered_in_error")
    )
    assert event.details["reason"] == "Another patient's form"


def test_the_latest_answer_of_a_timepoint_counts(operated, answer):
    journey = operated(60)
    answer(journey, "odi", ODI_60, at=journey.surgery_at - timedelta(days=9))
    answer(journey, "odi", [2] * 10, at=journey.surgery_at - timedelta(days=2))
    assert journey_outcomes(journey)["odi"].baseline.score == 40.0


def test_returns_to_theatre(operated, surgeon):
    journey = operated(60)
    day = (journey.surgery_at + timedelta(days=30, hours=7)).date()
    with pytest.raises(ValidationFailed) as error:
        record_theatre_return(journey, day - timedelta(days=40), " ", actor=surgeon, now=NOW)
    assert set(error.value.errors) == {"occurred_on", "reason"}
    with pytest.raises(ValidationFailed) as error:
        record_theatre_return(journey, day + timedelta(days=60), "x", actor=surgeon, now=NOW)
    assert "future" in error.value.errors["occurred_on"][0]
    row = record_theatre_return(journey, day, "Recurrent herniation", actor=surgeon, now=NOW)
    void_theatre_return(row, "Wrong patient", actor=surgeon, now=NOW)
    assert row.voided_by_id == surgeon.id
    with pytest.raises(Conflict):
        void_theatre_return(row, "again", actor=surgeon, now=NOW)


# ---- the portal ------------------------------------------------------------------------------


def test_answers_are_saved_as_given_and_resumed(operated):
    journey = operated(40)  # six weeks is open (days 35-49)
    now = NOW
    status = answering.timepoint_status(journey, "6w", now=now)
    steps = answering.steps(status, now=now)
    assert len(steps) == 13  # ODI 10, back, leg, change
    assert [s.key for s in steps[9:]] == [
        ("odi", "travelling"),
        ("back_pain", "back_pain"),
        ("leg_pain", "leg_pain"),
        ("global_change", "global_change"),
    ]
    answering.save_answer(journey, "6w", 1, 3, now=now)
    answering.save_answer(journey, "6w", 2, None, now=now)  # skipped
    db.session.commit()
    given = answering.given(journey, "6w")
    assert given == {("odi", "pain_intensity"): 3, ("odi", "personal_care"): None}
    # The phone slept; opening it again continues at the third question.
    assert answering.next_step(steps, given).number == 3
    # Changing an answer keeps one row.
    answering.save_answer(journey, "6w", 1, 2, now=now)
    answering.save_answer(journey, "6w", 1, 2, now=now)  # a double tap
    db.session.commit()
    assert answering.given(journey, "6w")[("odi", "pain_intensity")] == 2
    assert count(QuestionnaireAnswer) == 2
    with pytest.raises(ValidationFailed):
        answering.save_answer(journey, "6w", 3, 6, now=now)
    with pytest.raises(NotFound):
        answering.save_answer(journey, "6w", 14, 1, now=now)
    assert journey_status(journey, now=now)[2].started


def test_submitting_scores_once_and_ticks_the_task(operated):
    journey = operated(40)
    now = NOW
    values = [*[2, 1, 2, 1, 2, 1, 2, None, 1, 1], 3, 2, 2]  # the ODI with one item skipped
    for number, value in enumerate(values, start=1):
        answering.save_answer(journey, "6w", number, value, now=now)
    done = answering.submit(journey, "6w", now=now)
    db.session.commit()
    by_key = {r.instrument_key: r for r in done}
    assert by_key["odi"].score == round(13 / 45 * 100, 1) == 28.9
    assert by_key["odi"].missing == 1 and by_key["odi"].band == "moderate"
    assert by_key["global_change"].band == "much_improved"
    assert all(r.entered_by == "patient" and r.source == "portal" for r in done)
    task = next(t for t in journey.tasks if t.key == "outcome_6w")
    assert task.status == "done" and task.done_by_id is None
    # A second submit (a double tap, a back button) changes nothing.
    assert answering.submit(journey, "6w", now=now) == []
    assert count(QuestionnaireResponse) == 4
    with pytest.raises(Conflict, match="already sent"):
        answering.save_answer(journey, "6w", 1, 5, now=now)


def test_only_open_windows_can_be_answered(operated):
    journey = operated(20)  # six weeks has not opened
    with pytest.raises(Conflict, match="not open"):
        answering.save_answer(journey, "6w", 1, 3, now=NOW)
    with pytest.raises(NotFound):
        answering.timepoint_status(journey, "2w", now=NOW)  # pain only: nothing to answer
