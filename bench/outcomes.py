"""Outcomes report time at clinic scale: the report, its CSV, one journey's outcome, the dashboard.

    .venv/bin/python bench/outcomes.py [--journeys 100000] [--sqlite]

Builds a scratch database (a fresh PostgreSQL database on the server of
``TRACKER_TEST_DATABASE_URL``, dropped afterwards; ``--sqlite`` for a temporary SQLite file),
bulk-inserts ``--journeys`` operated TELD journeys spread over two years, each with a baseline
and the follow-up questionnaires whose windows have passed (ODI, back and leg pain) and eight
daily check-ins, then times each read twice and prints seconds: the report itself, and the
report page's and the API's read (above ``OUTCOMES_REPORT_LIVE_LIMIT`` journeys the kept
report, see ``tracker/outcomes/snapshots.py``). Not a test.
"""

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth.models import StaffUser  # noqa: E402
from tracker.clock import clinic_today, utcnow  # noqa: E402
from tracker.db import db  # noqa: E402
from tracker.journeys.models import Journey, StageTransition  # noqa: E402
from tracker.outcomes import catalogue, export, report, snapshots, status  # noqa: E402
from tracker.outcomes.models import Instrument, QuestionnaireResponse  # noqa: E402
from tracker.outcomes.patient import journey_outcomes  # noqa: E402
from tracker.pathways.services import latest_template, load_directory  # noqa: E402
from tracker.patients.models import Patient  # noqa: E402
from tracker.portal.models import CheckIn  # noqa: E402

CHUNK = 5000


def make_database(server: str):
    url = make_url(server)
    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(table), rows[start : start + CHUNK])


def seed(count: int) -> None:
    now = utcnow()
    rng = random.Random(7)
    load_directory(now=now)
    catalogue.load_directory(now=now)
    template = latest_template("teld")
    surgeon = StaffUser(email="s@b.test", name="Dr Bench", role="clinician", password_hash="x")
    db.session.add(surgeon)
    db.session.flush()
    instruments = {i.key: i.id for i in db.session.scalars(sa.select(Instrument))}
    patients, journeys, steps, responses, check_ins = [], [], [], [], []
    for n in range(count):
        operated = now - timedelta(days=rng.randint(1, 730), hours=rng.randint(0, 8))
        patients.append(
            {"id": n + 1, "mrn": f"B{n:07d}", "given_name": "Bench", "family_name": f"P{n}",
             "birth_date": date(1970, 1, 1), "sex": "female", "language": "id",
             "timezone": "Asia/Jakarta", "consent_email": False, "consent_sms": False,
             "created_at": now, "updated_at": now}
        )  # fmt: skip
        home = operated + timedelta(hours=rng.choice((5, 6, 7, 26)))
        journeys.append(
            {"id": n + 1, "patient_id": n + 1, "template_id": template.id,
             "condition": "herniated_disc", "levels": "L4-L5", "side": "left",
             "approach": "transforaminal", "anesthesia": "local_sedation",
             "surgeon_id": surgeon.id, "consultation_date": (operated - timedelta(30)).date(),
             "surgery_at": operated, "discharged_at": home, "stage": "follow_up",
             "status": "completed", "started_at": operated - timedelta(30)}
        )  # fmt: skip
        steps.append(
            {"journey_id": n + 1, "from_stage": "preparation", "to_stage": "procedure",
             "at": operated - timedelta(minutes=90), "override": False}
        )  # fmt: skip
        days_out = (now - operated).days
        base_odi = rng.randint(40, 80)
        for timepoint, day, factor in (("baseline", -3, 1), ("6w", 42, 0.45), ("3m", 90, 0.3),
                                       ("12m", 365, 0.2)):  # fmt: skip
            if day > days_out or rng.random() < 0.15:
                continue
            at = operated + timedelta(days=day)
            values = {"odi": round(base_odi * factor), "leg_pain": round(8 * factor),
                      "back_pain": round(6 * factor)}  # fmt: skip
            for key, value in values.items():
                responses.append(
                    {"journey_id": n + 1, "patient_id": n + 1, "instrument_id": instruments[key],
                     "instrument_key": key, "timepoint": timepoint, "status": "completed",
                     "score": float(value), "missing": 0, "entered_by": "patient",
                     "source": "portal", "started_at": at, "completed_at": at, "updated_at": at}
                )  # fmt: skip
        for day in range(0, min(days_out, 15), 2):
            at = operated + timedelta(days=day, hours=2)
            check_ins.append(
                {"journey_id": n + 1, "patient_id": n + 1, "day": (at + timedelta(hours=7)).date(),
                 "recorded_at": at, "back_pain": rng.randint(0, 6), "leg_pain": rng.randint(0, 7),
                 "took_pain_medicine": False, "flag_weakness": False, "flag_saddle": False,
                 "flag_fever": False, "flag_wound": False, "entered_by": "patient",
                 "idempotency_key": f"b{n}-{day}"}
            )  # fmt: skip
    for table, rows in (
        (Patient.__table__, patients),
        (Journey.__table__, journeys),
        (StageTransition.__table__, steps),
        (QuestionnaireResponse.__table__, responses),
        (CheckIn.__table__, check_ins),
    ):
        insert(table, rows)
    if db.engine.dialect.name == "postgresql":
        for table in ("patients", "journeys"):
            db.session.execute(
                sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
            )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    print(f"{count} journeys, {len(responses)} questionnaire answers, {len(check_ins)} check-ins")


def timed(label: str, run) -> None:
    for attempt in (1, 2):
        started = time.perf_counter()
        run()
        print(f"{label:<38} {'first' if attempt == 1 else 'again':<6} "
              f"{time.perf_counter() - started:7.2f} s")  # fmt: skip
        db.session.rollback()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    server = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if args.sqlite or not server:
        folder = tempfile.mkdtemp()
        url, drop = f"sqlite:///{folder}/bench.sqlite", lambda: None
    else:
        url, drop = make_database(server)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
    try:
        with app.app_context():
            upgrade()
            seed(args.journeys)
            now = utcnow()
            today = clinic_today(now)
            filters = report.ReportFilters(pathway="teld")
            timed("report (teld, all dates)", lambda: report.build(filters, now=now, today=today))
            last_year = report.ReportFilters(surgery_from=today - timedelta(days=365))
            timed("report (surgery in the last year)",
                  lambda: report.build(last_year, now=now, today=today))  # fmt: skip
            # The page: summed up on every view up to OUTCOMES_REPORT_LIVE_LIMIT journeys, above
            # it read from the kept report (made in the background, here made first).
            shown = snapshots.for_page(filters, now=now)
            db.session.commit()
            if shown.start is not None:
                snapshots.make(shown.start)
            timed(f"report page ({'kept' if shown.start else 'summed up'})",
                  lambda: snapshots.for_page(filters, now=now))  # fmt: skip
            timed("API report (kept, as the page)",
                  lambda: snapshots.for_reader(filters, now=now))  # fmt: skip
            timed("CSV, one row per journey",
                  lambda: sum(len(chunk) for chunk in export.lines(filters, now=now)))  # fmt: skip
            journey = db.session.get(Journey, args.journeys // 2)
            timed("one journey's outcome", lambda: journey_outcomes(journey))
            timed("dashboard: overdue questionnaires", lambda: status.overdue(today, now))
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
        drop()


if __name__ == "__main__":
    main()
