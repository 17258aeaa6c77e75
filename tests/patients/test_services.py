from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.patients import search, services
from tracker.patients.models import Patient

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
GOOD = {
    "mrn": "sp-1001",
    "given_name": " Siti ",
    "family_name": "Rahayu",
    "birth_date": date(1961, 2, 3),
    "sex": "female",
    "phone": "+62 812-3456-7890",
    "email": "Siti@Example.com",
    "language": "id",
    "timezone": "Asia/Jakarta",
    "consent_email": True,
    "consent_sms": True,
}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_normalises_and_audits(app, coordinator):
    patient = services.create_patient(GOOD, actor=coordinator, now=NOW)
    db.session.commit()
    assert patient.mrn == "SP-1001"
    assert patient.given_name == "Siti"
    assert patient.phone == "+6281234567890"
    assert patient.created_at == NOW
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.patient_id == patient.id))
    assert event.action == "patient.create" and event.actor_id == coordinator.id


@pytest.mark.parametrize(
    "field, value",
    [
        ("birth_date", date(2027, 1, 1)),
        ("timezone", "Mars/Olympus"),
        ("phone", "0812345"),
        ("email", "not-an-email"),
        ("sex", "x"),
        ("language", "fr"),
        ("mrn", "bad mrn with spaces"),
        ("given_name", ""),
    ],
)
def test_bad_fields_are_named_and_nothing_saved(app, coordinator, field, value):
    with pytest.raises(ValidationFailed) as info:
        services.create_patient({**GOOD, field: value}, actor=coordinator, now=NOW)
    assert field in info.value.errors
    db.session.rollback()
    assert count(Patient) == 0 and count(AuditEvent) == 0


def test_unknown_field_is_refused(app, coordinator):
    with pytest.raises(ValidationFailed) as info:
        services.create_patient({**GOOD, "blood_type": "A"}, actor=coordinator, now=NOW)
    assert "blood_type" in info.value.errors


def test_duplicate_mrn_is_a_conflict(app, coordinator, make_patient):
    make_patient(mrn="SP-1001")
    with pytest.raises(Conflict) as info:
        services.create_patient({**GOOD, "mrn": "sp-1001"}, actor=coordinator, now=NOW)
    assert "mrn" in info.value.errors


def test_consent_needs_a_contact(app, coordinator):
    with pytest.raises(ValidationFailed) as info:
        services.create_patient({**GOOD, "phone": ""}, actor=coordinator, now=NOW)
    assert "consent_sms" in info.value.errors


def test_update_records_old_and_new(app, coordinator, make_patient):
    patient = make_patient(language="en")
    services.update_patient(patient, {"language": "id"}, actor=coordinator, now=NOW)
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "patient.update"))
    assert event.details == {"language": ["en", "id"]}
    assert patient.updated_at == NOW


def test_update_without_changes_writes_nothing(app, coordinator, make_patient):
    patient = make_patient()
    services.update_patient(patient, {"language": patient.language}, actor=coordinator, now=NOW)
    assert count(AuditEvent) == 0


def test_update_cannot_take_an_mrn_in_use(app, coordinator, make_patient):
    make_patient(mrn="A1")
    other = make_patient(mrn="B2")
    with pytest.raises(Conflict):
        services.update_patient(other, {"mrn": "a1"}, actor=coordinator, now=NOW)


def test_update_cannot_remove_the_phone_while_sms_consent(app, coordinator, make_patient):
    patient = make_patient(consent_sms=True)
    with pytest.raises(ValidationFailed) as info:
        services.update_patient(patient, {"phone": ""}, actor=coordinator, now=NOW)
    assert "consent_sms" in info.value.errors


def test_search_by_name_and_mrn(app, make_patient):
    make_patient(given_name="Budi", family_name="Santoso", mrn="X100")
    make_patient(given_name="Ayu", family_name="Lestari", mrn="X200")
    names = lambda q: [p.given_name for p in db.session.scalars(services.search_query(q))]  # noqa: E731
    assert names("santo") == ["Budi"]
    assert names("x200") == ["Ayu"]
    assert names("budi santoso") == ["Budi"]
    assert names("") == ["Ayu", "Budi"]


def test_search_finds_a_renamed_patient_by_the_new_name_only(app, coordinator, make_patient):
    # On SQLite the words are looked up in the trigram search table first, kept by triggers;
    # PostgreSQL reads its trigram index. Either way the same patients come back.
    assert search.indexed() is (db.engine.dialect.name == "sqlite")
    ayu = make_patient(given_name="Ayu", family_name="Lestari", mrn="RM-2024-0117")
    make_patient(given_name="Bambang", family_name='O\'Neil "Bams"', mrn="RM-2024-0342")
    db.session.commit()
    names = lambda q: [p.given_name for p in db.session.scalars(services.search_query(q))]  # noqa: E731
    assert names("LESTA") == ["Ayu"]
    assert names("2024-01") == ["Ayu"]  # any part of the MRN
    assert names("es") == ["Ayu"]  # too short for trigrams: read the long way
    assert names('"bams"') == ["Bambang"] and names('"bams') == ["Bambang"]  # quotes: letters
    assert names('"neil"') == [] and names("o'neil") == ["Bambang"]
    assert names("50%") == [] and names("A_u") == []  # nor are LIKE's wildcards special
    services.update_patient(ayu, {"family_name": "Wulandari"}, actor=coordinator, now=NOW)
    db.session.commit()
    assert names("lestari") == []
    assert names("wulan ayu") == ["Ayu"]
