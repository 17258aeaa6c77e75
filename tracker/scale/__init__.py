"""A clinic at scale: tens of thousands of generated patients over several years, fast.

``flask --app tracker demo --patients 100000`` (after the demo clinic) adds patients whose
journeys are at every stage: years of completed journeys, cancelled ones, today's operating list
and discharges, follow-ups, portal check-ins with the alerts they raise, reminders sent, failed
and still to go, and real discharge sheets for the last days' discharges. The same seed gives
the same clinic. Rows are written in bulk (``COPY`` on PostgreSQL) by worker processes; the
discharge sheets go through the discharge services, as a clinician would issue them.

Modules: ``people`` (who), ``stories`` (journeys, tasks, appointments), ``messages``
(reminders), ``portal`` (invitations, check-ins, milestones, alerts), ``conversations``
(secure messages with the care team), ``load`` (writing).
"""

import os
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from tracker.auth.models import StaffUser
from tracker.auth.services import create_user, user_by_email
from tracker.db import db
from tracker.demo.cases import DEMO_PASSWORD, STAFF, SURGEONS, TEMPLATE_SLUGS
from tracker.discharge import services as discharge
from tracker.journeys.models import Journey
from tracker.pathways.services import latest_template
from tracker.patients.models import Patient
from tracker.reminders.messages import system_text
from tracker.reminders.rendering import LINK_PLACEHOLDER
from tracker.scale import load
from tracker.scale.context import Context, Pathway, Person
from tracker.scale.people import MRN_PREFIX

#: more staff for a big clinic: (email, name, role, pathways operated)
EXTRA_STAFF = (
    ("rizal@demo.clinic", "dr. Rizal Hakim, Sp.BS", "clinician", ("teld", "il")),
    ("anita@demo.clinic", "dr. Anita Kusuma, Sp.OT", "clinician", ("teld",)),
    ("bram@demo.clinic", "dr. Bram Siregar, Sp.BS", "clinician", ("il",)),
    ("yosef@demo.clinic", "dr. Yosef Lim, Sp.BS", "clinician", ("teld", "il")),
    ("dina@demo.clinic", "Dina Marlina", "coordinator", ()),
    ("rahmat@demo.clinic", "Rahmat Hidayat", "coordinator", ()),
)
MEDICINES = (
    {"name": "Paracetamol", "dose": "1 g", "frequency": "every 6 hours", "until": "5 days"},
    {"name": "Ibuprofen", "dose": "400 mg", "frequency": "3 times a day", "until": "7 days"},
    {"name": "Gabapentin", "dose": "300 mg", "frequency": "at night", "until": "2 weeks"},
    {"name": "Lactulose", "dose": "15 ml", "frequency": "twice a day", "until": "as needed"},
    {"name": "Omeprazole", "dose": "20 mg", "frequency": "once a day", "until": "7 days"},
)


class ScaleError(RuntimeError):
    """The clinic cannot be generated here; the message says why."""


@dataclass
class Summary:
    patients: int
    rows: Counter = field(default_factory=Counter)
    sheets_issued: int = 0
    drafts: int = 0


def already_generated() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Patient.mrn.like(f"{MRN_PREFIX}%")))


def _staff(now: datetime) -> tuple[list[Person], dict[str, list[Person]]]:
    """The demo's staff and a few more; who coordinates and who operates on each pathway."""
    for email, name, role, _ in EXTRA_STAFF:
        if user_by_email(email) is None:
            create_user(email, name, role, DEMO_PASSWORD, now=now)
    db.session.flush()
    by_email = {u.email: u for u in db.session.scalars(sa.select(StaffUser))}
    demo_emails = {key: email for key, email, _, _ in STAFF}

    def person(email: str) -> Person:
        user = by_email.get(email)
        if user is None:
            raise ScaleError(f"Staff user {email} is missing; load the demo clinic first.")
        return Person(user.id, user.name)

    coordinators = [person(demo_emails["citra"]), person(demo_emails["nadia"])]
    coordinators += [person(e) for e, _, role, _ in EXTRA_STAFF if role == "coordinator"]
    surgeons = {key: [person(demo_emails[k]) for k in keys] for key, keys in SURGEONS.items()}
    for email, _, _, pathways in EXTRA_STAFF:
        for key in pathways:
            surgeons[key].append(person(email))
    return coordinators, surgeons


