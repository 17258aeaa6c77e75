from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.journeys import services
from tracker.journeys.models import Journey, StageTransition
from tracker.journeys.services import JourneyDetails
from tracker.pathways.models import STAGES

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def finish_stage(journey, actor):
    for task in services.unfinished_required(journey):
        services.complete_task(task, actor=actor, now=NOW)


def test_start_creates_tasks_and_planned_appointments(make_journey, templates):
    journey = make_journey()
    definition = templates["teld"].definition
    expected_tasks = sum(len(s.get("tasks", [])) for s in definition["stages"])
    assert len(journey.tasks) == expected_tasks
    assert journey.template.version == 1
    # Surgery 10 Dec 08:30 Jakarta: the wound check 14 days later at 09:00 local (02:00 UTC).
    by_key = {a.key: a for a in journey.appointments}
    assert by_key["surgery"].starts_at == datetime(2026, 12, 10, 1, 30, tzinfo=UTC)
    assert by_key["wound_check"].starts_at == datetime(2026, 12, 24, 2, 0, tzinfo=UTC)
    assert by_key["preop_visit"].starts_at == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    tasks = {t.key: t for t in journey.tasks}
    assert tasks["consent_signed"].due_on == date(2026, 11, 27)  # consultation + 7
    assert tasks["medicine_review"].due_on == date(2026, 11, 30)  # surgery - 10
    assert journey.transitions[0].from_stage is None
    assert journey.transitions[0].to_stage == "consultation"


def test_start_without_surgery_date_plans_later(make_journey):
    journey = make_journey(surgery_at=None)
    assert journey.appointments == []
    assert {t.due_on for t in journey.tasks if t.anchor == "surgery"} == {None}
    services.reschedule_surgery(
        journey, datetime(2027, 1, 5, 2, 0, tzinfo=UTC), actor=None, now=NOW
    )
    db.session.commit()
    assert {a.key for a in journey.appointments} >= {"surgery", "wound_check", "review_6w"}
    assert None not in {t.due_on for t in journey.tasks}


def test_one_active_journey_per_patient(make_journey, make_patient):
    patient = make_patient()
    make_journey(patient)
    with pytest.raises(Conflict):
        make_journey(patient)


def test_database_refuses_second_active_journey(make_journey, make_patient):
    patient = make_patient()
    first = make_journey(patient)
    second = Journey(
        patient=patient, template=first.template, condition="other", levels="L5-S1",
        side="left", approach="transforaminal", anesthesia="general",
        consultation_date=date(2026, 11, 1), stage="consultation", status="active",
    )  # fmt: skip
    db.session.add(second)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_cancelled_journey_frees_the_patient(make_journey, make_patient, coordinator):
    patient = make_patient()
    journey = make_journey(patient)
    services.cancel(journey, reason="Chose conservative care", actor=coordinator, now=NOW)
    db.session.commit()
    assert journey.status == "cancelled"
    assert {a.status for a in journey.appointments} == {"cancelled"}
    assert make_journey(patient).status == "active"


@pytest.mark.parametrize(
    "field, value",
    [
        ("surgery_at", datetime(2026, 11, 1, 2, 0, tzinfo=UTC)),
        ("levels", "L9-L10"),
        ("condition", "broken"),
        ("side", "up"),
    ],
)
def test_start_rejects_bad_details(make_journey, field, value):
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Journey))
    with pytest.raises(ValidationFailed) as info:
        make_journey(**{field: value})
    assert field in info.value.errors
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Journey)) == count


def test_surgeon_must_be_a_clinician(make_journey, coordinator):
    with pytest.raises(ValidationFailed) as info:
        make_journey(surgeon=coordinator)
    assert "surgeon" in info.value.errors


def test_levels_are_normalised(make_journey):
    assert make_journey(levels="l4/l5 ; L5-s1").levels == "L4-L5, L5-S1"


def test_advance_needs_override_for_unfinished_required_tasks(make_journey, coordinator):
    journey = make_journey()
    with pytest.raises(Conflict) as info:
        services.advance(journey, actor=coordinator, now=NOW)
    assert "override_reason" in info.value.errors
    assert journey.stage == "consultation"
    services.advance(journey, actor=coordinator, now=NOW, override_reason="Consent by phone")
    db.session.commit()
    step = journey.transitions[-1]
    assert (step.from_stage, step.to_stage, step.override) == ("consultation", "preparation", True)
    assert step.reason == "Consent by phone"


