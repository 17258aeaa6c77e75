"""The demo's patients at home: the recovering ones invited to the portal and logging pain
(with a fever, a setback and one who stopped), then the on-duty list and urgent alerts, one
worked by a coordinator and a red flag nobody has acknowledged yet. Two steps, and the
helpers the later steps share (:func:`recovering_journeys`, :func:`check_in`)."""

import random
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa

from tracker.db import db
from tracker.demo.cases import SEED
from tracker.demo.context import Demo
from tracker.journeys.models import Journey
from tracker.on_duty import services as on_duty
from tracker.on_duty.models import OnDutyContact
from tracker.patients.models import Patient
from tracker.portal import alerts as portal_alerts
from tracker.portal import links as portal_links
from tracker.portal import services as portal
from tracker.portal.alerts import run_daily_checks
from tracker.portal.models import Alert, CheckIn
from tracker.reminders.notices import patient_channel


def portal_done(demo: Demo) -> bool:
    first = sa.select(CheckIn.id).join(Patient, CheckIn.patient_id == Patient.id)
    return db.session.scalar(first.where(Patient.mrn.like("DEMO-%")).limit(1)) is not None


def recovering_cases(demo: Demo) -> int:
    """How many demo patients are recovering at home (the size of the check-in step)."""
    return sum(1 for case in demo.cases if case.stage in ("discharge", "follow_up"))


def recovering_journeys(demo: Demo) -> list[Journey]:
    """Active demo journeys whose surgery is over: the patients who log pain at home."""
    query = (
        sa.select(Journey)
        .join(Patient)
        .where(
            Patient.mrn.like("DEMO-%"),
            Journey.status == "active",
            Journey.stage.in_(("discharge", "follow_up")),
            Journey.surgery_at <= demo.now,
        )
        .order_by(Journey.surgery_at.desc())
    )
    return list(db.session.scalars(query))


def create_portal_activity(demo: Demo) -> Iterator[None]:
    """Invite the recovering patients and let them log pain: a falling leg-pain curve for most,
    a fever yesterday for one, a painful setback for another, one who stopped checking in."""
    coordinator = demo.staff("citra")
    rng = random.Random(SEED + 5)
    recovering = recovering_journeys(demo)
    days_out = {
        j.id: (demo.today - j.surgery_at.astimezone(demo.tz).date()).days for j in recovering
    }
    later = [j.id for j in recovering if days_out[j.id] >= 7]
    fever = next((j.id for j in recovering if days_out[j.id] >= 1), None)
    setback = later[0] if later else None
    stopped = later[1] if len(later) > 1 else None
    for journey in recovering:
        surgery_day = journey.surgery_at.astimezone(demo.tz).date()
        days = min(days_out[journey.id], 14)
        invited_at = min(journey.surgery_at + timedelta(hours=6), demo.now)
        channel = patient_channel(journey.patient)
        if journey.stage == "discharge" and channel:
            # Going home today: the link goes by their channel when the dispatcher next runs.
            portal_links.invite(
                journey, send_by=[channel], show_link=False, actor=coordinator, now=invited_at
            )
        else:
            portal.issue_invitation(journey, actor=coordinator, now=invited_at)
        baseline_leg, baseline_back = 7, rng.randint(4, 6)  # leg 7.6 before TELD (CLINICAL.md)
        consult = demo.at(journey.consultation_date, "10:30")
        check_in(journey, consult, baseline_back, baseline_leg, True, staff=coordinator)
        last = days - 4 if journey.id == stopped else days
        for day in range(0, last + 1):
            at = min(
                demo.at(surgery_day + timedelta(days=day), "09:00", rng.randint(0, 240)), demo.now
            )
            leg = round(baseline_leg * 0.75 ** (day + 1) + rng.uniform(-0.5, 1))
            back = round(baseline_back * 0.85 ** (day + 1) + rng.uniform(-0.5, 1))
            flags = {"flag_fever"} if journey.id == fever and day == days - 1 else set()
            if journey.id == setback and day >= days - 1:
                leg += 5  # leg pain back after early relief
            if journey.id == stopped:
                leg += 2  # still sore when the check-ins stopped: not settled, so missed
            check_in(journey, at, back, leg, day < 7, flags=flags)
        yield
    run_daily_checks(now=demo.now)


def check_in(journey, at, back, leg, medicine, *, flags=frozenset(), staff=None) -> None:
    values = portal.CheckInValues(
        back_pain=max(0, min(10, back)),
        leg_pain=max(0, min(10, leg)),
        took_pain_medicine=medicine,
        idempotency_key=f"demo-{journey.id}-{at:%Y%m%d%H%M}",
        flags=set(flags),
    )
    portal.record_check_in(journey, values, now=at, staff=staff)


#: who hears about urgent alerts in the demo (the SMS stand-in or the outbox receives them),
#: and the language of their messages
ON_DUTY = (
    ("on_duty", "Surgeon on call (dr. Hartono)", "+6281100000001", "en"),
    ("on_duty", "Ward nurse station", "ward@demo.clinic", "id"),
    ("escalation", "Head of the spine service (dr. Maya)", "+6281100000009", "en"),
)


def reach_done(demo: Demo) -> bool:
    return db.session.scalar(sa.select(OnDutyContact.id).limit(1)) is not None


def create_reach(demo: Demo) -> Iterator[None]:
    """The on-duty list, the fever alert worked by a coordinator, and a red flag just now: a
    patient at home reported saddle numbness a few minutes ago, nobody has acknowledged it yet."""
    admin, coordinator = demo.staff("admin"), demo.staff("citra")
    opened = demo.now - timedelta(days=30)
    for tier, name, address, language in ON_DUTY:
        on_duty.add_contact(tier, name, address, actor=admin, now=opened, language=language)
    yield
    fever = db.session.scalar(
        sa.select(Alert).join(Patient).where(Patient.mrn.like("DEMO-%"), Alert.kind == "red_flag")
    )
    if fever is not None:
        seen = min(fever.created_at + timedelta(minutes=9), demo.now)
        portal_alerts.acknowledge(fever, actor=coordinator, now=seen)
        portal_alerts.resolve(
            fever,
            "Called: 38.2 °C, wound dry. Paracetamol, recheck tomorrow; call if above 38.5 °C.",
            actor=coordinator,
            now=min(seen + timedelta(minutes=12), demo.now),
        )
    recovering = [j for j in recovering_journeys(demo) if j.stage == "follow_up"]
    if recovering:
        journey = recovering[len(recovering) // 2]
        check_in(
            journey,
            demo.now - timedelta(minutes=4),
            3,
            4,
            True,
            flags={"flag_saddle"},
        )
    yield
