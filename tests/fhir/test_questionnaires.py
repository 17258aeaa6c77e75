"""PROMs as Questionnaire and QuestionnaireResponse: valid R4, LOINC for the ODI, canonicals
that resolve inside the patient's bundle, in reads, the CapabilityStatement and bulk files."""

import json

import sqlalchemy as sa

from tests.conftest import NOW
from tests.fhir.conftest import ndjson, validate, validate_bundle
from tracker.clock import utcnow
from tracker.db import db
from tracker.fhir import bulk, worker
from tracker.fhir.bundle import everything, unresolved_references
from tracker.fhir.common import make_context
from tracker.outcomes import catalogue
from tracker.outcomes.definitions import shipped
from tracker.outcomes.models import Instrument
from tracker.outcomes.services import mark_entered_in_error


def _by_type(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_everything_holds_the_answers_and_the_versions_they_name(proms, fhir_get):
    journey, made = proms()
    response, bundle = fhir_get(f"Patient/{journey.patient_id}/$everything")
    assert response.status_code == 200
    validate_bundle(bundle)  # every resource parses; references and canonicals resolve
    found = _by_type(bundle)
    assert {q["url"].rsplit("/", 1)[1] for q in found["Questionnaire"]} == {
        "odi",
        "back_pain",
        "global_change",
    }
    answers = {r["id"]: r for r in found["QuestionnaireResponse"]}
    assert len(answers) == 4
    odi = next(q for q in found["Questionnaire"] if q["url"].endswith("/odi"))
    assert odi["code"] == [
        {"system": "http://loinc.org", "code": "97908-8", "display": "Oswestry Disability Index"}
    ]
    assert odi["status"] == "active"
    assert [i["linkId"] for i in odi["item"]][-1] == "score"
    assert odi["item"][-1]["code"][0]["code"] == "97909-6"
    assert len(odi["item"][0]["answerOption"]) == 6

    six_weeks = answers[str(made["6w"].id)]
    assert six_weeks["questionnaire"] == f"{odi['url']}|{odi['version']}"
    assert six_weeks["status"] == "completed"
    assert six_weeks["authored"] == "2026-11-26T08:30:00+07:00"
    assert six_weeks["author"]["reference"].startswith("Practitioner/")
    assert six_weeks["subject"] == {"reference": f"Patient/{journey.patient_id}"}
    items = {i["linkId"]: i for i in six_weeks["item"]}
    assert "answer" not in items["standing"]  # skipped: no answer
    lifting = items["lifting"]["answer"][0]["valueCoding"]
    assert lifting["code"] == "2" and lifting["extension"][0]["valueDecimal"] == 2
    assert items["score"]["answer"] == [{"valueDecimal": 28.9}]
    timepoint = next(e for e in six_weeks["extension"] if e["url"].endswith("outcome-timepoint"))
    assert timepoint["valueCoding"]["code"] == "6w"

    back = answers[str(made["back"].id)]
    back_item = back["item"][0]
    assert back_item["answer"] == [{"valueInteger": 6}]
    back_questionnaire = next(q for q in found["Questionnaire"] if q["url"].endswith("/back_pain"))
    assert back_questionnaire["item"][0]["code"][0]["code"] == "72514-3"
    assert back_item["text"] == back_questionnaire["item"][0]["text"]  # the same question
    change = answers[str(made["change"].id)]["item"][0]["answer"][0]["valueCoding"]
    assert change["code"] == "much_improved"


def test_single_reads_and_the_capability_statement(proms, fhir_get, client):
    journey, made = proms()
    instrument = made["6w"].instrument
    response, body = fhir_get(f"QuestionnaireResponse/{made['6w'].id}")
    assert response.status_code == 200
    validate(body)
    response, questionnaire = fhir_get(f"Questionnaire/{instrument.id}")
    assert response.status_code == 200
    validate(questionnaire)
    assert body["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    assert fhir_get("QuestionnaireResponse/99999")[0].status_code == 404
    listed = [
        r["type"] for r in client.get("/api/v1/fhir/metadata").get_json()["rest"][0]["resource"]
    ]
    assert {"Questionnaire", "QuestionnaireResponse"} <= set(listed)


def test_entered_in_error_stays_with_its_status(proms, coordinator):
    journey, made = proms()
    mark_entered_in_error(made["baseline"], "Wrong patient's form.", actor=coordinator, now=NOW)
    db.session.commit()
    bundle = everything(journey.patient, make_context(), now=utcnow())
    [wrong] = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
        and e["resource"]["id"] == str(made["baseline"].id)
    ]
    assert wrong["status"] == "entered-in-error"
    validate(wrong)


def test_a_new_version_retires_the_old_and_answers_keep_theirs(proms, tmp_path):
    journey, made = proms()
    changed = dict(shipped()["odi"], source="A reworded source line.")
    catalogue.load_definition(changed, now=NOW)
    db.session.commit()
    bundle = everything(journey.patient, make_context(), now=utcnow())
    assert unresolved_references(bundle) == []
    [odi] = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Questionnaire" and e["resource"]["url"].endswith("odi")
    ]
    assert (odi["version"], odi["status"]) == ("1", "retired")  # the one answered
    results = bulk.write_ndjson(
        tmp_path, make_context(), types=["Questionnaire", "QuestionnaireResponse"]
    )
    counts = {r.resource_type: r.count for r in results}
    instruments = db.session.scalar(sa.select(sa.func.count()).select_from(Instrument))
    assert counts == {"Questionnaire": instruments, "QuestionnaireResponse": 4}
    for name in ("Questionnaire", "QuestionnaireResponse"):
        for body in ndjson(tmp_path / f"{name}.ndjson"):
            validate(body)
    newest = [q for q in ndjson(tmp_path / "Questionnaire.ndjson") if q["url"].endswith("/odi")]
    assert sorted((q["version"], q["status"]) for q in newest) == [
        ("1", "retired"),
        ("2", "active"),
    ]


def test_async_export_of_the_proms(app, client, api_headers, proms, tmp_path):
    app.config["FHIR_EXPORT_DIR"] = str(tmp_path / "exports")
    proms()
    headers = api_headers()
    kickoff = client.get(
        "/api/v1/fhir/$export?_type=Questionnaire,QuestionnaireResponse",
        headers={**headers, "Prefer": "respond-async"},
    )
    assert kickoff.status_code == 202
    assert worker.run_pending() == 1
    manifest = client.get(kickoff.headers["Content-Location"], headers=headers).get_json()
    counts = {item["type"]: item["count"] for item in manifest["output"]}
    assert counts["QuestionnaireResponse"] == 4 and counts["Questionnaire"] >= 3
    for item in manifest["output"]:
        response = client.get(item["url"], headers=headers)
        lines = response.get_data(as_text=True).splitlines()
        response.close()
        for line in lines:
            validate(json.loads(line))
