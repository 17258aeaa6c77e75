"""The patients endpoints: create, search and page, read, correct; bad input writes nothing."""

import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.patients.models import Patient

URL = "/api/v1/patients"


def test_create_patient(client, auth, patient_body, coordinator):
    response = client.post(URL, json=patient_body(mrn="rm-0042"), headers=auth)
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] > 0
    assert body["mrn"] == "RM-0042"
    assert body["full_name"] == "Siti Rahayu"
    assert body["birth_date"] == "1968-04-02"
    assert body["phone"] == "+6281234567890"
    assert body["created_at"].endswith("Z")
    patient = db.session.get(Patient, body["id"])
    assert patient.timezone == "Asia/Jakarta" and patient.consent_sms is True
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "patient.create"))
    assert event.patient_id == patient.id and event.actor_id == coordinator.id


def test_create_with_only_required_fields(client, auth, patient_body):
    body = {
        k: v
        for k, v in patient_body().items()
        if k in ("mrn", "given_name", "family_name", "birth_date", "sex", "timezone")
    }
    response = client.post(URL, json=body, headers=auth)
    assert response.status_code == 201
    assert response.get_json()["language"] == "en"
    assert response.get_json()["phone"] is None


def test_get_patient(client, auth, make_patient):
    patient = make_patient(given_name="Budi", family_name="Santoso")
    response = client.get(f"{URL}/{patient.id}", headers=auth)
    assert response.status_code == 200
    assert response.get_json()["full_name"] == "Budi Santoso"
    assert response.get_json()["mrn"] == patient.mrn


def test_update_patient_changes_only_what_is_sent(client, auth, make_patient):
    patient = make_patient(phone="+6281111111111")
    response = client.patch(
        f"{URL}/{patient.id}", json={"family_name": "Wijaya", "language": "id"}, headers=auth
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["family_name"] == "Wijaya" and body["language"] == "id"
    assert body["phone"] == "+6281111111111"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "patient.update"))
    assert event.details["family_name"][1] == "Wijaya"


def test_update_with_bad_values_changes_nothing(client, auth, make_patient, row_counts):
    patient = make_patient(family_name="Kept")
    before = row_counts()
    response = client.patch(
        f"{URL}/{patient.id}",
        json={"family_name": "Changed", "birth_date": "2999-01-01", "timezone": "Mars/Olympus"},
        headers=auth,
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert set(errors) == {"birth_date", "timezone"}
    assert row_counts() == before
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).family_name == "Kept"


def test_update_cannot_take_another_patients_mrn(client, auth, make_patient):
    first, second = make_patient(mrn="A-1"), make_patient(mrn="B-2")
    response = client.patch(f"{URL}/{second.id}", json={"mrn": "a-1"}, headers=auth)
    assert response.status_code == 409
    assert response.get_json()["errors"]["json"]["mrn"] == [
        "A patient with MRN A-1 already exists."
    ]
    assert first.id != second.id


def test_update_rejects_null_for_a_required_field(client, auth, make_patient):
    patient = make_patient()
    response = client.patch(f"{URL}/{patient.id}", json={"given_name": None}, headers=auth)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"] == {"given_name": ["Field may not be null."]}


@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", f"{URL}/999999"), ("PATCH", f"{URL}/999999")],
)
def test_unknown_patient_is_a_json_404(client, auth, method, url):
    body = {"given_name": "Siti"} if method == "PATCH" else None  # an empty change is a 422
    response = client.open(url, method=method, json=body, headers=auth)
    assert response.status_code == 404
    assert response.get_json() == {
        "code": 404,
        "status": "Not Found",
        "message": "No patient with id 999999.",
    }


def test_list_pages_in_name_order(client, auth, make_patient):
    for family in ("Cahya", "Adi", "Bakti", "Dewi", "Eka"):
        make_patient(family_name=family)
    response = client.get(f"{URL}?per_page=2&page=2", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert [p["family_name"] for p in body["items"]] == ["Cahya", "Dewi"]
    assert {k: body[k] for k in ("page", "per_page", "total", "pages")} == {
        "page": 2,
        "per_page": 2,
        "total": 5,
        "pages": 3,
    }


def test_list_defaults_and_a_page_past_the_end(client, auth, make_patient):
    make_patient()
    body = client.get(URL, headers=auth).get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 20, 1, 1)
    past = client.get(f"{URL}?page=5", headers=auth).get_json()
    assert past["items"] == [] and past["total"] == 1


def test_search_by_name_or_mrn_fragment(client, auth, make_patient):
    make_patient(given_name="Siti", family_name="Rahayu", mrn="RM-1001")
    make_patient(given_name="Budi", family_name="Santoso", mrn="RM-2002")
    make_patient(given_name="Sitti", family_name="Nurhaliza", mrn="XY-3003")

    def found(q):
        body = client.get(URL, query_string={"q": q}, headers=auth).get_json()
        return sorted(p["mrn"] for p in body["items"])

    assert found("siti") == ["RM-1001"]
    assert found("SANTO") == ["RM-2002"]
    assert found("rm-") == ["RM-1001", "RM-2002"]
    assert found("rahayu siti") == ["RM-1001"]
    assert found("nobody") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"search": "siti"}, "search"),
    ],
)
def test_list_rejects_bad_query_parameters(client, auth, query, field):
    response = client.get(URL, query_string=query, headers=auth)
    assert response.status_code == 422
    body = response.get_json()
    assert list(body["errors"]["query"]) == [field]
    assert field in body["message"]
