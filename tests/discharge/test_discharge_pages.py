"""The discharge pages as staff use them: access, the draft form, issuing, printing, batches."""

import sqlalchemy as sa

from tests.discharge.helpers import pdf_pages, pdf_text
from tracker.audit.models import AuditEvent
from tracker.db import db
from tracker.discharge.models import DischargeDraft, DischargeSheet

ROW = {
    "medications-0-name": "Paracetamol",
    "medications-0-dose": "1 g",
    "medications-0-frequency": "every 6 hours",
    "medications-0-until": "5 days",
}


def form(language="en", **extra):
    return {"language": language, "extra_instructions": "Sleep on your side.", **ROW, **extra}


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_signed_in_clinical_staff_only(app, client, journey_at, make_user, sign_in):
    journey = journey_at()
    url = f"/journeys/{journey.id}/discharge"
    assert client.get(url).status_code == 302  # to the sign-in page
    assert client.get(f"{url}/print").status_code == 302
    admin = sign_in(make_user("admin"))
    assert admin.get(url).status_code == 403
    assert admin.get("/discharge/today.pdf").status_code == 403


def test_unknown_journey_or_a_sheet_of_another_journey_is_404(app, journey_at, surgeon, sign_in):
    mine, other = journey_at(), journey_at()
    staff = sign_in(surgeon)
    assert staff.get("/journeys/999999/discharge").status_code == 404
    assert staff.get("/journeys/999999/discharge/print").status_code == 404
    response = staff.post(f"/journeys/{other.id}/discharge", form(issue="y"))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    sheet = db.session.scalar(sa.select(DischargeSheet))
    assert sheet.journey_id == other.id
    for suffix in ("", ".pdf"):
        url = f"/journeys/{mine.id}/discharge/sheets/{sheet.id}{suffix}"
        assert staff.get(url).status_code == 404
    assert staff.get(f"/journeys/{other.id}/discharge/sheets/{sheet.id}").status_code == 200


def test_coordinator_prepares_and_prints_a_draft_but_cannot_issue(
    app, journey_at, coordinator, sign_in
):
    journey = journey_at()
    staff = sign_in(coordinator)
    url = f"/journeys/{journey.id}/discharge"
    page = staff.get(url).get_data(as_text=True)
    assert "Only a clinician can sign off" in page
    assert staff.post(url, form()).status_code == 303
    assert db.session.scalar(sa.select(DischargeDraft)).medications[0]["name"] == "Paracetamol"

    response = staff.post(url, form(issue="y"))
    assert response.status_code == 403
    assert "Only a clinician can sign off" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DischargeSheet)) == 0

    preview = staff.get(f"{url}/print?size=letter")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "@page { size: letter; }" in html
    assert "DRAFT: not signed off" in html and "Paracetamol" in html
    assert 'class="mainnav"' not in html  # no app navigation on the sheet
    assert "discharge.print" in actions()


def test_an_incomplete_medicine_row_saves_nothing(app, journey_at, surgeon, sign_in):
    journey = journey_at()
    staff = sign_in(surgeon)
    response = staff.post(
        f"/journeys/{journey.id}/discharge", form(**{"medications-1-name": "Ibuprofen"})
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give the dose" in page and "Say how often" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DischargeDraft)) == 0


def test_clinician_issues_prints_and_downloads_with_an_audit_trail(
    app, journey_at, surgeon, sign_in
):
    journey = journey_at()
    staff = sign_in(surgeon)
    url = f"/journeys/{journey.id}/discharge"
    response = staff.post(url, form(issue="y"))
    assert response.status_code == 303
    sheet = db.session.scalar(sa.select(DischargeSheet))
    assert (sheet.version, sheet.issued_by_id) == (1, surgeon.id)

    printed = staff.get(f"{url}/sheets/{sheet.id}?size=a4").get_data(as_text=True)
    assert "@page { size: A4; }" in printed and "DRAFT" not in printed
    download = staff.get(f"{url}/sheets/{sheet.id}.pdf?size=letter")
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert set(pdf_pages(download.data)) == {(612, 792)}
    assert "Paracetamol" in pdf_text(download.data)

    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("discharge.%")).order_by(AuditEvent.id)
    ).all()
    opened = [e for e in events if e.action == "discharge.view"]
    assert opened and all(e.kind == "read" for e in opened)  # the editor, each time it opened
    events = [e for e in events if e.action != "discharge.view"]
    assert [(e.action, e.kind) for e in events] == [
        ("discharge.draft", "change"),
        ("discharge.issue", "change"),
        ("discharge.print", "read"),
        ("discharge.download", "read"),
    ]
    assert all(e.patient_id == journey.patient_id and e.actor_id == surgeon.id for e in events)
    assert events[-1].details == {"version": 1, "draft": False, "size": "letter"}

    listed = staff.get(url).get_data(as_text=True)
    assert "Version 1" in listed and surgeon.name in listed


def test_before_discharge_the_pdf_is_a_draft(app, journey_at, surgeon, sign_in):
    journey = journey_at("preparation")
    staff = sign_in(surgeon)
    url = f"/journeys/{journey.id}/discharge"
    page = staff.get(url).get_data(as_text=True)
    assert "preparation stage" in page and "DRAFT" in page
    assert staff.post(url, form(issue="y")).status_code == 409
    data = staff.get(f"{url}/draft.pdf").data
    assert "DRAFT: not signed off" in pdf_text(data)
    assert set(pdf_pages(data)) == {(595, 842)}


def test_missing_facts_are_named_on_the_page(app, journey_at, surgeon, sign_in):
    journey = journey_at("consultation", surgery_at=None, surgeon=None)
    staff = sign_in(surgeon)
    response = staff.get(f"/journeys/{journey.id}/discharge/draft.pdf")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "it needs the surgery date, the surgeon" in response.get_data(as_text=True)
    assert "discharge.download" not in actions()


def test_the_journey_page_lists_issued_versions(app, journey_at, surgeon, sign_in):
    journey = journey_at()
    staff = sign_in(surgeon)
    staff.post(f"/journeys/{journey.id}/discharge", form(issue="y"))
    staff.post(f"/journeys/{journey.id}/discharge", form(issue="y", extra_instructions="More."))
    page = staff.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert "Discharge sheet" in page
    assert "v1" in page and "v2" in page
