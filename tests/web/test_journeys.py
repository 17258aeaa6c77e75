"""The journey pages and forms, driven through the test client like a browser would."""

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import finish_two_factor
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.journeys.models import Appointment, Journey, Note, StageTransition, Task

PASSWORD = "correct horse battery"  # the password of every user made by tests/conftest.py
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def sign_in(client, user) -> None:
    token = csrf_from(client, "/sign-in")
    response = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    response = finish_two_factor(client, user, response)
    assert response.status_code == 302, response.get_data(as_text=True)


def csrf_from(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return CSRF.search(response.get_data(as_text=True)).group(1)


@pytest.fixture
def staff(client, coordinator):
    """The test client signed in as the coordinator."""
    sign_in(client, coordinator)
    return client


@pytest.fixture
def journey(make_journey):
    return make_journey()


def post(client, url: str, data: dict | None = None, *, page: str | None = None):
    """POST a form the way a browser does: with the CSRF token of the page it is on."""
    token = csrf_from(client, page or url)
    return client.post(url, data={**(data or {}), "csrf_token": token})


def text(response) -> str:
    return response.get_data(as_text=True)


def journey_url(journey, tail: str = "") -> str:
    return f"/journeys/{journey.id}{tail}"


def audit_actions(journey) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.patient_id == journey.patient_id)
            .order_by(AuditEvent.id)
        )
    )


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def task_by_key(journey, key: str) -> Task:
    return db.session.scalar(sa.select(Task).where(Task.journey_id == journey.id, Task.key == key))


def finish_stage(journey) -> None:
    for task in reload(journey).tasks:
        if task.stage == journey.stage and task.status == "open":
            task.status = "done"
    db.session.commit()


# --- access -------------------------------------------------------------------------------


def test_signed_out_user_is_sent_to_sign_in(client, journey):
    response = client.get(journey_url(journey))
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_admin_gets_403_on_journey_pages(client, make_user, journey, make_patient):
    sign_in(client, make_user("admin"))
    assert client.get(journey_url(journey)).status_code == 403
    assert client.get(f"/patients/{make_patient().id}/journeys/new").status_code == 403


def test_clinician_may_open_the_journey(client, surgeon, journey):
    sign_in(client, surgeon)
    assert client.get(journey_url(journey)).status_code == 200


def test_missing_journey_is_a_404_page(staff):
    response = staff.get("/journeys/999999")
    assert response.status_code == 404
    assert "<html" in text(response)
    assert staff.get("/patients/999999/journeys/new").status_code == 404


def test_task_and_appointment_must_belong_to_the_journey_in_the_url(staff, make_journey):
    mine, other = make_journey(), make_journey()
    foreign_task = other.tasks[0]
    foreign_appt = other.appointments[0]
    assert staff.get(journey_url(mine, f"/tasks/{foreign_task.id}/skip")).status_code == 404
    assert staff.get(journey_url(mine, "/tasks/999999/skip")).status_code == 404
    response = post(
        staff, journey_url(mine, f"/tasks/{foreign_task.id}/complete"), page=journey_url(mine)
    )
    assert response.status_code == 404
    assert reload(foreign_task).status == "open"
    edit = journey_url(mine, f"/appointments/{foreign_appt.id}/edit")
    assert staff.get(edit).status_code == 404
    assert staff.get(journey_url(mine, "/appointments/999999/cancel")).status_code == 404


def test_post_without_csrf_token_changes_nothing(staff, journey):
    response = staff.post(journey_url(journey, "/cancel"), data={"reason": "No token"})
    assert response.status_code == 400
    assert reload(journey).status == "active"
    task = journey.tasks[0]
    assert staff.post(journey_url(journey, f"/tasks/{task.id}/complete")).status_code == 400
    assert reload(task).status == "open"


# --- the journey page ---------------------------------------------------------------------


