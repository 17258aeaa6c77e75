"""Today's discharges: who is listed, whose sheet still needs signing, and the day's PDF."""

import time
from datetime import timedelta

import sqlalchemy as sa

from tests.discharge.helpers import NOON, pdf_pages, pdf_text
from tracker.audit.models import AuditEvent
from tracker.clock import utcnow
from tracker.db import db
from tracker.discharge import batch as pdfs
from tracker.discharge import jobs, services, today
from tracker.discharge.models import DischargeBatch, SheetPdf
from tracker.journeys.services import advance, cancel

MEDS = [{"name": "Paracetamol", "dose": "1 g", "frequency": "every 6 hours", "until": "5 days"}]


def draft(journey, actor, now=NOON):
    return services.save_draft(
        journey, services.DraftValues(language="en", medications=MEDS), actor=actor, now=now
    )


def issue(journey, actor, now=NOON):
    draft(journey, actor, now)
    return services.issue_sheet(journey, actor=actor, now=now)


def test_only_patients_going_home_today_are_listed(app, journey_at, surgeon, coordinator):
    signed, drafted, nothing = journey_at(now=NOON), journey_at(now=NOON), journey_at(now=NOON)
    issue(signed, surgeon)
    draft(drafted, surgeon)
    tomorrow = journey_at(now=NOON, template="il")  # stays one night
    yesterday = journey_at(now=NOON, surgery_at=NOON - timedelta(days=1))  # planned yesterday
    home = journey_at("discharge", now=NOON, surgery_at=NOON - timedelta(days=3))
    advance(home, actor=coordinator, now=NOON, override_reason="Sheet given on paper.")
    gone = journey_at(now=NOON)
    cancel(gone, reason="Transferred to another hospital.", actor=coordinator, now=NOON)
    # planned to stay one night after yesterday's operation, but went home the same day
    early = journey_at(now=NOON, template="il", surgery_at=NOON - timedelta(days=1))
    advance(early, actor=coordinator, now=NOON - timedelta(hours=20), override_reason="Went home.")
    stayed = journey_at(now=NOON, template="il", surgery_at=NOON - timedelta(days=1))
    db.session.commit()

    leaving = {e.journey.id: e for e in today.overview(NOON)}
    assert set(leaving) == {signed.id, drafted.id, nothing.id, home.id, stayed.id}
    assert tomorrow.id not in leaving and yesterday.id not in leaving
    assert early.discharged_at < NOON - timedelta(hours=12) and early.id not in leaving
    assert leaving[signed.id].signed and leaving[signed.id].sheet.version == 1
    assert not leaving[drafted.id].signed and leaving[drafted.id].draft is not None
    assert leaving[nothing.id].draft is None and leaving[nothing.id].draft_printable


def test_the_batch_holds_signed_off_sheets_and_drafts_only_when_asked(app, journey_at, surgeon):
    signed, drafted = journey_at(now=NOON), journey_at(now=NOON)
    sheet = issue(signed, surgeon)
    draft(drafted, surgeon)
    unprintable = journey_at(now=NOON, surgeon=None)
    db.session.commit()

    plan = today.plan_batch(NOON)
    assert plan.items == [(signed, sheet)]
    reasons = {journey.id: why for journey, why in plan.left_out}
    assert "Not signed off yet" in reasons[drafted.id]
    assert "it needs the surgeon" in reasons[unprintable.id]
    with_drafts = today.plan_batch(NOON, include_drafts=True)
    assert with_drafts.items == [(signed, sheet), (drafted, None)]


