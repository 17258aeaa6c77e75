"""Portal sessions are server-side records: sign-out, withdrawal, idle and absolute ends hold
even against a copied cookie, and staff can see and sign out a patient's devices."""

from datetime import timedelta

import sqlalchemy as sa

from tests.portal.conftest import Portal, csrf_from
from tests.web.conftest import Browser
from tracker.audit.models import AuditEvent
from tracker.clock import utcnow
from tracker.db import db
from tracker.portal import services
from tracker.portal.locale import PORTAL_COOKIE
from tracker.portal.models import CheckIn, PortalSession
from tracker.portal.sessions import _hash

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def cookie_of(phone: Portal) -> str:
    cookie = phone.client.get_cookie(PORTAL_COOKIE, path="/portal")
    assert cookie is not None, "no portal cookie"
    return cookie.value


def replay(app, value: str) -> Portal:
    """A second device that only has a copy of the cookie."""
    thief = Portal(app)
    thief.client.set_cookie(PORTAL_COOKIE, value, path="/portal")
    return thief


def sessions_of(journey) -> list[PortalSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(PortalSession)
            .where(PortalSession.patient_id == journey.patient_id)
            .order_by(PortalSession.id)
        )
    )


def test_the_cookie_holds_only_a_random_id_stored_hashed(app, recovering, invite, phone):
    journey = recovering()
    patient = phone()
    response = patient.open(invite(journey))
    value = cookie_of(patient)
    assert len(value) >= 43  # 256 bits
    header = next(h for h in response.headers.getlist("Set-Cookie") if PORTAL_COOKIE in h)
    assert "HttpOnly" in header and "Path=/portal" in header and "SameSite=Lax" in header
    (row,) = sessions_of(journey)
    assert row.token_hash == _hash(value) and value not in row.token_hash
    # The staff session cookie carries no portal sign-in: without the portal cookie, nothing.
    patient.client.delete_cookie(PORTAL_COOKIE, path="/portal")
    assert patient.get("/portal/").status_code == 401


def test_sign_out_ends_the_session_and_a_replayed_cookie_is_refused(app, recovering, invite, phone):
    journey = recovering()
    patient = phone()
    patient.open(invite(journey))
    copied = cookie_of(patient)
    page = patient.page("/portal/")
    signed_out = patient.client.post("/portal/sign-out", data={"csrf_token": csrf_from(page)})
    assert signed_out.status_code == 200
    assert PORTAL_COOKIE + "=;" in signed_out.headers["Set-Cookie"]  # the browser forgets it

    thief = replay(app, copied)
    assert thief.get("/portal/").status_code == 401
    assert thief.get("/portal/check-in").status_code == 401
    token = csrf_from(thief.get("/portal/").get_data(as_text=True))
    posted = thief.client.post(
        "/portal/check-in",
        data={"csrf_token": token, "back_pain": "9", "leg_pain": "9", "took_pain_medicine": "no"},
    )
    assert posted.status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0
    (row,) = sessions_of(journey)
    assert row.end_reason == "signed_out" and row.ended_at is not None
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "portal.sign_out", AuditEvent.patient_id == journey.patient_id
        )
    )


def test_withdrawing_access_ends_every_device(app, recovering, invite, phone, coordinator):
    journey = recovering()
    token = invite(journey)
    first, second = phone(), phone()
    first.open(token)
    second.open(token)
    copies = [cookie_of(first), cookie_of(second)]
    services.revoke_invitations(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    for value in copies:
        assert replay(app, value).get("/portal/").status_code == 401
    assert [row.end_reason for row in sessions_of(journey)] == ["withdrawn", "withdrawn"]


def test_a_session_ends_after_the_idle_days(app, clock, recovering, invite, phone):
    journey = recovering(days_ago=3)
    patient = phone()
    patient.open(invite(journey))
    clock.shift(timedelta(days=13, hours=23))
    assert patient.get("/portal/").status_code == 200  # used within 14 days: still good
    clock.shift(timedelta(days=14, minutes=1))
    assert patient.get("/portal/").status_code == 401
    (row,) = sessions_of(journey)
    assert row.end_reason == "idle"


def test_a_session_has_an_absolute_end_however_often_it_is_used(
    app, clock, recovering, invite, phone
):
    journey = recovering(days_ago=2)
    patient = phone()
    patient.open(invite(journey))
    for _ in range(4):
        clock.shift(timedelta(days=7))
        assert patient.get("/portal/").status_code == 200
    clock.shift(timedelta(days=3))  # 31 days after signing in
    assert patient.get("/portal/").status_code == 401
    (row,) = sessions_of(journey)
    assert row.end_reason == "expired"


def test_a_visit_is_noted_at_most_every_few_minutes(app, clock, recovering, invite, phone):
    journey = recovering()
    patient = phone()
    patient.open(invite(journey))
    (row,) = sessions_of(journey)
    first_seen = row.last_seen_at
    clock.shift(timedelta(minutes=1))
    patient.get("/portal/")
    assert sessions_of(journey)[0].last_seen_at == first_seen
    clock.shift(timedelta(minutes=6))
    patient.get("/portal/")
    assert sessions_of(journey)[0].last_seen_at > first_seen


def test_staff_see_the_devices_and_sign_them_out(
    app, recovering, invite, phone, client, coordinator
):
    journey = recovering()
    token = invite(journey)
    android, laptop = phone(), phone()
    android.client.environ_base["HTTP_USER_AGENT"] = PHONE_UA
    android.open(token)
    laptop.open(token)
    staff = Browser(client)
    staff.sign_in(coordinator)
    page = staff.get(f"/journeys/{journey.id}").get_data(as_text=True)
    assert "Signed-in devices" in page
    assert "Chrome on Android" in page

    android_row = sessions_of(journey)[0]
    response = staff.post(
        f"/journeys/{journey.id}/portal/devices/{android_row.id}/sign-out",
        page=f"/journeys/{journey.id}",
    )
    assert response.status_code == 303
    assert android.get("/portal/").status_code == 401
    assert laptop.get("/portal/").status_code == 200

    staff.post(f"/journeys/{journey.id}/portal/devices/sign-out", page=f"/journeys/{journey.id}")
    assert laptop.get("/portal/").status_code == 401
    assert {row.end_reason for row in sessions_of(journey)} == {"staff"}
    # The link itself still works: the patient signs in again.
    phone().open(token)
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.patient_id == journey.patient_id)
    ).all()
    assert actions.count("portal.device_sign_out") == 2


def test_another_patients_device_cannot_be_signed_out_through_this_journey(
    app, recovering, invite, phone, client, coordinator
):
    mine, theirs = recovering(), recovering()
    other = phone()
    other.open(invite(theirs))
    row = sessions_of(theirs)[0]
    staff = Browser(client)
    staff.sign_in(coordinator)
    response = staff.post(
        f"/journeys/{mine.id}/portal/devices/{row.id}/sign-out", page=f"/journeys/{mine.id}"
    )
    assert response.status_code == 404
    assert other.get("/portal/").status_code == 200