def test_advance_without_override_when_tasks_done(make_journey, coordinator):
    journey = make_journey()
    finish_stage(journey, coordinator)
    services.advance(journey, actor=coordinator, now=NOW)
    assert journey.stage == "preparation"
    assert journey.transitions[-1].override is False


def test_optional_tasks_do_not_block(make_journey, coordinator):
    journey = make_journey()
    finish_stage(journey, coordinator)
    optional = [t for t in journey.tasks if t.stage == "consultation" and not t.required]
    assert optional and all(t.status == "open" for t in optional)
    services.advance(journey, actor=coordinator, now=NOW)


def test_full_journey_to_completion(make_journey, coordinator):
    journey = make_journey()
    for _ in STAGES:
        finish_stage(journey, coordinator)
        services.advance(journey, actor=coordinator, now=NOW)
    db.session.commit()
    assert journey.status == "completed"
    assert journey.ended_at == NOW
    assert journey.discharged_at == NOW
    assert [t.to_stage for t in journey.transitions] == [*STAGES, "completed"]
    with pytest.raises(Conflict):
        services.advance(journey, actor=coordinator, now=NOW)


def test_procedure_needs_a_booked_surgery(make_journey, coordinator):
    journey = make_journey(surgery_at=None)
    finish_stage(journey, coordinator)
    services.advance(journey, actor=coordinator, now=NOW)
    finish_stage(journey, coordinator)
    with pytest.raises(Conflict) as info:
        services.advance(journey, actor=coordinator, now=NOW)
    assert "surgery_at" in info.value.errors


def test_move_back_needs_a_reason(make_journey, coordinator):
    journey = make_journey()
    services.advance(journey, actor=coordinator, now=NOW, override_reason="x")
    with pytest.raises(ValidationFailed):
        services.move_back(journey, reason=" ", actor=coordinator, now=NOW)
    services.move_back(journey, reason="Imaging to repeat", actor=coordinator, now=NOW)
    assert journey.stage == "consultation"
    assert journey.transitions[-1].reason == "Imaging to repeat"
    with pytest.raises(Conflict):
        services.move_back(journey, reason="again", actor=coordinator, now=NOW)


def test_complete_only_after_follow_up(make_journey, coordinator):
    journey = make_journey()
    with pytest.raises(Conflict):
        services.complete(journey, actor=coordinator, now=NOW)


def test_reschedule_moves_open_items_only(make_journey, coordinator):
    journey = make_journey()
    tasks = {t.key: t for t in journey.tasks}
    services.complete_task(tasks["medicine_review"], actor=coordinator, now=NOW)
    wound = next(a for a in journey.appointments if a.key == "wound_check")
    old_wound, old_seq = wound.starts_at, wound.sequence
    old_review_due = tasks["preop_assessment"].due_on
    done_due = tasks["medicine_review"].due_on
    consult_due = tasks["consent_signed"].due_on
    new_at = journey.surgery_at + timedelta(days=3, hours=2)
    moves = services.reschedule_surgery(journey, new_at, actor=coordinator, now=NOW)
    db.session.commit()
    assert journey.surgery_at == new_at
    # Three days later, same 09:00 local clock time: only the surgery itself takes the new hour.
    assert wound.starts_at == old_wound + timedelta(days=3)
    assert wound.sequence == old_seq + 1
    assert tasks["preop_assessment"].due_on == old_review_due + timedelta(days=3)
    assert tasks["medicine_review"].due_on == done_due  # done: stays
    assert tasks["consent_signed"].due_on == consult_due  # anchored on consultation: stays
    moved = {m.item for m in moves}
    assert tasks["medicine_review"] not in moved and wound in moved
    surgery = next(a for a in journey.appointments if a.key == "surgery")
    assert surgery.starts_at == new_at
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "journey.reschedule")
    )
    assert event.patient_id == journey.patient_id and event.details["moved"] == len(moves)


def test_reschedule_leaves_cancelled_appointments(make_journey, coordinator):
    journey = make_journey()
    review = next(a for a in journey.appointments if a.key == "review_6w")
    services.cancel_appointment(review, reason="Seen elsewhere", actor=coordinator, now=NOW)
    before = review.starts_at
    services.reschedule_surgery(
        journey, journey.surgery_at + timedelta(days=7), actor=coordinator, now=NOW
    )
    assert review.starts_at == before


