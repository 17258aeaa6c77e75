"""Each mapping module: what a journey's rows become, valid R4 with the codes they need."""

import pytest
import sqlalchemy as sa

from tests.fhir.conftest import SURGERY, at, validate
from tracker.clock import utcnow
from tracker.db import db
from tracker.fhir.bundle import everything, read
from tracker.fhir.common import make_context
from tracker.journeys.services import cancel, reopen_task
from tracker.portal.models import Alert
from tracker.reminders.models import Reminder


def _bundle(journey):
    bundle = everything(journey.patient, make_context(), now=utcnow())
    by_type = {}
    for entry in bundle["entry"]:
        validate(entry["resource"])
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return by_type


def test_a_journey_maps_onto_every_resource_type(app, operated):
    journey = operated(mrn="RM-777")
    app.config["FHIR_MRN_SYSTEM"] = "urn:oid:2.16.360.1.1.1"
    found = _bundle(journey)
    patient = found["Patient"][0]
    assert patient["identifier"][0]["system"] == "urn:oid:2.16.360.1.1.1"
    assert patient["identifier"][0]["value"] == "RM-777"
    assert patient["identifier"][0]["type"]["coding"][0]["code"] == "MR"

    episode = found["EpisodeOfCare"][0]
    assert episode["status"] == "active"
    assert episode["extension"][0]["valueCoding"]["code"] == "follow_up"

    plan = found["CarePlan"][0]
    stages = [a["detail"] for a in plan["activity"] if "detail" in a]
    assert [s["status"] for s in stages] == ["completed"] * 4 + ["in-progress"]
    assert [s["code"]["coding"][0]["code"] for s in stages][0] == "consultation"
    task_refs = {a["reference"]["reference"] for a in plan["activity"] if "reference" in a}
    assert task_refs == {f"Task/{t['id']}" for t in found["Task"]}

    tasks = {t["code"]["coding"][0]["code"]: t for t in found["Task"]}
    assert tasks["procedure_done"]["status"] == "completed"
    assert tasks["procedure_done"]["basedOn"] == [{"reference": f"CarePlan/{journey.id}"}]
    skipped = [t for t in found["Task"] if t["status"] == "cancelled"]
    assert skipped[0]["statusReason"]["text"] == "Not needed for this patient."

    procedure = found["Procedure"][0]
    assert procedure["status"] == "completed"
    assert procedure["performedPeriod"]["start"] == "2026-10-15T08:30:00+07:00"
    assert procedure["code"]["coding"][0]["code"] == "teld"
    assert procedure["bodySite"][0]["coding"][0]["code"] == "122496007"

    kinds = {a["appointmentType"]["coding"][0]["code"] for a in found["Appointment"]}
    assert {"surgery", "follow_up"} <= kinds

    pains = found["Observation"]
    assert {p["id"].rsplit("-", 1)[1] for p in pains} == {"back", "leg"}
    baseline = next(p for p in pains if p["effectiveDateTime"].startswith("2026-10-10"))
    assert baseline["performer"][0]["reference"].startswith("Practitioner/")

    [communication] = found["Communication"]
    assert communication["id"].startswith("reminder-")
    assert communication["payload"] == [{"contentString": "See you on Thursday."}]

    assert {f["status"] for f in found["Flag"]} == {"active"}

    first, second = sorted(found["DocumentReference"], key=lambda d: int(d["id"]))
    assert (first["status"], second["status"]) == ("superseded", "current")
    assert second["relatesTo"][0]["target"]["reference"] == f"DocumentReference/{first['id']}"
    assert first["type"]["coding"][0]["code"] == "8653-8"
    assert first["content"][0]["attachment"]["url"].endswith(f"/fhir/Binary/{first['id']}")


def test_statuses_follow_the_record(operated, coordinator):
    journey = operated()
    alert = db.session.scalars(sa.select(Alert)).first()
    alert.status, alert.resolved_at = "resolved", at(5)
    cancel(journey, reason="Moved abroad.", actor=coordinator, now=at(6))
    db.session.commit()
    found = _bundle(journey)
    assert found["EpisodeOfCare"][0]["status"] == "cancelled"
    assert found["CarePlan"][0]["status"] == "revoked"
    assert found["Procedure"][0]["status"] == "completed"  # done before the cancellation
    resolved = next(f for f in found["Flag"] if f["id"] == str(alert.id))
    assert resolved["status"] == "inactive"
    assert resolved["period"]["end"] == "2026-10-20T08:30:00+07:00"


def test_a_journey_cancelled_before_surgery_has_a_procedure_not_done(make_journey, coordinator):
    journey = make_journey()
    cancel(journey, reason="Pain settled.", actor=coordinator, now=SURGERY)
    db.session.commit()
    procedure = _bundle(journey)["Procedure"][0]
    assert procedure["status"] == "not-done"
    assert procedure["statusReason"]["text"] == "Pain settled."


def test_a_journey_without_a_surgery_date_has_no_procedure(make_journey):
    assert "Procedure" not in _bundle(make_journey(surgery_at=None))


def test_last_updated_moves_when_a_task_changes(make_journey, coordinator, clock):
    journey = make_journey()
    task = journey.tasks[0]
    before = read("Task", str(task.id), make_context())[1]["meta"]["lastUpdated"]
    clock.shift(3600)
    reopen_or_done = task.status == "open"
    if reopen_or_done:
        task.status, task.done_at = "done", utcnow()
    else:
        reopen_task(task, reason="test", actor=coordinator, now=utcnow())
    db.session.commit()
    after = read("Task", str(task.id), make_context())[1]["meta"]["lastUpdated"]
    assert after > before


@pytest.mark.parametrize("fhir_id", ["x", "0", "12-arm", "-1", "reminder-x", "1.5"])
def test_reads_of_malformed_ids_find_nothing(app, fhir_id):
    for resource_type in ("Patient", "Observation", "Communication", "Task"):
        assert read(resource_type, fhir_id, make_context()) is None


def test_only_reminders_sent_to_the_patient_are_communications(make_journey):
    journey = make_journey()
    rows = db.session.scalars(sa.select(Reminder).where(Reminder.journey_id == journey.id)).all()
    assert "Communication" not in _bundle(journey)  # planned, none sent yet
    to_patient = next(r for r in rows if r.audience == "patient")
    to_patient.status, to_patient.sent_at = "sent", at(-3)
    failed = next(r for r in rows if r.audience == "patient" and r is not to_patient)
    failed.status = "failed"
    db.session.commit()
    assert [c["id"] for c in _bundle(journey)["Communication"]] == [f"reminder-{to_patient.id}"]