def test_journey_page_shows_header_timeline_checklist_and_appointments(clock, staff, journey):
    page = text(staff.get(journey_url(journey)))
    patient = journey.patient
    assert patient.full_name in page and patient.mrn in page
    assert "56 years" in page  # born 17 May 1970, today 23 Nov 2026 in the clinic
    assert "Transforaminal endoscopic lumbar discectomy" in page and "version 1" in page
    assert "Herniated disc" in page and "L4-L5 · Left" in page
    assert "Local with sedation" in page and "Dr Sita Surgeon" in page
    # surgery at 01:30 UTC is shown as 08:30 clinic time
    assert "Thu 10 Dec 2026, 08:30" in page
    for label in ("Consultation", "Preparation", "Procedure", "Discharge", "Follow-up"):
        assert label in page
    assert 'aria-current="step"' in page
    assert "History and physical examination recorded" in page
    assert "Pre-operative assessment" in page  # appointment, 7 days before surgery, 09:00
    assert "Thu 3 Dec 2026" in page and "09:00 · 45 min" in page
    assert "Started at Consultation" in page  # the history of transitions


def test_overdue_open_tasks_are_marked(clock, staff, make_journey):
    journey = make_journey(consultation_date=date(2026, 11, 1))
    page = text(staff.get(journey_url(journey)))
    assert "badge-overdue" in page and "Overdue" in page


def test_done_and_skipped_tasks_show_who_when_and_why(staff, journey, coordinator):
    first, second = journey.tasks[0], journey.tasks[1]
    post(staff, journey_url(journey, f"/tasks/{first.id}/complete"), page=journey_url(journey))
    post(staff, journey_url(journey, f"/tasks/{second.id}/skip"), {"reason": "Seen at referral"})
    page = text(staff.get(journey_url(journey)))
    assert f"Done by {coordinator.name}" in page
    assert f"Skipped by {coordinator.name}" in page and "Seen at referral" in page
    assert "Task done" in page and "Task skipped" in page  # the audit trail


# --- start a journey ----------------------------------------------------------------------


def start_data(templates, surgeon, **overrides) -> dict:
    data = {
        "template_id": str(templates["teld"].id),
        "condition": "herniated_disc",
        "levels": "l4-l5, L5/S1",
        "side": "right",
        "approach": "transforaminal",
        "anesthesia": "general",
        "surgeon_id": str(surgeon.id),
        "consultation_date": "2026-11-24",
        "surgery_date": "2026-12-15",
        "surgery_time": "07:45",
    }
    data.update(overrides)
    return data


def test_start_form_offers_latest_templates_and_active_clinicians(
    staff, templates, make_patient, make_user, surgeon
):
    make_user("clinician", name="Dr Gone Away", active=False)
    make_user("coordinator", name="Not A Surgeon")
    page = text(staff.get(f"/patients/{make_patient().id}/journeys/new"))
    assert "Transforaminal endoscopic lumbar discectomy (version 1)" in page
    assert "Interlaminar" in page
    assert "Dr Sita Surgeon" in page
    assert "Dr Gone Away" not in page and "Not A Surgeon" not in page
    assert '<label for="levels">' in page


def test_start_journey_creates_it_in_clinic_time(staff, templates, make_patient, surgeon):
    patient = make_patient()
    url = f"/patients/{patient.id}/journeys/new"
    response = post(staff, url, start_data(templates, surgeon))
    assert response.status_code == 303
    journey = db.session.scalar(sa.select(Journey).where(Journey.patient_id == patient.id))
    assert response.headers["Location"].endswith(f"/journeys/{journey.id}")
    assert journey.surgery_at == datetime(2026, 12, 15, 0, 45, tzinfo=UTC)  # 07:45 Jakarta
    assert journey.levels == "L4-L5, L5-S1" and journey.surgeon_id == surgeon.id
    assert journey.consultation_date == date(2026, 11, 24)
    page = text(staff.get(response.headers["Location"]))
    assert f"Journey started for {patient.full_name}." in page


