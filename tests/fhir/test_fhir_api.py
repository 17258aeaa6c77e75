"""The FHIR endpoints: tokens and roles, content type, OperationOutcome errors, audit rows."""

import pytest
import sqlalchemy as sa

from tests.fhir.conftest import FHIR_JSON, validate, validate_bundle
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.discharge.models import DischargeSheet
from tracker.fhir.registry import RESOURCE_TYPES


def _audit(action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_everything_is_a_sound_bundle_and_one_audit_row(
    operated, fhir_get, count_queries, check_in
):
    journey = operated()
    fhir_get(f"Patient/{journey.patient_id}")  # the token's first use writes last_used_at
    db.session.expire_all()  # as in a new request: nothing cached from the one before
    with count_queries() as statements:
        response, bundle = fhir_get(f"Patient/{journey.patient_id}/$everything")
    assert response.status_code == 200
    assert response.mimetype == FHIR_JSON
    validate_bundle(bundle)
    assert bundle["entry"][0]["search"]["mode"] == "match"
    assert bundle["total"] == len(bundle["entry"])
    # A fixed number of queries, however many check-ins (or tasks, sheets) the patient has.
    for day in range(20, 30):
        check_in(journey, day, 1, 1)
    db.session.expire_all()
    with count_queries() as more:
        fhir_get(f"Patient/{journey.patient_id}/$everything")
    assert len(more) == len(statements) <= 30
    [row, _] = _audit("fhir.everything")
    assert (row.kind, row.patient_id) == ("read", journey.patient_id)
    assert row.details == {"via": "api", "resources": bundle["total"]}


def test_every_resource_of_the_bundle_reads_back_alone(operated, fhir_get):
    journey = operated()
    _, bundle = fhir_get(f"Patient/{journey.patient_id}/$everything")
    for entry in bundle["entry"]:
        body = entry["resource"]
        response, alone = fhir_get(f"{body['resourceType']}/{body['id']}")
        assert response.status_code == 200, body["id"]
        assert alone == body
        validate(alone)
    reads = _audit("fhir.read")
    assert len(reads) == len(bundle["entry"])
    assert {(r.kind, r.details["via"]) for r in reads} == {("read", "api")}
    assert {r.patient_id for r in reads} == {journey.patient_id, None}  # None: Practitioners


@pytest.mark.parametrize(
    "path", ["Patient/999", "Observation/5-arm", "Spaceship/1", "Communication/message-1"]
)
def test_unknown_resources_are_404_operation_outcomes(app, fhir_get, path):
    response, body = fhir_get(path)
    assert response.status_code == 404
    assert response.mimetype == FHIR_JSON
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "not-found"
    validate(body)


def test_a_token_is_needed_and_admins_see_no_records(client, make_user, api_headers, operated):
    journey = operated()
    url = f"/api/v1/fhir/Patient/{journey.patient_id}"
    response = client.get(url)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json(force=True)["issue"][0]["code"] == "login"
    bad = client.get(url, headers={"Authorization": "Bearer trk_nope"})
    assert bad.status_code == 401
    admin = client.get(url, headers=api_headers(make_user("admin")))
    assert admin.status_code == 403
    assert admin.get_json(force=True)["issue"][0]["code"] == "forbidden"
    everything = f"/api/v1/fhir/Patient/{journey.patient_id}/$everything"
    assert client.get(everything, headers=api_headers(make_user("admin"))).status_code == 403
    assert _audit("fhir.read") == []


def test_capability_statement_is_public_and_lists_every_type(client):
    response = client.get("/api/v1/fhir/metadata")
    assert response.status_code == 200
    assert response.mimetype == FHIR_JSON
    body = response.get_json(force=True)
    validate(body)
    listed = [r["type"] for r in body["rest"][0]["resource"]]
    assert listed == [*RESOURCE_TYPES, "Binary"]
    assert body["rest"][0]["operation"][0]["name"] == "export"


def test_a_discharge_sheet_pdf_is_a_binary(operated, client, api_headers):
    journey = operated()
    sheet = db.session.scalars(
        sa.select(DischargeSheet).where(DischargeSheet.journey_id == journey.id)
    ).first()
    headers = api_headers()
    pdf = client.get(f"/api/v1/fhir/Binary/{sheet.id}", headers=headers)
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    as_json = client.get(
        f"/api/v1/fhir/Binary/{sheet.id}", headers={**headers, "Accept": FHIR_JSON}
    )
    body = as_json.get_json(force=True)
    validate(body)
    assert body["contentType"] == "application/pdf"
    assert client.get("/api/v1/fhir/Binary/999", headers=headers).status_code == 404
    assert len(_audit("fhir.read")) == 2