def test_plan_reschedule_changes_nothing(make_journey):
    journey = make_journey()
    before = [(a.id, a.starts_at) for a in journey.appointments]
    moves = services.plan_reschedule(journey, journey.surgery_at + timedelta(days=1))
    assert moves
    db.session.commit()
    db.session.expire_all()
    assert [(a.id, a.starts_at) for a in journey.appointments] == before


def test_reschedule_refuses_before_consultation_and_after_surgery(make_journey, coordinator):
    journey = make_journey()
    with pytest.raises(ValidationFailed):
        services.reschedule_surgery(
            journey, datetime(2026, 11, 1, tzinfo=UTC), actor=coordinator, now=NOW
        )
    for _ in range(3):
        services.advance(journey, actor=coordinator, now=NOW, override_reason="test")
    assert journey.stage == "discharge"
    with pytest.raises(Conflict):
        services.plan_reschedule(journey, journey.surgery_at + timedelta(days=1))


def test_task_skip_and_reopen(make_journey, coordinator):
    journey = make_journey()
    task = journey.tasks[0]
    with pytest.raises(ValidationFailed):
        services.skip_task(task, reason="", actor=coordinator, now=NOW)
    services.skip_task(task, reason="Not applicable", actor=coordinator, now=NOW)
    assert task.status == "skipped" and task.skip_reason == "Not applicable"
    with pytest.raises(Conflict):
        services.skip_task(task, reason="again", actor=coordinator, now=NOW)
    services.reopen_task(task, reason="Skipped by mistake", actor=coordinator, now=NOW)
    assert task.status == "open" and task.skip_reason is None


def test_appointments(make_journey, coordinator):
    journey = make_journey()
    appt = services.create_appointment(
        journey,
        {"kind": "other", "title": "Physiotherapy", "starts_at": NOW + timedelta(days=2),
         "duration_minutes": 45, "location": "Room 3"},
        actor=coordinator, now=NOW,
    )  # fmt: skip
    assert appt.anchor is None and appt.sequence == 0
    services.update_appointment(
        appt, {"starts_at": NOW + timedelta(days=3)}, actor=coordinator, now=NOW
    )
    assert appt.sequence == 1
    with pytest.raises(ValidationFailed) as info:
        services.update_appointment(appt, {"duration_minutes": 0}, actor=coordinator, now=NOW)
    assert "duration_minutes" in info.value.errors
    surgery = next(a for a in journey.appointments if a.key == "surgery")
    with pytest.raises(Conflict):
        services.update_appointment(
            surgery, {"starts_at": NOW + timedelta(days=30)}, actor=coordinator, now=NOW
        )
    services.cancel_appointment(appt, reason="Patient unwell", actor=coordinator, now=NOW)
    assert appt.status == "cancelled" and appt.cancel_reason == "Patient unwell"
    # Manually booked appointments do not move with the surgery.
    before = appt.starts_at
    services.reschedule_surgery(
        journey, journey.surgery_at + timedelta(days=2), actor=coordinator, now=NOW
    )
    assert appt.starts_at == before


def test_every_change_is_audited(make_journey, coordinator):
    journey = make_journey()
    services.add_note(journey, "Prefers morning calls", actor=coordinator, now=NOW)
    services.advance(journey, actor=coordinator, now=NOW, override_reason="ok")
    db.session.commit()
    actions = set(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.patient_id == journey.patient_id)
        )
    )
    assert {"journey.start", "note.add", "journey.advance"} <= actions
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "note.add"))
    with pytest.raises(RuntimeError):
        db.session.delete(event)
        db.session.flush()
    db.session.rollback()


def test_transitions_are_kept(make_journey, coordinator):
    journey = make_journey()
    services.advance(journey, actor=coordinator, now=NOW, override_reason="a")
    services.move_back(journey, reason="b", actor=coordinator, now=NOW)
    db.session.commit()
    count = db.session.scalar(
        sa.select(sa.func.count()).where(StageTransition.journey_id == journey.id)
    )
    assert count == 3


def test_details_dataclass_defaults():
    details = JourneyDetails(
        condition="other", levels="L4-L5", side="left", approach="interlaminar",
        anesthesia="general", consultation_date=date(2026, 1, 1),
    )  # fmt: skip
    assert details.surgery_at is None and details.surgeon is None