def test_start_journey_without_surgery_time_books_later(staff, templates, make_patient, surgeon):
    patient = make_patient()
    data = start_data(templates, surgeon, surgery_date="", surgery_time="", surgeon_id="0")
    response = post(staff, f"/patients/{patient.id}/journeys/new", data)
    assert response.status_code == 303
    journey = db.session.scalar(sa.select(Journey).where(Journey.patient_id == patient.id))
    assert journey.surgery_at is None and journey.surgeon_id is None
    page = text(staff.get(journey_url(journey)))
    assert "Not booked" in page and "Book surgery" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"levels": "L9-X1"}, "levels", "Enter spinal levels such as L4-L5"),
        ({"levels": ""}, "levels", "Enter the spinal level(s)."),
        ({"surgery_time": ""}, "surgery_time", "Give both the surgery date and its start time"),
        (
            {"surgery_date": "2026-11-01"},
            "surgery_date",
            "Surgery cannot be before the consultation",
        ),
        ({"consultation_date": "someday"}, "consultation_date", "Not a valid date value"),
        ({"side": "up"}, "side", "Not a valid choice"),
    ],
)
def test_start_journey_errors_keep_input_and_save_nothing(
    staff, templates, make_patient, surgeon, overrides, field, message
):
    patient = make_patient()
    data = start_data(templates, surgeon, **overrides)
    response = post(staff, f"/patients/{patient.id}/journeys/new", data)
    assert response.status_code == 422
    page = text(response)
    error = re.search(rf'id="{field}-error">([^<]*)<', page)
    assert error and message in error.group(1)
    assert f'aria-describedby="{field}-error"' in page or f"{field}-hint {field}-error" in page
    if field != "levels":
        assert 'value="l4-l5, L5/S1"' in page  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Journey)) == 0


def test_start_second_active_journey_is_refused(staff, journey, templates, surgeon):
    url = f"/patients/{journey.patient_id}/journeys/new"
    assert "already has an active journey" in text(staff.get(url))
    response = post(staff, url, start_data(templates, surgeon))
    assert response.status_code == 422
    assert "already has an active journey" in text(response)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Journey))
    assert count == 1


# --- reschedule ---------------------------------------------------------------------------


def test_reschedule_preview_lists_what_moves_and_changes_nothing(staff, journey):
    url = journey_url(journey, "/reschedule")
    response = post(staff, url, {"surgery_date": "2026-12-17", "surgery_time": "10:00"})
    assert response.status_code == 200
    page = text(response)
    assert "Step 2 of 2" in page
    assert "Thu 10 Dec 2026, 08:30" in page and "Thu 17 Dec 2026, 10:00" in page
    # a task and an appointment that move with the surgery, old -> new
    assert "Pre-operative assessment done" in page and "Thu 3 Dec 2026" in page
    assert "Thu 10 Dec 2026" in page
    assert "Wound check (2 weeks)" in page and "Thu 31 Dec 2026, 09:00" in page
    assert 'name="confirmed" type="hidden" value="yes"' in page
    assert 'type="hidden" value="2026-12-17"' in page
    # nothing moved yet
    assert reload(journey).surgery_at == datetime(2026, 12, 10, 1, 30, tzinfo=UTC)
    assert "journey.reschedule" not in audit_actions(journey)


def test_reschedule_confirm_moves_surgery_tasks_and_appointments(staff, journey):
    url = journey_url(journey, "/reschedule")
    data = {
        "surgery_date": "2026-12-17",
        "surgery_time": "10:00",
        "reason": "Theatre closed",
        "confirmed": "yes",
    }
    response = post(staff, url, data)
    assert response.status_code == 303
    journey = reload(journey)
    assert journey.surgery_at == datetime(2026, 12, 17, 3, 0, tzinfo=UTC)
    assert task_by_key(journey, "preop_assessment").due_on == date(2026, 12, 10)
    surgery = next(a for a in journey.appointments if a.key == "surgery")
    assert surgery.starts_at == journey.surgery_at and surgery.sequence == 1
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "journey.reschedule")
    )
    assert event.details["reason"] == "Theatre closed"
    assert "Surgery moved" in text(staff.get(response.headers["Location"]))


def test_reschedule_confirm_is_validated_again(staff, journey):
    url = journey_url(journey, "/reschedule")
    data = {"surgery_date": "2026-11-01", "surgery_time": "10:00", "confirmed": "yes"}
    response = post(staff, url, data)
    assert response.status_code == 422
    assert "Surgery cannot be before the consultation" in text(response)
    assert "Step 1 of 2" in text(response)
    assert reload(journey).surgery_at == datetime(2026, 12, 10, 1, 30, tzinfo=UTC)


