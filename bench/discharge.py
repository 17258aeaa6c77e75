"""Discharge sheets as PDF: one sheet, and today's batch of 50, side by side.

    .venv/bin/python bench/discharge.py [--count 50] [--size a4|letter] [--workers N] [--long]

Builds a scratch SQLite database, starts ``--count`` journeys discharged today (each with three
medicines) and issues every sheet, then times: one sheet as PDF (WeasyPrint, in this process),
today's batch prepared the way the app does it (``discharge.jobs.prepare``: each sheet laid out
on its own by ``--workers`` processes, default one per CPU, then joined with pypdf), and the same
batch again once the issued sheets' PDFs are kept. ``--long`` also times the old way, one long
document of every sheet. Prints seconds, the batch's share of ``count`` single sheets, and
pages. Not a test.
"""

import argparse
import io
import os
import statistics
import tempfile
import time as clock
from datetime import date, time, timedelta

from common import machine
from flask_migrate import upgrade
from pypdf import PdfReader

from tracker import create_app
from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import db
from tracker.discharge import batch, jobs, pdf, services, today
from tracker.discharge.models import DischargeBatch, SheetPdf
from tracker.journeys.services import JourneyDetails, advance, start_journey
from tracker.pathways.services import latest_template, load_directory
from tracker.patients.models import Patient
from tracker.timeutil import at_local, clinic_tz

MEDS = [
    {"name": "Paracetamol", "dose": "1 g", "frequency": "every 6 hours", "until": "5 days"},
    {"name": "Ibuprofen", "dose": "400 mg", "frequency": "3 times a day", "until": "7 days"},
    {"name": "Lactulose", "dose": "15 ml", "frequency": "twice a day", "until": "as needed"},
]


def seed(count: int) -> StaffUser:
    """``count`` journeys going home today, every sheet signed off (half in Indonesian)."""
    now = utcnow()
    load_directory(now=now)
    template = latest_template("teld")
    coordinator = StaffUser(email="c@b.test", name="Cora", role="coordinator", password_hash="x")
    surgeon = StaffUser(
        email="s@b.test", name="Dr Sita Surgeon", role="clinician", password_hash="x", active=True
    )
    db.session.add_all([coordinator, surgeon])
    tz = clinic_tz()
    day = now.astimezone(tz).date()
    for n in range(count):
        patient = Patient(
            mrn=f"B{n:05d}",
            given_name=f"Bench{n}",
            family_name="Patient",
            birth_date=date(1960, 1, 1) + timedelta(days=97 * n),
            sex="female",
            language="id" if n % 2 else "en",
            timezone="Asia/Jakarta",
        )
        db.session.add(patient)
        details = JourneyDetails(
            condition="herniated_disc",
            levels="L5-S1",
            side="right",
            approach="transforaminal",
            anesthesia="general",
            consultation_date=day - timedelta(days=20),
            surgery_at=at_local(day, time(7, 30), tz),
            surgeon=surgeon,
        )
        journey = start_journey(patient, template, details, actor=coordinator, now=now)
        for _ in range(3):
            advance(journey, actor=coordinator, now=now, override_reason="bench")
        services.save_draft(
            journey,
            services.DraftValues(language=patient.language, medications=MEDS),
            actor=surgeon,
            now=now,
        )
        services.issue_sheet(journey, actor=surgeon, now=now)
    db.session.commit()
    return surgeon


def timed(fn) -> tuple[float, object]:
    started = clock.perf_counter()
    result = fn()
    return clock.perf_counter() - started, result


def prepare_batch(surgeon: StaffUser, size: str) -> DischargeBatch:
    prepared = today.start_batch(size=size, include_drafts=False, actor=surgeon, now=utcnow())
    db.session.commit()
    jobs.prepare(prepared.id)
    db.session.refresh(prepared)
    assert prepared.status == "ready", prepared.error
    return prepared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--size", choices=sorted(pdf.PAGE_SIZES), default="a4")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--long", action="store_true", help="also time one long document")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                "DISCHARGE_PDF_WORKERS": args.workers,
            }
        )
        with app.app_context(), app.test_request_context():
            upgrade(revision="heads")
            surgeon = seed(args.count)
            sheets = [s for _, s in today.plan_batch(utcnow()).items]
            documents = [batch.sheet_document(sheet, args.size) for sheet in sheets]
            print(f"{args.count} sheets, {args.workers} worker processes ({machine()})")
            batch.render(documents[:2], workers=args.workers)  # start the workers, load fonts
            batch.layout(documents[0])
            singles = [timed(lambda: batch.layout(documents[0]))[0] for _ in range(3)]
            single = statistics.median(singles)
            print(f"  one sheet as PDF               {single:7.2f} s  (median of 3)")
            cold, prepared = timed(lambda: prepare_batch(surgeon, args.size))
            print(
                f"  batch of {args.count}, laid out now     {cold:7.2f} s  "
                f"= {cold / (single * args.count):.2f} of {args.count} single sheets, "
                f"{prepared.pages} pages, {len(prepared.pdf) / 1024:.0f} KiB"
            )
            kept = db.session.query(SheetPdf).count()
            warm, again = timed(lambda: prepare_batch(surgeon, args.size))
            print(
                f"  batch of {args.count}, PDFs kept ({kept})    {warm:7.2f} s  "
                f"= {warm / (single * args.count):.2f} of {args.count} single sheets"
            )
            assert len(PdfReader(io.BytesIO(again.pdf)).pages) == prepared.pages
            if args.long:
                fragments = [sheet.html for sheet in sheets]
                long, data = timed(lambda: pdf.write_pdf(fragments, size=args.size))
                pages = len(PdfReader(io.BytesIO(data)).pages)
                print(f"  one long document (before)     {long:7.2f} s  ({pages} pages)")


if __name__ == "__main__":
    main()
