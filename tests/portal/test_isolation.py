"""Every portal route of patient A, requested with patient B's portal session: nothing of A's."""

import re

import sqlalchemy as sa

from tests.portal.conftest import csrf_from
from tracker.clock import utcnow
from tracker.db import db
from tracker.portal import services
from tracker.portal.models import Alert, CheckIn, MilestoneRecord, PortalInvitation


def snapshot(journey):
    def rows(model, *order):
        return [
            tuple(r)
            for r in db.session.execute(
                sa.select(model.__table__).where(model.journey_id == journey.id).order_by(*order)
            )
        ]

    return (
        rows(CheckIn, CheckIn.id),
        rows(MilestoneRecord, MilestoneRecord.id),
        rows(Alert, Alert.id),
        rows(PortalInvitation, PortalInvitation.id),
    )


def test_patient_b_gets_nothing_of_patient_a_and_changes_nothing(app, recovering, invite, phone):
    a = recovering(days_ago=6, given_name="Alicia", family_name="Aardvark", mrn="MRN-A-1")
    b = recovering(days_ago=6, given_name="Bima", family_name="Badak", mrn="MRN-B-2")
    phone_a, phone_b = phone(), phone()
    phone_a.open(invite(a))
    phone_b.open(invite(b))
    phone_a.check_in(back_pain="5", leg_pain="5")
    db.session.expire_all()
    a_invitation = services.active_invitation(a, now=utcnow())
    a_check_in = services.check_ins(a)[0]
    values = {
        "check_in_id": a_check_in.id,
        "appointment_id": a.appointments[0].id,
        "key": "desk_work",
        "token": "x" * 43,  # A's token is never known to B; a wrong one must not help
        "feed": services.feed_key(a_invitation),
    }
    before = snapshot(a)
    a_marks = [a.patient.family_name, a.patient.mrn, "Alicia"]
    token = csrf_from(phone_b.page("/portal/"))
    seen = 0
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "portal.sign_out")
    for rule in rules:  # signing out last, so every other route runs signed in as B
        if not rule.endpoint.startswith("portal."):
            continue
        if rule.endpoint == "portal.feed":
            continue  # the feed stands on its own secret, not on a session; tested in calendar
        url = rule.rule
        for arg in rule.arguments:
            value = values["key" if arg == "key" else arg]
            url = re.sub(rf"<(?:\w+:)?{arg}>", str(value), url)
        for method in sorted(rule.methods & {"GET", "POST"}):
            data = {
                "csrf_token": token,
                "back_pain": "9",
                "leg_pain": "9",
                "took_pain_medicine": "yes",
                "idempotency_key": "b" * 32,
                "desk_work-when": "today",
                "language": "en",
            }
            response = (
                phone_b.client.get(url) if method == "GET" else phone_b.client.post(url, data=data)
            )
            seen += 1
            body = response.get_data(as_text=True)
            for mark in a_marks:
                assert mark not in body, (method, url)
            if rule.endpoint in ("portal.appointment_ics", "portal.check_in_advice"):
                assert response.status_code == 404
    assert seen >= 15
    db.session.expire_all()
    assert snapshot(a) == before
    # What B did landed on B's own journey.
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(CheckIn).where(CheckIn.journey_id == b.id)
        )
        == 1
    )
    # A is still signed in and sees their own data.
    assert "Alicia" in phone_a.page("/portal/")
