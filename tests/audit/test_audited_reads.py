"""Looking at patient data leaves one audit row per view (who, what, when, from where), in the
same trail as changes, and costs one INSERT and nothing more."""

import pytest
import sqlalchemy as sa

from tests.web.conftest import Browser
from tracker.audit.models import AuditEvent
from tracker.db import db

ADDRESS = "198.51.100.23"


@pytest.fixture
def staff(client, coordinator) -> Browser:
    client.environ_base["REMOTE_ADDR"] = ADDRESS
    browser = Browser(client)
    assert browser.sign_in(coordinator).status_code == 302
    return browser


def reads(**where) -> list[AuditEvent]:
    db.session.expire_all()
    query = sa.select(AuditEvent).where(AuditEvent.kind == "read").order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(query))


def test_opening_a_patient_leaves_one_read_row(staff, coordinator, make_patient, now):
    patient = make_patient()
    assert staff.get(f"/patients/{patient.id}").status_code == 200
    (event,) = reads()
    assert (event.action, event.actor_id, event.actor_label) == (
        "patient.view",
        coordinator.id,
        coordinator.name,
    )
    assert (event.patient_id, event.object_type, event.object_id) == (
        patient.id,
        "Patient",
        patient.id,
    )
    assert event.ip_address == ADDRESS
    assert event.at is not None


@pytest.mark.parametrize(
    ("url", "action"),
    [
        ("/journeys/{journey}", "journey.view"),
        ("/journeys/{journey}/discharge", "discharge.view"),
    ],
)
def test_journey_pages_and_sheets_are_reads_of_the_patient(staff, make_journey, url, action):
    journey = make_journey()
    response = staff.get(url.format(journey=journey.id))
    assert response.status_code == 200, response.status_code
    (event,) = reads(action=action)
    assert event.patient_id == journey.patient_id


def test_a_search_list_is_one_row_naming_the_patients_it_showed(staff, make_patient):
    shown = [make_patient(family_name="Santoso") for _ in range(3)]
    make_patient(family_name="Wibowo")
    assert staff.get("/patients?q=santoso").status_code == 200
    (event,) = reads(action="patient.search")
    assert event.patient_id is None
    assert event.details["q"] == "santoso"
    assert sorted(event.details["shown"]) == sorted(p.id for p in shown)
    assert event.details["total"] == 3


def test_the_recent_changes_leave_out_reads_and_who_opened_shows_them(
    staff, coordinator, make_patient
):
    patient = make_patient()
    staff.get(f"/patients/{patient.id}")
    page = staff.get(f"/patients/{patient.id}").get_data(as_text=True)
    changes = page.split('id="history-h"')[1].split("</section>")[0]
    assert "view" not in changes.lower()
    opened = page.split('id="opened-by-heading"')[1].split("</section>")[0]
    assert "Who opened this record" in page
    assert coordinator.name in opened and "Patient page" in opened and ADDRESS in opened


def test_a_refused_or_missing_read_leaves_nothing(staff, client, make_user):
    assert staff.get("/patients/424242").status_code == 404
    assert reads() == []


@pytest.mark.parametrize(
    ("path", "action", "of_patient"),
    [
        ("/api/v1/patients/{patient}", "patient.view", True),
        ("/api/v1/patients?q=Family", "patient.search", False),
        ("/api/v1/patients/{patient}/journeys", "journey.list", True),
        ("/api/v1/journeys/{journey}", "journey.view", True),
        ("/api/v1/journeys/{journey}/reminders", "reminder.list", True),
        ("/api/v1/fhir/Patient/{patient}", "fhir.read", True),
        ("/api/v1/fhir/EpisodeOfCare/{journey}", "fhir.read", True),
        ("/api/v1/fhir/Patient/{patient}/$everything", "fhir.everything", True),
    ],
)
def test_every_api_read_is_audited(
    client, api_headers, coordinator, make_journey, path, action, of_patient
):
    journey = make_journey()
    url = path.format(patient=journey.patient_id, journey=journey.id)
    response = client.get(url, headers=api_headers(), environ_base={"REMOTE_ADDR": ADDRESS})
    assert response.status_code == 200
    (event,) = reads()
    assert (event.action, event.actor_id, event.ip_address) == (action, coordinator.id, ADDRESS)
    assert event.details["via"] == "api"
    assert event.patient_id == (journey.patient_id if of_patient else None)


def test_a_read_costs_one_insert_and_nothing_is_loaded_again(
    client, api_headers, make_journey, count_queries
):
    journey = make_journey()
    headers = api_headers()
    client.get(f"/api/v1/journeys/{journey.id}", headers=headers)  # the token's first use
    db.session.remove()
    with count_queries() as statements:
        response = client.get(f"/api/v1/journeys/{journey.id}", headers=headers)
    assert response.status_code == 200
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "audit_events" in inserts[0]
    assert statements[-1] == inserts[0]  # after it, nothing was loaded again


def test_changes_note_where_they_came_from_too(client, api_headers, make_journey):
    journey = make_journey()
    response = client.post(
        f"/api/v1/journeys/{journey.id}/notes",
        json={"body": "Called the patient"},
        headers=api_headers(),
        environ_base={"REMOTE_ADDR": ADDRESS},
    )
    assert response.status_code == 201
    db.session.expire_all()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "note.add"))
    assert (event.kind, event.ip_address) == ("change", ADDRESS)