def test_a_prepared_batch_is_one_pdf_and_its_download_is_audited(app, journey_at, surgeon):
    signed, drafted = journey_at(now=NOON), journey_at(now=NOON)
    issue(signed, surgeon)
    draft(drafted, surgeon)
    db.session.commit()

    only_signed = today.start_batch(size="letter", include_drafts=False, actor=surgeon, now=NOON)
    with_drafts = today.start_batch(size="letter", include_drafts=True, actor=surgeon, now=NOON)
    db.session.commit()
    jobs.prepare(only_signed.id)
    jobs.prepare(with_drafts.id)
    db.session.expire_all()
    assert (only_signed.status, only_signed.done, only_signed.total) == ("ready", 1, 1)
    text = pdf_text(only_signed.pdf)
    assert signed.patient.mrn in text and drafted.patient.mrn not in text
    assert "DRAFT: not signed off" not in text
    assert set(pdf_pages(only_signed.pdf)) == {(612, 792)}
    assert only_signed.pages == len(pdf_pages(only_signed.pdf))
    both = pdf_text(with_drafts.pdf)
    assert signed.patient.mrn in both and drafted.patient.mrn in both
    assert "DRAFT: not signed off" in both

    today.record_download(with_drafts, actor=surgeon, now=NOON)
    db.session.commit()
    downloads = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "discharge.download")
    ).all()
    assert {e.patient_id for e in downloads} == {signed.patient_id, drafted.patient_id}
    assert all(e.details["batch"] and e.details["size"] == "letter" for e in downloads)
    assert {e.details["draft"] for e in downloads} == {True, False}


def test_an_issued_sheet_is_laid_out_once_and_kept(app, journey_at, surgeon):
    journey = journey_at(now=NOON)
    sheet = issue(journey, surgeon)
    db.session.commit()
    first = today.start_batch(size="a4", include_drafts=False, actor=surgeon, now=NOON)
    db.session.commit()
    jobs.prepare(first.id)
    kept = db.session.scalars(sa.select(SheetPdf)).all()
    assert [(k.sheet_id, k.size) for k in kept] == [(sheet.id, "a4")]
    # The next batch and a single download reuse the kept file, byte for byte.
    second = today.start_batch(size="a4", include_drafts=False, actor=surgeon, now=NOON)
    db.session.commit()
    jobs.prepare(second.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetPdf)) == 1
    assert pdfs.sheet_pdf(sheet, "a4", now=NOON) == kept[0].pdf
    assert pdf_text(kept[0].pdf) in pdf_text(second.pdf)


def test_sheets_laid_out_in_worker_processes_match(app, journey_at, surgeon):
    journeys = [journey_at(now=NOON) for _ in range(3)]
    sheets = [issue(j, surgeon) for j in journeys]
    db.session.commit()
    documents = [pdfs.sheet_document(sheet, "a4") for sheet in sheets]
    done = []
    parallel = pdfs.render(documents, workers=2, progress=done.append)
    assert sorted(done) == [0, 1, 2]
    alone = pdfs.render(documents, workers=0)
    assert [pages for _, pages in parallel] == [pages for _, pages in alone]
    assert [pdf_text(data) for data, _ in parallel] == [pdf_text(data) for data, _ in alone]
    joined, pages = pdfs.concatenate([data for data, _ in parallel])
    assert pages == sum(p for _, p in parallel)
    assert all(j.patient.mrn in pdf_text(joined) for j in journeys)


def test_the_page_names_who_still_needs_a_sheet_signed(app, clock, journey_at, surgeon, sign_in):
    signed, drafted, nothing = journey_at(), journey_at(), journey_at()
    now = utcnow()
    issue(signed, surgeon, now)
    draft(drafted, surgeon, now)
    db.session.commit()
    staff = sign_in(surgeon)
    page = staff.get("/discharge/today").get_data(as_text=True)
    needs = page[page.index("Still need a sheet signed") : page.index("Signed off: in today")]
    assert drafted.patient.full_name in needs and nothing.patient.full_name in needs
    assert "Draft waiting for sign-off" in needs and "No sheet yet" in needs
    assert signed.patient.full_name not in needs
    assert "2 still need a sheet signed" in page

    response = staff.post("/discharge/today/batch", {"size": "a4"}, page="/discharge/today")
    assert response.status_code == 303
    batch_page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ready:" in batch_page and "Download the PDF" in batch_page
    prepared = db.session.scalars(sa.select(DischargeBatch)).one()
    download = staff.get(f"/discharge/batches/{prepared.id}.pdf")
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    text = pdf_text(download.data)
    assert signed.patient.mrn in text and drafted.patient.mrn not in text


