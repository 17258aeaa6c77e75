"""Discharge sheets as PDF: personal facts, warning signs, languages, page sizes, reprints."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.discharge.helpers import NOON, pdf_pages, pdf_text
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.discharge import content, pdf, services
from tracker.discharge.models import DischargeSheet
from tracker.errors import Conflict, Forbidden, ValidationFailed
from tracker.journeys.services import reschedule_surgery, update_appointment

MEDS = [
    {
        "name": "Paracetamol",
        "dose": "1 g (2 tablets)",
        "frequency": "every 6 hours",
        "until": "5 days",
    },
    {
        "name": "Ibuprofen",
        "dose": "400 mg",
        "frequency": "3 times a day with food",
        "until": "7 days",
    },
]


def draft(journey, actor, *, language="en", meds=MEDS, extra="Sleep on your side.", now=NOON):
    return services.save_draft(
        journey,
        services.DraftValues(language=language, extra_instructions=extra, medications=meds),
        actor=actor,
        now=now,
    )


def issued_pdf(sheet: DischargeSheet, size: str = "a4") -> bytes:
    return pdf.write_pdf([sheet.html], size=size)


def test_english_sheet_has_the_personal_facts_and_the_warning_signs(app, journey_at, surgeon):
    app.config["PORTAL_BASE_URL"] = "https://care.clinic.example/"
    journey = journey_at(now=NOON)
    draft(journey, surgeon)
    sheet = services.issue_sheet(journey, actor=surgeon, now=NOON)
    db.session.commit()
    text = pdf_text(issued_pdf(sheet))
    patient = journey.patient
    for fact in (
        patient.full_name,
        patient.mrn,
        "17 May 1970",  # date of birth
        "Transforaminal endoscopic lumbar discectomy",
        "L4-L5",
        "Left",
        "Dr Sita Surgeon",
        "Monday 23 November 2026",  # surgery and discharge day, clinic time
        "Paracetamol",
        "every 6 hours",
        "Sleep on your side.",
        "Monday 7 December 2026",  # wound check, 2 weeks
        "09:00",
        "Wound check (2 weeks)",
        "Demo Spine Clinic",
        "+62 21 555 0100",
        "Signed off by Dr Sita Surgeon",
    ):
        assert fact in text, fact
    assert "EMERGENCY" in text and "cauda equina" in text
    assert "https://care.clinic.example/portal" in text.replace(" ", "")  # printed as a link
    assert "Leaking urine or stool" in text and "both legs" in text
    assert "Call the clinic on +62 21 555 0100" in text
    assert "above 38.5 °C (101.3 °F)" in text
    assert "Lift nothing heavier than 5 kg" in text
    assert "From week 2 Mon 7 Dec 2026" in text  # the activity timeline, with dates
    assert "DRAFT" not in text


def test_indonesian_sheet_speaks_indonesian(app, journey_at, surgeon, siti):
    journey = journey_at(
        now=NOON,
        patient=siti,
        template="il",
        condition="spinal_stenosis",
        approach="interlaminar",
        side="bilateral",
        levels="L3-L4, L4-L5",
    )
    draft(journey, surgeon, language="id", meds=[MEDS[0]], extra="")
    sheet = services.issue_sheet(journey, actor=surgeon, now=NOON + timedelta(days=1))
    text = pdf_text(issued_pdf(sheet))
    for fact in (
        "Siti Rahayu",
        "RM-204551",
        "7 Maret 1961",
        "Dekompresi endoskopik interlaminar",
        "L3-L4, L4-L5",
        "Kedua sisi",
        "Senin 23 November 2026",  # surgery
        "Selasa 24 November 2026",  # going home after the planned night
        "Pemeriksaan luka (2 minggu)",
        "DARURAT",
        "IGD",
        "cauda equina",
        "Hubungi klinik di +62 21 555 0100",
        "38,5 °C",
        "Paracetamol",
    ):
        assert fact in text, fact
    assert "Wound check" not in text and "Going home" not in text


@pytest.mark.parametrize(("size", "points"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_page_size_and_length(app, journey_at, surgeon, size, points):
    journey = journey_at(now=NOON)
    draft(journey, surgeon, meds=MEDS * 2, extra="Sleep on your side.\nUse a firm chair.")
    sheet = services.issue_sheet(journey, actor=surgeon, now=NOON)
    pages = pdf_pages(issued_pdf(sheet, size))
    assert 1 <= len(pages) <= 2
    assert set(pages) == {points}


def test_a_reprint_is_the_sheet_as_issued_after_everything_changed(
    app, journey_at, surgeon, templates
):
    journey = journey_at(now=NOON)
    draft(journey, surgeon)
    sheet = services.issue_sheet(journey, actor=surgeon, now=NOON)
    db.session.commit()
    original = pdf_text(issued_pdf(sheet))

    # Medicines, the patient, a follow-up and the template's text all change afterwards.
    draft(
        journey,
        surgeon,
        meds=[{"name": "Tramadol", "dose": "50 mg", "frequency": "at night", "until": "3 days"}],
        extra="",
    )
    journey.patient.family_name = "Renamed"
    wound_check = next(a for a in journey.appointments if a.key == "wound_check")
    update_appointment(
        wound_check,
        {"starts_at": wound_check.starts_at + timedelta(days=3)},
        actor=surgeon,
        now=NOON,
    )
    templates["teld"].definition["discharge"]["lifting_limit_kg"] = 9
    db.session.commit()
    db.session.expire_all()

    again = db.session.get(DischargeSheet, sheet.id)
    assert pdf_text(issued_pdf(again)) == original
    assert "Paracetamol" in original and "Tramadol" not in original
    # A new version says what is true now.
    newer = services.issue_sheet(journey, actor=surgeon, now=NOON + timedelta(hours=1))
    assert newer.version == 2
    assert "Tramadol" in pdf_text(issued_pdf(newer))


def test_issuing_twice_without_a_change_is_refused(app, journey_at, surgeon):
    journey = journey_at(now=NOON)
    services.issue_sheet(journey, actor=surgeon, now=NOON)
    with pytest.raises(Conflict, match="reprint"):
        services.issue_sheet(journey, actor=surgeon, now=NOON + timedelta(minutes=5))


def test_issued_sheets_are_never_changed(app, journey_at, surgeon):
    sheet = services.issue_sheet(journey_at(now=NOON), actor=surgeon, now=NOON)
    db.session.commit()
    sheet.html = "<p>changed</p>"
    with pytest.raises(RuntimeError, match="never change"):
        db.session.commit()
    db.session.rollback()


def test_before_discharge_only_a_marked_draft(app, journey_at, surgeon):
    journey = journey_at("procedure", now=NOON)
    with pytest.raises(Conflict, match="from the discharge stage on"):
        services.issue_sheet(journey, actor=surgeon, now=NOON)
    text = pdf_text(pdf.write_pdf([services.draft_fragment(journey, now=NOON)], size="a4"))
    assert "DRAFT: not signed off. Not to be given to the patient." in text
    assert journey.patient.full_name in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DischargeSheet)) == 0


def test_only_a_clinician_issues(app, journey_at, coordinator):
    with pytest.raises(Forbidden, match="Only a clinician"):
        services.issue_sheet(journey_at(now=NOON), actor=coordinator, now=NOON)


def test_missing_facts_are_named_never_printed_blank(app, journey_at, surgeon):
    journey = journey_at("preparation", now=NOON, surgery_at=None, surgeon=None)
    assert content.missing_facts(journey, NOON) == [
        "the surgery date",
        "the surgeon",
        "a booked follow-up appointment",
    ]
    with pytest.raises(ValidationFailed) as caught:
        services.draft_fragment(journey, now=NOON)
    assert "it needs the surgery date, the surgeon, a booked follow-up appointment" in str(
        caught.value
    )
    reschedule_surgery(journey, NOON + timedelta(days=7), actor=surgeon, now=NOON)
    assert content.missing_facts(journey, NOON) == ["the surgeon"]


def test_a_medicine_row_must_be_complete(app, journey_at, surgeon):
    journey = journey_at(now=NOON)
    rows = [MEDS[0], {"name": "Ibuprofen", "dose": "", "frequency": "", "until": ""}, {}]
    with pytest.raises(ValidationFailed) as caught:
        draft(journey, surgeon, meds=rows)
    assert set(caught.value.errors) == {
        "medications-1-dose",
        "medications-1-frequency",
        "medications-1-until",
    }
    assert services.draft_for(journey) is None


def test_issue_is_audited_and_ticks_the_discharge_task(app, journey_at, surgeon):
    journey = journey_at(now=NOON)
    draft(journey, surgeon)
    sheet = services.issue_sheet(journey, actor=surgeon, now=NOON)
    db.session.commit()
    events = {e.action: e for e in db.session.scalars(sa.select(AuditEvent))}
    assert events["discharge.draft"].patient_id == journey.patient_id
    issue = events["discharge.issue"]
    assert (issue.object_id, issue.actor_id, issue.details["version"]) == (sheet.id, surgeon.id, 1)
    task = next(t for t in journey.tasks if t.key == "discharge_sheet")
    assert task.status == "done" and task.done_by_id == surgeon.id