def test_reschedule_needs_date_and_time(staff, journey):
    response = post(staff, journey_url(journey, "/reschedule"), {"surgery_date": "2026-12-17"})
    assert response.status_code == 422
    assert re.search(r'id="surgery_time-error">Enter the new start time', text(response))


def test_reschedule_after_the_procedure_is_refused(staff, journey):
    journey = reload(journey)
    journey.stage = "discharge"
    db.session.commit()
    data = {"surgery_date": "2026-12-17", "surgery_time": "10:00"}
    response = post(staff, journey_url(journey, "/reschedule"), data)
    assert response.status_code == 422
    assert "already taken place" in text(response)


def test_booking_a_surgery_for_the_first_time(staff, make_journey):
    journey = make_journey(surgery_at=None)
    url = journey_url(journey, "/reschedule")
    preview = text(post(staff, url, {"surgery_date": "2026-12-20", "surgery_time": "08:00"}))
    assert "Book surgery" in preview and "not dated" in preview
    data = {"surgery_date": "2026-12-20", "surgery_time": "08:00", "confirmed": "yes"}
    assert post(staff, url, data).status_code == 303
    journey = reload(journey)
    assert journey.surgery_at == datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    assert any(a.key == "surgery" for a in journey.appointments)


# --- advance, move back, cancel -----------------------------------------------------------


def test_advance_with_unfinished_tasks_needs_a_reason(staff, journey):
    url = journey_url(journey, "/advance")
    page = text(staff.get(url))
    assert "required tasks of Consultation not done" in page
    assert "Candidacy for endoscopic discectomy decided" in page
    response = post(staff, url, {"override_reason": "  "})
    assert response.status_code == 422
    assert re.search(r'id="override_reason-error">4 required task', text(response))
    assert reload(journey).stage == "consultation"
    response = post(staff, url, {"override_reason": "Consent signed on paper"})
    assert response.status_code == 303
    journey = reload(journey)
    assert journey.stage == "preparation"
    step = journey.transitions[-1]
    assert step.override and step.reason == "Consent signed on paper"
    page = text(staff.get(journey_url(journey)))
    assert "Moved to preparation." in page and "Override" in page


def test_journey_page_links_to_override_page_only_when_tasks_are_open(staff, journey):
    page = text(staff.get(journey_url(journey)))
    assert f'href="/journeys/{journey.id}/advance">Advance to Preparation…' in page
    finish_stage(journey)
    page = text(staff.get(journey_url(journey)))
    assert f'action="/journeys/{journey.id}/advance"' in page
    response = post(staff, journey_url(journey, "/advance"), page=journey_url(journey))
    assert response.status_code == 303
    journey = reload(journey)
    assert journey.stage == "preparation" and not journey.transitions[-1].override


def test_advance_through_every_stage_to_completed(staff, journey):
    url = journey_url(journey, "/advance")
    for stage in ("preparation", "procedure", "discharge", "follow_up"):
        finish_stage(journey)
        assert post(staff, url).status_code == 303
        assert reload(journey).stage == stage
    finish_stage(journey)
    assert "Complete the journey" in text(staff.get(url))
    response = post(staff, url)
    assert response.status_code == 303
    journey = reload(journey)
    assert journey.status == "completed"
    page = text(staff.get(journey_url(journey)))
    assert "Journey completed." in page and "Completed" in page
    assert "Mark done" not in page  # a finished journey has no actions


def test_advance_to_procedure_day_needs_a_booked_surgery(staff, make_journey):
    journey = make_journey(surgery_at=None)
    finish_stage(journey)
    url = journey_url(journey, "/advance")
    assert post(staff, url).status_code == 303
    finish_stage(journey)
    response = post(staff, url)
    assert response.status_code == 422
    assert "Book the surgery date and time" in text(response)
    assert reload(journey).stage == "preparation"