def test_drafts_are_printed_only_when_asked_for(app, clock, journey_at, surgeon, sign_in):
    drafted = journey_at()
    draft(drafted, surgeon, utcnow())
    db.session.commit()
    staff = sign_in(surgeon)
    refused = staff.post("/discharge/today/batch", {"size": "a4"}, page="/discharge/today")
    assert refused.status_code == 303 and refused.headers["Location"].endswith(
        "/discharge/today?size=a4"
    )
    assert "No discharge sheet of today" in staff.get("/discharge/today").get_data(as_text=True)
    asked = staff.post(
        "/discharge/today/batch", {"size": "a4", "drafts": "y"}, page="/discharge/today"
    )
    assert asked.status_code == 303
    prepared = db.session.scalars(sa.select(DischargeBatch)).one()
    text = pdf_text(staff.get(f"/discharge/batches/{prepared.id}.pdf").data)
    assert drafted.patient.mrn in text and "DRAFT: not signed off" in text


def test_a_batch_prepared_in_the_background_shows_progress(
    app, clock, journey_at, surgeon, sign_in
):
    app.config["DISCHARGE_BATCH_IN_BACKGROUND"] = True
    for _ in range(2):
        issue(journey_at(), surgeon, utcnow())
    db.session.commit()
    staff = sign_in(surgeon)
    response = staff.post("/discharge/today/batch", {"size": "a4"}, page="/discharge/today")
    url = response.headers["Location"]
    for _ in range(600):
        page = staff.get(url).get_data(as_text=True)
        if "Ready:" in page:
            break
        assert "Preparing the PDF" in page and 'http-equiv="refresh"' in page
        time.sleep(0.1)  # the real thread, laying out the sheets
    assert "Ready:</strong> 2 sheets" in page
    prepared = db.session.scalars(sa.select(DischargeBatch)).one()
    assert staff.get(f"/discharge/batches/{prepared.id}.pdf").mimetype == "application/pdf"


def test_a_stalled_batch_can_be_prepared_again(app, clock, journey_at, surgeon, sign_in):
    issue(journey_at(), surgeon, utcnow())
    db.session.commit()
    stuck = today.start_batch(size="a4", include_drafts=False, actor=surgeon, now=utcnow())
    db.session.commit()
    staff = sign_in(surgeon)
    assert "Preparing the PDF" in staff.get(f"/discharge/batches/{stuck.id}").get_data(as_text=True)
    clock.shift(jobs.STALLED + timedelta(seconds=5))
    page = staff.get(f"/discharge/batches/{stuck.id}").get_data(as_text=True)
    assert "stopped before it was done" in page and "Prepare it again" in page
    assert staff.get(f"/discharge/batches/{stuck.id}.pdf").status_code == 303


def test_the_old_download_address_leads_to_the_page(app, journey_at, surgeon, sign_in):
    staff = sign_in(surgeon)
    response = staff.get("/discharge/today.pdf?size=letter")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/discharge/today?size=letter")


def test_a_template_version_s_discharge_section_is_checked_once(app, journey_at, monkeypatch):
    """Today's list asks for every patient going home whether their pathway's discharge
    instructions are complete: each template version (its checksum) is checked once."""
    from tracker.discharge import content, defaults
    from tracker.pathways.models import PathwayTemplate

    checked = []
    real = defaults.problem

    def counting(section):
        checked.append(section)
        return real(section)

    monkeypatch.setattr(defaults, "problem", counting)
    monkeypatch.setattr(content, "_PROBLEMS", {})
    first, second = journey_at(), journey_at()
    assert first.template_id == second.template_id
    assert content.template_problem(first.template) is None
    assert content.template_problem(second.template) is None
    assert len(checked) == 1
    broken = PathwayTemplate(checksum="0" * 64, definition={"discharge": {"wound": []}})
    assert content.template_problem(broken) == "lifting_limit_kg must be a number of 0 or more"
    assert content.template_problem(broken) is not None
    assert len(checked) == 2
