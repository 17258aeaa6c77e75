"""The journeys endpoints, one by one."""

from datetime import UTC, date, datetime

import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.journeys import services
from tracker.journeys.models import Appointment, Journey, Task

STAGES = ["consultation", "preparation", "procedure", "discharge", "follow_up"]


def _task(journey: Journey, key: str) -> Task:
    return next(t for t in journey.tasks if t.key == key)


def _appointment(journey: Journey, key: str) -> Appointment:
    return next(a for a in journey.appointments if a.key == key)


def test_start_journey_reads_a_naive_time_in_the_clinic_zone(
    client, auth, make_patient, templates, journey_body, surgeon
):
    patient = make_patient()
    response = client.post(
        f"/api/v1/patients/{patient.id}/journeys", json=journey_body(), headers=auth
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["surgery_at"] == "2026-12-10T01:30:00Z"  # 08:30 in Asia/Jakarta
    assert body["template"] == {
        "id": templates["teld"].id,
        "slug": "teld",
        "version": templates["teld"].version,
        "name": templates["teld"].name,
    }
    assert body["approach"] == "transforaminal"  # the pathway's, as none was given
    assert body["levels"] == "L4-L5"
    assert body["surgeon"] == {"id": surgeon.id, "name": surgeon.name}
    assert body["patient"]["id"] == patient.id
    assert (body["stage"], body["status"]) == ("consultation", "active")
    assert [s["key"] for s in body["stages"]] == STAGES
    assert [s["status"] for s in body["stages"]] == ["current"] + ["upcoming"] * 4
    consultation, preparation = body["stages"][0], body["stages"][1]
    assert consultation["planned_start"] == "2026-11-20"
    assert consultation["planned_end"] == "2026-11-27"  # consent within a week
    assert consultation["started_at"].endswith("Z") and consultation["ended_at"] is None
    assert preparation["planned_start"] == "2026-11-30"  # medicines 10 days before surgery
    assert preparation["started_at"] is None
    assert {s["key"]: len(s["tasks"]) for s in body["stages"]}["procedure"] == 4
    assert sorted(a["key"] for a in body["appointments"]) == [
        "outcome_3m",
        "preop_visit",
        "review_6w",
        "surgery",
        "wound_check",
    ]
    assert [t["to_stage"] for t in body["transitions"]] == ["consultation"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "journey.start")
        )
        == 1
    )


