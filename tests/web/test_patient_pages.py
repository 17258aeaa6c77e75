"""The patient list, board, forms and patient page."""

import re
from datetime import UTC, date, datetime

import sqlalchemy as sa

from tests.web.conftest import text
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.patients.models import Patient

NEW = {
    "mrn": "mrn-2026-0142",
    "given_name": "Ratna",
    "family_name": "Kusumadewi",
    "birth_date": "1969-04-02",
    "sex": "female",
    "phone": "+62 812 3456 7890",
    "email": "ratna@example.com",
    "language": "id",
    "timezone": "Asia/Makassar",
    "consent_sms": "y",
}


def names_in(html: str) -> list[str]:
    """The patients listed in the table, in order, as "Family, Given"."""
    return re.findall(r'<a class="strong" href="/patients/\d+">([^<]+)</a>', html)


def count_patients() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Patient))


def test_search_by_name_or_mrn(as_coordinator, make_patient):
    make_patient(given_name="Budi", family_name="Santoso", mrn="RM-001")
    make_patient(given_name="Siti", family_name="Rahma", mrn="RM-002")
    assert names_in(text(as_coordinator.get("/patients?q=santo"))) == ["Santoso, Budi"]
    assert names_in(text(as_coordinator.get("/patients?q=rm-002"))) == ["Rahma, Siti"]
    assert names_in(text(as_coordinator.get("/patients?q=siti+rahma"))) == ["Rahma, Siti"]
    html = text(as_coordinator.get("/patients?q=nobody"))
    assert names_in(html) == [] and "No patients match" in html


def test_filter_by_stage_pathway_and_surgeon(as_coordinator, make_journey, make_patient, make_user):
    other_surgeon = make_user("clinician", name="Dr Other")
    a = make_journey(make_patient(family_name="Alpha"))
    b = make_journey(
        make_patient(family_name="Bravo"),
        template="il",
        approach="interlaminar",
        condition="spinal_stenosis",
        surgeon=other_surgeon,
    )
    c = make_journey(make_patient(family_name="Charlie"))
    c.stage = "preparation"
    make_patient(family_name="Delta")  # no journey
    db.session.commit()

    def listed(query):
        return [n.split(",")[0] for n in names_in(text(as_coordinator.get(f"/patients?{query}")))]

    assert listed("") == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert listed("stage=preparation") == ["Charlie"]
    assert listed("stage=consultation") == ["Alpha", "Bravo"]
    assert listed(f"pathway={b.template.slug}") == ["Bravo"]
    assert listed(f"surgeon={other_surgeon.id}") == ["Bravo"]
    assert listed(f"surgeon={a.surgeon_id}&stage=consultation") == ["Alpha"]
    assert listed("stage=nonsense&surgeon=abc&sort=evil") == ["Alpha", "Bravo", "Charlie", "Delta"]
    html = text(as_coordinator.get("/patients?stage=preparation"))
    assert '<option value="preparation" selected>' in html  # the filter stays visible


def test_sort_by_surgery_date_and_stage(as_coordinator, make_journey, make_patient):
    late = make_journey(
        make_patient(family_name="Late"), surgery_at=datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    )
    make_journey(
        make_patient(family_name="Early"), surgery_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    )
    make_journey(make_patient(family_name="Unbooked"), surgery_at=None)
    late.stage = "follow_up"
    db.session.commit()

    def order(sort):
        html = text(as_coordinator.get(f"/patients?sort={sort}"))
        return [n.split(",")[0] for n in names_in(html)]

    assert order("name") == ["Early", "Late", "Unbooked"]
    assert order("surgery") == ["Early", "Late", "Unbooked"][:2] + ["Unbooked"]
    assert order("stage") == ["Early", "Unbooked", "Late"]
    html = text(as_coordinator.get("/patients?sort=surgery"))
    assert "Tue 1 Dec 2026, 08:00" in html  # clinic local time


def test_pagination_keeps_the_filters(as_coordinator, make_patient):
    for n in range(30):
        make_patient(family_name=f"Pat{n:02d}")
    make_patient(family_name="Other")
    first = text(as_coordinator.get("/patients?q=pat"))
    assert len(names_in(first)) == 25
    assert "30 patients" in first
    assert 'href="/patients?page=2&amp;q=pat&amp;sort=name"' in first
    second = text(as_coordinator.get("/patients?q=pat&page=2"))
    assert [n.split(",")[0] for n in names_in(second)] == [f"Pat{n}" for n in range(25, 30)]
    assert as_coordinator.get("/patients?page=99").status_code == 200


def test_list_query_count_does_not_grow_with_patients(as_coordinator, make_journey, count_queries):
    for _ in range(2):
        make_journey()
    with count_queries() as few:
        as_coordinator.get("/patients")
    for _ in range(6):
        make_journey()
    with count_queries() as many:
        as_coordinator.get("/patients")
    assert len(many) == len(few)


