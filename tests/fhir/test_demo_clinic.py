"""The issue's checks on the demo clinic: $everything, pain Observations, bulk files, CSV."""

import csv
import io

import sqlalchemy as sa

from tests.fhir.conftest import FHIR_JSON, ndjson, validate, validate_bundle
from tracker.clock import utcnow
from tracker.db import db
from tracker.fhir.registry import RESOURCE_TYPES
from tracker.journeys.models import Journey
from tracker.patients.models import Patient
from tracker.portal.models import CheckIn
from tracker.reminders.dispatch import dispatch_due


def test_demo_clinic_exports_valid_fhir_and_a_research_csv_without_names(
    runner, client, api_headers, make_user, tmp_path
):
    assert runner.invoke(args=["demo"]).exit_code == 0
    dispatch_due(now=utcnow())  # the offline outbox "sends" what is due: Communications
    headers = api_headers()

    # A recovering demo patient: journey, tasks, appointments, pain, alerts, sheets, reminders.
    patient_id = db.session.scalar(
        sa.select(CheckIn.patient_id).group_by(CheckIn.patient_id).order_by(sa.func.count().desc())
    )
    response = client.get(f"/api/v1/fhir/Patient/{patient_id}/$everything", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == FHIR_JSON
    bundle = response.get_json(force=True)
    validate_bundle(bundle)
    assert bundle["type"] == "searchset"
    types = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "EpisodeOfCare", "CarePlan", "Task", "Appointment", "Procedure"} <= types
    assert {"Observation", "DocumentReference", "Practitioner"} <= types
    for entry in bundle["entry"]:
        body = entry["resource"]
        assert entry["fullUrl"].endswith(f"/api/v1/fhir/{body['resourceType']}/{body['id']}")
        assert body["meta"]["lastUpdated"][-6:] == "+07:00"  # instants carry their offset
    pains = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    assert pains and len(pains) % 2 == 0
    for pain in pains:
        assert pain["code"]["coding"][0]["system"] == "http://loinc.org"
        assert pain["code"]["coding"][0]["code"] == "72514-3"
        assert 0 <= pain["valueInteger"] <= 10
    assert {p["bodySite"]["coding"][0]["code"] for p in pains} == {"37822005", "61685007"}

    # The bulk export: one file per type, as many Patient lines as patients, all valid.
    result = runner.invoke(args=["fhir", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    patients = db.session.scalar(sa.select(sa.func.count()).select_from(Patient))
    lines = ndjson(tmp_path / "out" / "Patient.ndjson")
    assert len(lines) == patients > 0
    written = {path.stem for path in (tmp_path / "out").glob("*.ndjson")}
    assert written == set(RESOURCE_TYPES)
    for resource_type in RESOURCE_TYPES:
        for body in ndjson(tmp_path / "out" / f"{resource_type}.ndjson"):
            assert body["resourceType"] == resource_type
            validate(body)

    # The research CSV: no name or MRN anywhere; identified data only for an admin.
    text = client.get("/api/v1/exports/journeys.csv", headers=headers).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == db.session.scalar(sa.select(sa.func.count()).select_from(Journey)) > 0
    for patient in db.session.scalars(sa.select(Patient)):
        assert patient.mrn not in text
        assert patient.family_name not in text
        assert patient.given_name not in text
    assert any(row["leg_pain_baseline"] and row["leg_pain_2w"] for row in rows)
    refused = client.get("/api/v1/exports/journeys.csv?identified=true", headers=headers)
    assert refused.status_code == 403
    admin = api_headers(make_user("admin"))
    identified = client.get("/api/v1/exports/journeys.csv?identified=true", headers=admin)
    assert identified.status_code == 200
    assert "DEMO-0001" in identified.get_data(as_text=True)