def test_start_by_template_id_with_an_offset_and_no_surgery_yet(
    client, auth, make_patient, templates, journey_body
):
    values = journey_body(
        template_id=templates["il"].id,
        condition="spinal_stenosis",
        approach="interlaminar",
        anesthesia="general",
        surgery_at=None,
        surgeon_id=None,
    )
    del values["template"]
    response = client.post(
        f"/api/v1/patients/{make_patient().id}/journeys", json=values, headers=auth
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["template"]["slug"] == "interlaminar-decompression"
    assert body["surgery_at"] is None and body["surgeon"] is None
    assert body["appointments"] == []
    assert body["stages"][2]["planned_start"] is None  # procedure day is not known yet


def test_surgery_time_with_an_offset_is_kept_as_that_instant(
    client, auth, make_patient, templates, journey_body
):
    response = client.post(
        f"/api/v1/patients/{make_patient().id}/journeys",
        json=journey_body(surgery_at="2026-12-10T09:15:00+08:00"),
        headers=auth,
    )
    assert response.get_json()["surgery_at"] == "2026-12-10T01:15:00Z"


def test_list_a_patients_journeys_newest_first(client, auth, make_journey, coordinator, now):
    old = make_journey()
    services.cancel(old, reason="Chose physiotherapy", actor=coordinator, now=now)
    db.session.commit()
    new = make_journey(patient=old.patient)
    response = client.get(f"/api/v1/patients/{old.patient_id}/journeys", headers=auth)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [j["id"] for j in items] == [new.id, old.id]
    assert [j["status"] for j in items] == ["active", "cancelled"]
    assert items[1]["cancel_reason"] == "Chose physiotherapy"
    assert "stages" not in items[0]


def test_get_journey(client, auth, make_journey):
    journey = make_journey()
    response = client.get(f"/api/v1/journeys/{journey.id}", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == journey.id
    task = body["stages"][0]["tasks"][0]
    assert set(task) >= {"id", "key", "title", "titles", "due_on", "status", "required"}
    assert task["titles"]["id"]  # Indonesian title too


def test_advance_needs_a_reason_past_open_required_tasks(client, auth, make_journey, row_counts):
    journey = make_journey()
    url = f"/api/v1/journeys/{journey.id}/advance"
    before = row_counts()
    refused = client.post(url, headers=auth)
    assert refused.status_code == 409
    assert "override_reason" in refused.get_json()["errors"]["json"]
    assert row_counts() == before

    response = client.post(url, json={"override_reason": "Consent signed on paper"}, headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["stage"] == "preparation"
    assert [s["status"] for s in body["stages"][:2]] == ["done", "current"]
    assert body["stages"][0]["ended_at"] == body["stages"][1]["started_at"]
    step = body["transitions"][-1]
    assert step["from_stage"] == "consultation" and step["to_stage"] == "preparation"
    assert step["override"] is True and step["reason"] == "Consent signed on paper"
    assert step["by"]["name"] == "Cora Ordinator"


def test_advance_without_a_body_once_tasks_are_done(client, auth, make_journey):
    journey = make_journey()
    for task in journey.tasks:
        if task.stage == "consultation":
            assert client.post(f"/api/v1/tasks/{task.id}/complete", headers=auth).status_code == 200
    response = client.post(f"/api/v1/journeys/{journey.id}/advance", headers=auth)
    assert response.status_code == 200
    assert response.get_json()["transitions"][-1]["override"] is False


def test_move_back(client, auth, make_journey, coordinator, now):
    journey = make_journey()
    services.advance(journey, actor=coordinator, now=now, override_reason="paper consent")
    db.session.commit()
    response = client.post(
        f"/api/v1/journeys/{journey.id}/back", json={"reason": "MRI to repeat"}, headers=auth
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["stage"] == "consultation"
    assert body["transitions"][-1]["reason"] == "MRI to repeat"
    assert body["stages"][1]["status"] == "upcoming" and body["stages"][1]["started_at"] is None
    again = client.post(
        f"/api/v1/journeys/{journey.id}/back", json={"reason": "again"}, headers=auth
    )
    assert again.status_code == 409


def test_cancel(client, auth, make_journey):
    journey = make_journey()
    response = client.post(
        f"/api/v1/journeys/{journey.id}/cancel", json={"reason": "Symptoms resolved"}, headers=auth
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "Symptoms resolved"
    assert body["ended_at"].endswith("Z")
    assert body["stages"][0]["status"] == "cancelled"
    later = client.post(f"/api/v1/journeys/{journey.id}/advance", json={}, headers=auth)
    assert later.status_code == 409
    assert "cancelled" in later.get_json()["message"]


def test_reschedule_returns_the_journey_and_what_moved(client, auth, make_journey):
    journey = make_journey()
    wound = _appointment(journey, "wound_check")
    response = client.post(
        f"/api/v1/journeys/{journey.id}/reschedule",
        json={"surgery_at": "2026-12-12T08:30", "reason": "Theatre unavailable"},
        headers=auth,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["journey"]["surgery_at"] == "2026-12-12T01:30:00Z"
    moved = {(m["item"], m["id"]): m for m in body["moved"]}
    assert moved[("appointment", wound.id)]["from"] == "2026-12-24T02:00:00Z"
    assert moved[("appointment", wound.id)]["to"] == "2026-12-26T02:00:00Z"
    medicines = _task(journey, "medicine_review")
    assert moved[("task", medicines.id)] == {
        "item": "task",
        "id": medicines.id,
        "title": medicines.title,
        "from": "2026-11-30",
        "to": "2026-12-02",
    }
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "journey.reschedule")
    )
    assert event.details["reason"] == "Theatre unavailable"


def test_complete_skip_and_reopen_a_task(client, auth, make_journey, coordinator):
    journey = make_journey()
    task = _task(journey, "baseline_scores")
    done = client.post(f"/api/v1/tasks/{task.id}/complete", json={}, headers=auth)
    assert done.status_code == 200
    assert done.get_json()["status"] == "done"
    assert done.get_json()["done_by_id"] == coordinator.id
    assert done.get_json()["done_at"].endswith("Z")
    assert client.post(f"/api/v1/tasks/{task.id}/complete", headers=auth).status_code == 409

    reopened = client.post(
        f"/api/v1/tasks/{task.id}/reopen", json={"reason": "Ticked by mistake"}, headers=auth
    )
    assert reopened.status_code == 200
    assert reopened.get_json()["status"] == "open" and reopened.get_json()["done_at"] is None

    skipped = client.post(
        f"/api/v1/tasks/{task.id}/skip", json={"reason": "Patient declined"}, headers=auth
    )
    assert skipped.status_code == 200
    assert skipped.get_json()["status"] == "skipped"
    assert skipped.get_json()["skip_reason"] == "Patient declined"
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "Task").order_by(AuditEvent.id)
    ).all()
    assert actions == ["task.complete", "task.reopen", "task.skip"]


def test_book_update_and_cancel_an_appointment(client, auth, make_journey):
    journey = make_journey()
    booked = client.post(
        f"/api/v1/journeys/{journey.id}/appointments",
        json={
            "kind": "other",
            "title": "Physiotherapy review",
            "starts_at": "2026-12-20T14:00",
            "duration_minutes": 45,
            "location": "Rehab gym",
        },
        headers=auth,
    )
    assert booked.status_code == 201
    appointment = booked.get_json()
    assert appointment["starts_at"] == "2026-12-20T07:00:00Z"
    assert appointment["ends_at"] == "2026-12-20T07:45:00Z"
    assert appointment["anchor"] is None and appointment["sequence"] == 0

    url = f"/api/v1/appointments/{appointment['id']}"
    changed = client.patch(url, json={"starts_at": "2026-12-21T07:00:00Z"}, headers=auth)
    assert changed.status_code == 200
    assert changed.get_json()["starts_at"] == "2026-12-21T07:00:00Z"
    assert changed.get_json()["sequence"] == 1
    assert changed.get_json()["title"] == "Physiotherapy review"

    cancelled = client.post(f"{url}/cancel", json={"reason": "Patient unwell"}, headers=auth)
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["cancel_reason"] == "Patient unwell"
    assert client.patch(url, json={"title": "x"}, headers=auth).status_code == 409


def test_the_surgery_appointment_moves_only_by_reschedule(client, auth, make_journey, row_counts):
    journey = make_journey()
    surgery = _appointment(journey, "surgery")
    before = row_counts()
    moved = client.patch(
        f"/api/v1/appointments/{surgery.id}", json={"starts_at": "2026-12-11T08:00"}, headers=auth
    )
    assert moved.status_code == 409
    assert "starts_at" in moved.get_json()["errors"]["json"]
    cancelled = client.post(
        f"/api/v1/appointments/{surgery.id}/cancel", json={"reason": "x"}, headers=auth
    )
    assert cancelled.status_code == 409
    assert row_counts() == before


def test_record_an_appointment_as_attended(client, auth, make_journey):
    journey = make_journey()
    visit = _appointment(journey, "preop_visit")
    response = client.patch(
        f"/api/v1/appointments/{visit.id}", json={"status": "completed"}, headers=auth
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "completed"


def test_add_a_note(client, auth, make_journey, coordinator):
    journey = make_journey()
    response = client.post(
        f"/api/v1/journeys/{journey.id}/notes",
        json={"body": "  Prefers calls after 17:00.  "},
        headers=auth,
    )
    assert response.status_code == 201
    note = response.get_json()
    assert note["body"] == "Prefers calls after 17:00."
    assert note["author"] == {"id": coordinator.id, "name": coordinator.name}
    detail = client.get(f"/api/v1/journeys/{journey.id}", headers=auth).get_json()
    assert [n["id"] for n in detail["notes"]] == [note["id"]]


def test_dates_and_times_in_responses(client, auth, make_journey):
    journey = make_journey(
        consultation_date=date(2026, 11, 20), surgery_at=datetime(2026, 12, 10, 1, 30, tzinfo=UTC)
    )
    body = client.get(f"/api/v1/journeys/{journey.id}", headers=auth).get_json()
    assert body["consultation_date"] == "2026-11-20"
    for value in (body["started_at"], body["surgery_at"], body["appointments"][0]["starts_at"]):
        assert datetime.fromisoformat(value).utcoffset().total_seconds() == 0
        assert value.endswith("Z")
