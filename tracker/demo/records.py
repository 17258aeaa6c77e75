"""What the demo's records carry beyond the journey: the discharge sheets handed out, pain
scores taken by phone at the 6-week review, who opened which record (the audit trail counts
reads) and the phones signed in to the portal. Two steps."""

import random
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa

from tracker.audit.services import record_read
from tracker.db import db
from tracker.demo.cases import SEED
from tracker.demo.context import Demo
from tracker.demo.portal import check_in, recovering_journeys
from tracker.discharge import services as discharge
from tracker.discharge.models import DischargeSheet
from tracker.journeys.models import Journey
from tracker.patients.models import Patient
from tracker.portal import services as portal
from tracker.portal import sessions as portal_sessions
from tracker.portal.models import PortalSession


def records_done(demo: Demo) -> bool:
    first = sa.select(DischargeSheet.id).join(Journey).join(Patient)
    return db.session.scalar(first.where(Patient.mrn.like("DEMO-%")).limit(1)) is not None


def records_size(demo: Demo) -> int:
    return sum(1 for case in demo.cases if case.stage in ("discharge", "follow_up"))


def create_records(demo: Demo) -> Iterator[None]:
    """What a FHIR or research export carries beyond the journey: the discharge sheets handed
    out (one corrected the next day, so a version is superseded) and the pain scores taken by
    phone at the 6-week review."""
    rng = random.Random(SEED + 7)
    reissued = False
    for journey in recovering_journeys(demo):
        given = next((t for t in journey.tasks if t.key == "discharge_sheet"), None)
        if given is not None and given.status == "done" and journey.surgeon is not None:
            medicines = [dict(MEDICINES[0]), dict(MEDICINES[1])]
            values = discharge.DraftValues(language=journey.patient.language, medications=medicines)
            discharge.save_draft(journey, values, actor=journey.surgeon, now=given.done_at)
            discharge.issue_sheet(journey, actor=journey.surgeon, now=given.done_at)
            if not reissued and given.done_at + timedelta(days=1) < demo.now:
                later = given.done_at + timedelta(days=1)
                values.medications.append(dict(MEDICINES[2]))
                discharge.save_draft(journey, values, actor=journey.surgeon, now=later)
                discharge.issue_sheet(journey, actor=journey.surgeon, now=later)
                reissued = True
        surgery_day = journey.surgery_at.astimezone(demo.tz).date()
        review = surgery_day + timedelta(days=42)
        if review < demo.today:
            at = demo.at(review, "09:30", rng.randint(0, 60))
            leg, back = rng.randint(0, 2), rng.randint(1, 3)
            check_in(journey, at, back, leg, False, staff=demo.staff("nadia"))
        yield


MEDICINES = (
    {"name": "Paracetamol", "dose": "1 g", "frequency": "every 6 hours", "until": "5 days"},
    {"name": "Ibuprofen", "dose": "400 mg", "frequency": "3 times a day", "until": "7 days"},
    {"name": "Omeprazole", "dose": "20 mg", "frequency": "once a day", "until": "7 days"},
)


def reads_done(demo: Demo) -> bool:
    return db.session.scalar(sa.select(PortalSession.id).limit(1)) is not None


#: a phone and a laptop, as browsers name themselves
_DEVICES = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
)


def create_reads_and_devices(demo: Demo) -> Iterator[None]:
    """Who opened which record over the last days (the audit trail counts reads), and the
    recovering patients' phones signed in to the portal (the journey page lists them)."""
    rng = random.Random(SEED + 12)
    staff = [demo.staff(key) for key in ("citra", "nadia", "hartono", "maya", "daniel")]
    journeys = db.session.scalars(
        sa.select(Journey).join(Patient).where(Patient.mrn.like("DEMO-%")).order_by(Journey.id)
    ).all()
    for journey in journeys:
        for _ in range(rng.randint(1, 3)):
            when = demo.now - timedelta(days=rng.randint(0, 6), minutes=rng.randint(0, 600))
            who = rng.choice(staff)
            action = rng.choice(("patient.view", "journey.view", "journey.view"))
            obj = journey.patient if action == "patient.view" else journey
            event = record_read(action, obj, actor=who, patient_id=journey.patient_id, now=when)
            event.ip_address = f"10.20.0.{rng.randint(20, 60)}"
        invitation = portal.active_invitation(journey, now=demo.now)
        if invitation is not None:
            first = min(invitation.created_at + timedelta(hours=2), demo.now)
            device, _token = portal_sessions.start(
                invitation, now=first, user_agent=rng.choice(_DEVICES), ip="182.253.14.7"
            )
            device.last_seen_at = max(first, demo.now - timedelta(hours=rng.randint(1, 30)))
        yield
