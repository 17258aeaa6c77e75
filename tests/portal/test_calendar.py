from datetime import timedelta

import sqlalchemy as sa
from icalendar import Calendar

from tracker.clock import utcnow
from tracker.db import db
from tracker.journeys.models import Appointment
from tracker.journeys.services import cancel_appointment, update_appointment
from tracker.portal import services


def events(data: bytes):
    cal = Calendar.from_ical(data)
    return cal, [c for c in cal.walk("VEVENT")]


def follow_ups(journey):
    return list(
        db.session.scalars(
            sa.select(Appointment)
            .where(Appointment.journey_id == journey.id, Appointment.kind == "follow_up")
            .order_by(Appointment.starts_at)
        )
    )


def test_an_appointment_file_keeps_its_uid_and_raises_sequence(
    recovering, invite, phone, coordinator
):
    journey = recovering(days_ago=2)
    patient = phone()
    patient.open(invite(journey))
    appt = follow_ups(journey)[0]
    url = f"/portal/appointments/{appt.id}.ics"
    first = patient.get(url)
    assert first.status_code == 200
    assert first.headers["Content-Type"].startswith("text/calendar")
    cal, (event,) = events(first.data)
    assert str(cal["method"]) == "PUBLISH"
    assert cal.walk("VTIMEZONE"), "a VTIMEZONE for the clinic's zone"
    assert event["dtstart"].dt.tzinfo is not None
    assert str(event["dtstart"].params["TZID"]) == "Asia/Jakarta"
    uid, sequence = str(event["uid"]), int(event["sequence"])

    update_appointment(
        appt, {"starts_at": appt.starts_at + timedelta(days=1)}, actor=coordinator, now=utcnow()
    )
    db.session.commit()
    _, (moved,) = events(patient.get(url).data)
    assert str(moved["uid"]) == uid
    assert int(moved["sequence"]) > sequence
    assert moved["dtstart"].dt == (appt.starts_at).astimezone(moved["dtstart"].dt.tzinfo)

    cancel_appointment(appt, reason="Patient travelling", actor=coordinator, now=utcnow())
    db.session.commit()
    cal, (cancelled,) = events(patient.get(url).data)
    assert str(cal["method"]) == "CANCEL"
    assert str(cancelled["status"]) == "CANCELLED"
    assert str(cancelled["uid"]) == uid
    assert int(cancelled["sequence"]) > int(moved["sequence"])


def test_the_subscribable_feed_needs_no_session_and_dies_with_the_link(
    recovering, invite, phone, coordinator, app
):
    journey = recovering(days_ago=2, language="id")
    patient = phone()
    patient.open(invite(journey))
    page = patient.page("/portal/calendar")
    feed = page.split('id="feed-url"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    path = feed.split("://", 1)[1].split("/", 1)[1]
    response = app.test_client().get(f"/{path}")  # a calendar app: no cookie
    assert response.status_code == 200
    _, items = events(response.data)
    assert len(items) == len(journey.appointments)
    assert any("Pemeriksaan luka" in str(e["summary"]) for e in items)
    services.revoke_invitations(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    assert app.test_client().get(f"/{path}").status_code == 404