def test_board_has_a_column_per_stage(as_coordinator, make_journey, make_patient):
    j = make_journey(make_patient(family_name="Board"))
    j.stage = "discharge"
    db.session.commit()
    html = text(as_coordinator.get("/patients/board"))
    for label in ("Consultation", "Preparation", "Procedure", "Discharge", "Follow-up"):
        assert f">{label}</a>" in html
    discharge = html[html.index('id="col-discharge"') : html.index('id="col-follow_up"')]
    assert "Board" in discharge


def test_new_patient_form_defaults_to_the_clinic_time_zone(as_coordinator):
    html = text(as_coordinator.get("/patients/new"))
    assert (
        '<option selected value="Asia/Jakarta">' in html
        or '<option value="Asia/Jakarta" selected>' in html
    )
    for field in (
        "mrn",
        "given_name",
        "family_name",
        "birth_date",
        "sex",
        "phone",
        "email",
        "language",
        "timezone",
        "consent_email",
        "consent_sms",
    ):
        assert f'<label for="{field}"' in html or f'for="{field}"' in html, field


def test_add_a_patient(as_coordinator, coordinator):
    response = as_coordinator.post("/patients/new", NEW)
    assert response.status_code == 302
    patient = db.session.scalar(sa.select(Patient))
    assert response.headers["Location"] == f"/patients/{patient.id}"
    assert (patient.mrn, patient.phone, patient.timezone, patient.language) == (
        "MRN-2026-0142",
        "+6281234567890",
        "Asia/Makassar",
        "id",
    )
    assert patient.birth_date == date(1969, 4, 2)
    assert patient.consent_sms and not patient.consent_email
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.patient_id == patient.id))
    assert event.action == "patient.create" and event.actor_id == coordinator.id
    page = text(as_coordinator.get(response.headers["Location"]))
    assert "Ratna Kusumadewi is added." in page and "+6281234567890" in page


def test_patient_form_errors_sit_next_to_fields_keep_input_and_save_nothing(
    as_coordinator, make_patient
):
    make_patient(mrn="TAKEN-1")
    before = count_patients()
    bad = {
        **NEW,
        "mrn": "taken-1",
        "given_name": "",
        "birth_date": "02/04/1969",
        "phone": "0812",
        "email": "not an email",
        "timezone": "Mars/Olympus",
    }
    response = as_coordinator.post("/patients/new", bad)
    assert response.status_code == 422
    html = text(response)
    for field in ("given_name", "birth_date", "phone", "email", "timezone"):
        assert f'id="{field}-error"' in html, field
        assert re.search(
            rf'aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"', html
        ) or re.search(rf'aria-invalid="true"[^>]*id="{field}"', html), field
    assert 'value="Kusumadewi"' in html and 'value="0812"' in html and 'value="02/04/1969"' in html
    assert count_patients() == before
    # the MRN clash shows once the rest is right
    response = as_coordinator.post("/patients/new", {**NEW, "mrn": "taken-1"})
    assert response.status_code == 422
    assert "A patient with MRN TAKEN-1 already exists." in text(response)
    assert count_patients() == before


def test_sms_consent_needs_a_phone(as_coordinator):
    response = as_coordinator.post("/patients/new", {**NEW, "phone": ""})
    assert response.status_code == 422
    html = text(response)
    assert 'id="consent_sms-error"' in html and "SMS consent needs a phone number." in html


def test_edit_a_patient(as_coordinator, make_patient):
    patient = make_patient()
    url = f"/patients/{patient.id}/edit"
    html = text(as_coordinator.get(url))
    assert f'value="{patient.mrn}"' in html
    response = as_coordinator.post(url, {**NEW, "given_name": "Renamed", "mrn": patient.mrn})
    assert response.status_code == 302
    db.session.refresh(patient)
    assert patient.given_name == "Renamed" and patient.timezone == "Asia/Makassar"


def test_edit_cannot_blank_required_fields(as_coordinator, make_patient):
    patient = make_patient(given_name="Keep")
    url = f"/patients/{patient.id}/edit"
    response = as_coordinator.post(url, {**NEW, "given_name": "  ", "mrn": patient.mrn})
    assert response.status_code == 422
    assert 'id="given_name-error"' in text(response)
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).given_name == "Keep"


def test_patient_page_shows_journeys_and_start_link(as_coordinator, make_patient, make_journey):
    without = make_patient(given_name="No", family_name="Journey")
    html = text(as_coordinator.get(f"/patients/{without.id}"))
    assert "No journey yet" in html
    assert f'href="/patients/{without.id}/journeys/new"' in html
    journey = make_journey()
    html = text(as_coordinator.get(f"/patients/{journey.patient_id}"))
    assert f'href="/journeys/{journey.id}"' in html
    assert "Start journey" not in html
    assert "Thu 10 Dec 2026, 08:30" in html  # surgery in clinic time
