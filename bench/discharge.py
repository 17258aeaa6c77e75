"""Discharge sheet rendering time: one sheet, and today's batch of 50, as PDF.

    .venv/bin/python bench/discharge.py [--count 50] [--size a4|letter]

Builds a scratch SQLite database in a temporary directory, loads the pathway templates, starts
``--count`` journeys discharged today (each with three medicines), issues one sheet, then times:
the HTML of one sheet (content + Jinja), one PDF (WeasyPrint), a reprint of the issued sheet, and
the batch PDF of all of today's discharges (``batch_pdf``, the code behind the one-click
download). Prints seconds and pages. Not a test.
"""

import argparse
import io
import statistics
import sys
import tempfile
import time as clock
from datetime import date, time, timedelta
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth.models import StaffUser  # noqa: E402
from tracker.clock import utcnow  # noqa: E402
from tracker.db import db  # noqa: E402
from tracker.discharge import pdf, services  # noqa: E402
from tracker.journeys.services import JourneyDetails, advance, start_journey  # noqa: E402
from tracker.pathways.services import latest_template, load_directory  # noqa: E402
from tracker.patients.models import Patient  # noqa: E402
from tracker.timeutil import at_local, clinic_tz  # noqa: E402

MEDS = [
    {"name": "Paracetamol", "dose": "1 g", "frequency": "every 6 hours", "until": "5 days"},
    {"name": "Ibuprofen", "dose": "400 mg", "frequency": "3 times a day", "until": "7 days"},
    {"name": "Lactulose", "dose": "15 ml", "frequency": "twice a day", "until": "as needed"},
]


def seed(count: int) -> tuple[StaffUser, list]:
    now = utcnow()
    load_directory(now=now)
    template = latest_template("teld")
    coordinator = StaffUser(email="c@b.test", name="Cora", role="coordinator", password_hash="x")
    surgeon = StaffUser(
        email="s@b.test", name="Dr Sita Surgeon", role="clinician", password_hash="x", active=True
    )
    db.session.add_all([coordinator, surgeon])
    tz = clinic_tz()
    today = now.astimezone(tz).date()
    journeys = []
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
            consultation_date=today - timedelta(days=20),
            surgery_at=at_local(today, time(8, 30), tz),
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
        journeys.append(journey)
    db.session.commit()
    return surgeon, journeys


def timed(label: str, fn, repeat: int = 1):
    runs, result = [], None
    for _ in range(repeat):
        start = clock.perf_counter()
        result = fn()
        runs.append(clock.perf_counter() - start)
    median = statistics.median(runs)
    print(f"{label:<44} {median:8.3f} s" + (f"  (median of {repeat})" if repeat > 1 else ""))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--size", choices=sorted(pdf.PAGE_SIZES), default="a4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})
        with app.app_context(), app.test_request_context():
            upgrade(revision="heads")
            surgeon, journeys = seed(args.count)
            now = utcnow()
            first = journeys[0]
            timed(
                "warm-up (fonts, templates)",
                lambda: pdf.write_pdf([services.draft_fragment(first, now=now)], size=args.size),
            )
            fragment = timed(
                "one sheet: content + HTML",
                lambda: services.draft_fragment(first, now=now),
                repeat=5,
            )
            data = timed(
                "one sheet: PDF from HTML (WeasyPrint)",
                lambda: pdf.write_pdf([fragment], size=args.size),
                repeat=5,
            )
            sheet = services.issue_sheet(first, actor=surgeon, now=now)
            db.session.commit()
            timed(
                "reprint of an issued sheet (PDF)",
                lambda: pdf.write_pdf([sheet.html], size=args.size),
                repeat=5,
            )
            batch = timed(
                f"batch of today's {args.count} discharges (PDF)",
                lambda: services.batch_pdf(size=args.size, actor=surgeon, now=now),
            )
            db.session.rollback()
            pages = len(PdfReader(io.BytesIO(batch.pdf)).pages)
            print(
                f"one sheet: {len(PdfReader(io.BytesIO(data)).pages)} page(s); "
                f"batch: {len(batch.included)} sheets, {pages} pages, "
                f"{len(batch.pdf) / 1024:.0f} KiB"
            )


if __name__ == "__main__":
    main()