def test_move_back_needs_a_reason(staff, journey):
    finish_stage(journey)
    post(staff, journey_url(journey, "/advance"))
    url = journey_url(journey, "/back")
    response = post(staff, url, {"reason": ""})
    assert response.status_code == 422
    assert re.search(r'id="reason-error">Give a reason.', text(response))
    assert reload(journey).stage == "preparation"
    response = post(staff, url, {"reason": "Imaging needs repeating"})
    assert response.status_code == 303
    journey = reload(journey)
    assert journey.stage == "consultation"
    assert journey.transitions[-1].reason == "Imaging needs repeating"


def test_move_back_at_the_first_stage_is_refused(staff, journey):
    response = post(staff, journey_url(journey, "/back"), {"reason": "Oops"})
    assert response.status_code == 422
    assert "first stage" in text(response)


def test_cancel_journey_needs_a_reason_and_cancels_future_appointments(clock, staff, journey):
    url = journey_url(journey, "/cancel")
    response = post(staff, url, {"reason": ""})
    assert response.status_code == 422
    assert reload(journey).status == "active"
    response = post(staff, url, {"reason": "Patient chose conservative care"})
    assert response.status_code == 303
    journey = reload(journey)
    assert journey.status == "cancelled"
    assert journey.cancel_reason == "Patient chose conservative care"
    assert {a.status for a in journey.appointments} == {"cancelled"}
    page = text(staff.get(journey_url(journey)))
    assert "Patient chose conservative care" in page and "Stopped here" in page
    # a closed journey refuses further changes
    response = post(staff, url, {"reason": "Again"})
    assert response.status_code == 422
    assert "cannot change any more" in text(response)


# --- tasks --------------------------------------------------------------------------------


def test_complete_task(staff, journey, coordinator):
    task = journey.tasks[0]
    url = journey_url(journey, f"/tasks/{task.id}/complete")
    response = post(staff, url, page=journey_url(journey))
    assert response.status_code == 303
    task = reload(task)
    assert task.status == "done" and task.done_by_id == coordinator.id
    response = post(staff, url, page=journey_url(journey))
    assert response.status_code == 422
    assert "already done" in text(response)


def test_skip_and_reopen_task_need_reasons(staff, journey):
    task = journey.tasks[0]
    skip = journey_url(journey, f"/tasks/{task.id}/skip")
    assert task.title in text(staff.get(skip))
    response = post(staff, skip, {"reason": ""})
    assert response.status_code == 422 and reload(task).status == "open"
    assert post(staff, skip, {"reason": "Done by the referring GP"}).status_code == 303
    task = reload(task)
    assert task.status == "skipped" and task.skip_reason == "Done by the referring GP"
    reopen = journey_url(journey, f"/tasks/{task.id}/reopen")
    response = post(staff, reopen, {"reason": ""})
    assert response.status_code == 422 and reload(task).status == "skipped"
    assert post(staff, reopen, {"reason": "GP letter not received"}).status_code == 303
    assert reload(task).status == "open"
    assert audit_actions(journey)[-2:] == ["task.skip", "task.reopen"]


# --- appointments -------------------------------------------------------------------------


def appointment_data(**overrides) -> dict:
    data = {
        "kind": "follow_up",
        "title": "Physiotherapy review",
        "date": "2026-12-28",
        "time": "14:15",
        "duration_minutes": "40",
        "location": "Physio room 2",
    }
    data.update(overrides)
    return data


def test_book_appointment_in_clinic_time(staff, journey):
    url = journey_url(journey, "/appointments/new")
    response = post(staff, url, appointment_data())
    assert response.status_code == 303
    appt = db.session.scalar(
        sa.select(Appointment).where(Appointment.title == "Physiotherapy review")
    )
    assert appt.starts_at == datetime(2026, 12, 28, 7, 15, tzinfo=UTC)
    assert appt.duration_minutes == 40 and appt.journey_id == journey.id
    page = text(staff.get(journey_url(journey)))
    assert "Physiotherapy review" in page and "14:15 · 40 min" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Give the appointment a title."),
        ({"duration_minutes": "0"}, "duration_minutes", "between 1 and 1440"),
        ({"time": "25:00"}, "time", "Not a valid time"),
        ({"kind": "party"}, "kind", "Not a valid choice"),
    ],
)
def test_book_appointment_errors_save_nothing(staff, journey, overrides, field, message):
    before = len(journey.appointments)
    response = post(staff, journey_url(journey, "/appointments/new"), appointment_data(**overrides))
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]*)<', text(response))
    assert error and message in error.group(1)
    assert 'value="Physio room 2"' in text(response)
    assert len(reload(journey).appointments) == before