def _pathways() -> dict[str, Pathway]:
    out = {}
    for key, slug in TEMPLATE_SLUGS.items():
        template = latest_template(slug)
        if template is None:
            raise ScaleError(f"Pathway {slug} is not loaded; run `flask pathways load` first.")
        out[key] = Pathway(
            key, template.id, template.slug, template.version, template.name, template.definition
        )
    return out


def make_context(patients: int, *, seed: int, years: float, now: datetime) -> Context:
    config = current_app.config
    coordinators, surgeons = _staff(now)
    base = (config.get("PORTAL_BASE_URL") or "").rstrip("/")
    portal_url = config.get("PORTAL_URL") or (f"{base}/portal/" if base else "")
    return Context(
        now=now,
        seed=seed,
        patients=patients,
        span_days=max(1, round(years * 365)),
        clinic_tz=config["CLINIC_TIMEZONE"],
        pathways=_pathways(),
        coordinators=coordinators,
        surgeons=surgeons,
        bases=load.id_bases(db.session.connection()),
        config={
            "clinic_name": config["CLINIC_NAME"],
            "clinic_phone": config["CLINIC_PHONE"],
            "portal_link": {
                "en": portal_url or "the patient portal",
                "id": portal_url or "portal pasien",
            },
            "portal_base_url": base,
            "on_duty_email": config.get("ON_DUTY_EMAIL") or "on-duty@demo.clinic",
            "invitation_days": int(config.get("PORTAL_INVITATION_DAYS", 120)),
            # calendar feed keys are derived from it, as tracker.portal.services.feed_key does
            "secret_key": config["SECRET_KEY"],
            "quiet_hours": config.get("QUIET_HOURS"),
            # the stored copy of a message notice, as the dispatcher keeps it once sent
            "new_message": {
                language: _stored_text("new_message", language, config["CLINIC_NAME"])
                for language in ("en", "id")
            },
        },
    )


def _stored_text(message_key: str, language: str, clinic: str) -> tuple[str, str]:
    texts = system_text(message_key, language)
    values = {"clinic": clinic, "portal_link": LINK_PLACEHOLDER}
    return texts["subject"].format_map(values), texts["body"].format_map(values)


def build_clinic(
    patients: int,
    *,
    seed: int,
    years: float,
    now: datetime,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Generate ``patients`` patients in the current transaction; the caller commits."""
    if already_generated():
        raise ScaleError("This database already holds a generated clinic; start from an empty one.")
    ctx = make_context(patients, seed=seed, years=years, now=now)
    connection = db.session.connection()
    dialect = connection.dialect.name
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if patients >= 2 * load.CHUNK else 0
    config = current_app.config
    app_config = {
        key: config.get(key) for key in ("CLINIC_TIMEZONE", "QUIET_HOURS", "BABEL_DEFAULT_LOCALE")
    }
    write = load.writer(connection)
    summary = Summary(patients)
    sheets = []
    unchecked = load.skip_foreign_key_checks(connection)
    for chunk in load.chunks(ctx, workers, app_config, dialect):
        write(chunk)
        summary.rows.update(chunk.counts)
        sheets.extend(chunk.sheets)
        if progress is not None:
            progress(chunk.patients)
    if unchecked:
        load.check_foreign_keys_again(connection)
    load.move_sequences(connection)
    _discharge_sheets(sheets, seed, summary)
    if dialect == "postgresql":
        db.session.flush()
        connection.exec_driver_sql("ANALYZE")
    return summary


def settle() -> None:
    """After the commit: refresh the planner's statistics for so many new rows.

    PostgreSQL: ``VACUUM ANALYZE``, which autovacuum would run a while later (until then
    index-only scans visit the table too). SQLite: ``ANALYZE``, as ``PRAGMA optimize`` would.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(
            "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        )


def _discharge_sheets(sheets: list, seed: int, summary: Summary) -> None:
    """The last days' discharge sheets, drafted and issued through the discharge services."""
    rng = random.Random(seed)
    for journey_id, kind, at in sorted(sheets, key=lambda item: (item[2], item[0])):
        journey = db.session.get(Journey, journey_id)
        surgeon = journey.surgeon
        values = discharge.DraftValues(
            language=journey.patient.language,
            medications=[dict(m) for m in rng.sample(MEDICINES, rng.randint(1, 3))],
            extra_instructions="" if rng.random() < 0.7 else "Review the wound photo you sent.",
        )
        discharge.save_draft(journey, values, actor=surgeon, now=at)
        if kind == "issue":
            discharge.issue_sheet(journey, actor=surgeon, now=at)
            summary.sheets_issued += 1
        else:
            summary.drafts += 1