def test_edit_appointment(staff, journey):
    appt = next(a for a in journey.appointments if a.key == "preop_visit")
    url = journey_url(journey, f"/appointments/{appt.id}/edit")
    page = text(staff.get(url))
    assert 'value="2026-12-03"' in page and 'value="09:00"' in page  # local time
    data = appointment_data(kind="pre_op", title="Pre-op with anaesthetist", status="scheduled")
    response = post(staff, url, data)
    assert response.status_code == 303
    appt = reload(appt)
    assert appt.title == "Pre-op with anaesthetist" and appt.sequence == 1
    assert appt.starts_at == datetime(2026, 12, 28, 7, 15, tzinfo=UTC)


def test_surgery_appointment_is_moved_only_by_reschedule(staff, journey):
    surgery = next(a for a in journey.appointments if a.key == "surgery")
    url = journey_url(journey, f"/appointments/{surgery.id}/edit")
    data = appointment_data(kind="surgery", title=surgery.title, status="scheduled")
    response = post(staff, url, data)
    assert response.status_code == 422
    assert re.search(r'id="date-error">Move the surgery with', text(response))
    assert reload(surgery).starts_at == journey.surgery_at
    response = post(
        staff, journey_url(journey, f"/appointments/{surgery.id}/cancel"), {"reason": "Moving"}
    )
    assert response.status_code == 422
    assert reload(surgery).status == "scheduled"


def test_cancel_appointment_needs_a_reason(staff, journey):
    appt = next(a for a in journey.appointments if a.key == "wound_check")
    url = journey_url(journey, f"/appointments/{appt.id}/cancel")
    response = post(staff, url, {"reason": ""})
    assert response.status_code == 422 and reload(appt).status == "scheduled"
    assert post(staff, url, {"reason": "Seen by GP instead"}).status_code == 303
    appt = reload(appt)
    assert appt.status == "cancelled" and appt.cancel_reason == "Seen by GP instead"
    assert "Seen by GP instead" in text(staff.get(journey_url(journey)))


@pytest.mark.parametrize("status", ["completed", "no_show"])
def test_mark_appointment_attended_or_not(staff, journey, status):
    appt = next(a for a in journey.appointments if a.key == "preop_visit")
    url = journey_url(journey, f"/appointments/{appt.id}/status")
    response = post(staff, url, {"status": status}, page=journey_url(journey))
    assert response.status_code == 303
    assert reload(appt).status == status
    response = post(staff, url, {"status": "cancelled"}, page=journey_url(journey))
    assert response.status_code == 422
    assert reload(appt).status == status


# --- notes --------------------------------------------------------------------------------


def test_add_note(staff, journey, coordinator):
    url = journey_url(journey, "/notes")
    response = post(
        staff, url, {"body": "Patient asks for an afternoon slot."}, page=journey_url(journey)
    )
    assert response.status_code == 303
    note = db.session.scalar(sa.select(Note))
    assert note.author_id == coordinator.id and note.journey_id == journey.id
    page = text(staff.get(journey_url(journey)))
    assert "Patient asks for an afternoon slot." in page and "Note added" in page


def test_empty_note_is_refused(staff, journey):
    response = post(
        staff, journey_url(journey, "/notes"), {"body": "   "}, page=journey_url(journey)
    )
    assert response.status_code == 422
    assert re.search(r'id="body-error">Write the note first.', text(response))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 0


def test_stage_transitions_are_listed_newest_first(staff, journey):
    finish_stage(journey)
    post(staff, journey_url(journey, "/advance"))
    post(staff, journey_url(journey, "/back"), {"reason": "Repeat MRI"})
    page = text(staff.get(journey_url(journey)))
    back = page.index("Preparation → Consultation")
    forward = page.index("Consultation → Preparation")
    assert back < forward and "Repeat MRI" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StageTransition)) == 3
