import base64
import hashlib

import sqlalchemy as sa

from tests.portal.conftest import csrf_from
from tracker.audit.models import AuditEvent
from tracker.clock import utcnow
from tracker.db import db
from tracker.portal import services
from tracker.portal.models import PortalInvitation, PortalLink


def test_token_is_long_random_and_stored_only_hashed(recovering, coordinator):
    journey = recovering()
    invitation, token = services.issue_invitation(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    link = db.session.scalar(sa.select(PortalLink))
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (link.invitation_id, link.via) == (invitation.id, "in_person")
    for table in (PortalInvitation.__table__, PortalLink.__table__, AuditEvent.__table__):
        for row in db.session.execute(sa.select(table)):
            assert token not in " ".join(str(value) for value in row)
    assert services.invitation_link(token).endswith(f"/portal/i/{token}")


def test_opening_the_link_does_not_sign_in(recovering, invite, phone):
    journey = recovering()
    token = invite(journey)
    patient = phone()
    page = patient.get(f"/portal/i/{token}")
    assert page.status_code == 200
    assert "Continue" in page.get_data(as_text=True)
    assert journey.patient.family_name not in page.get_data(as_text=True)
    assert patient.get("/portal/").status_code == 401
    assert db.session.scalar(sa.select(PortalInvitation.last_used_at)) is None


def test_continue_exchanges_the_token_and_lands_on_a_clean_url(recovering, invite, phone):
    journey = recovering()
    token = invite(journey)
    patient = phone()
    response = patient.open(token)
    assert response.headers["Location"] == "/portal/"
    assert token not in response.headers["Location"]
    home = patient.get("/portal/")
    assert home.status_code == 200
    assert f"Hello, {journey.patient.given_name}" in home.get_data(as_text=True)
    assert db.session.scalar(sa.select(PortalInvitation.last_used_at)) is not None


def test_dead_links_get_one_page_that_reveals_nothing(recovering, invite, phone, coordinator):
    journey = recovering()
    revoked = invite(journey)
    live = invite(journey)  # re-issuing revokes the first
    expired_journey = recovering()
    expired = invite(expired_journey)
    row = db.session.scalar(
        sa.select(PortalInvitation).where(PortalInvitation.journey_id == expired_journey.id)
    )
    row.expires_at = utcnow()
    db.session.commit()
    bodies = []
    for token in (revoked, expired, "not-a-real-token-" + "x" * 30):
        patient = phone()
        first = patient.get(f"/portal/i/{token}")
        again = patient.client.post(
            f"/portal/i/{token}", data={"csrf_token": csrf_from(first.get_data(as_text=True))}
        )
        for response in (first, again):
            assert response.status_code == 404
            text = response.get_data(as_text=True)
            assert "This link does not work" in text
            assert journey.patient.given_name not in text
            assert expired_journey.patient.given_name not in text
            bodies.append(text.split("<main", 1)[1].split("</main>")[0])
        assert patient.get("/portal/").status_code == 401
    assert len(set(bodies)) == 1
    assert phone().open(live)


def test_withdrawing_the_link_ends_the_session(recovering, invite, phone, coordinator):
    journey = recovering()
    patient = phone()
    patient.open(invite(journey))
    assert patient.get("/portal/").status_code == 200
    services.revoke_invitations(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    assert patient.get("/portal/").status_code == 401
    assert patient.get("/portal/check-in").status_code == 401


def test_many_wrong_tokens_are_rate_limited(app, database_url, recovering, invite):
    from tracker import create_app

    journey = recovering()
    token = invite(journey)
    limited = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "PORTAL_TOKEN_RATE_LIMIT": "5 per 15 minutes",
        }
    )
    with limited.app_context():
        client = limited.test_client()
        # Opening one's own link again and again is not guessing.
        for _ in range(8):
            assert client.get(f"/portal/i/{token}").status_code == 200
        statuses = [client.get(f"/portal/i/wrong-{n:040d}").status_code for n in range(7)]
        assert statuses[:5] == [404] * 5
        assert statuses[5:] == [429, 429]
        blocked = client.get(f"/portal/i/{token}")
        assert blocked.status_code == 429
        assert "Please wait a few minutes" in blocked.get_data(as_text=True)
        # Another address is not affected.
        other = limited.test_client()
        assert (
            other.get(f"/portal/i/{token}", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code
            == 200
        )
        db.session.remove()
        db.engine.dispose()


def test_staff_issue_shows_the_link_once_with_a_qr_code(app, recovering, coordinator, client):
    from tests.web.conftest import Browser

    journey = recovering()
    staff = Browser(client)
    assert staff.sign_in(coordinator).status_code == 302
    url = f"/journeys/{journey.id}/portal/invite"
    response = staff.post(url, {"show_link": "y"}, page=url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    shown = response.get_data(as_text=True)
    assert "/portal/i/" in shown and "<svg" in shown
    token = shown.split("/portal/i/", 1)[1].split('"', 1)[0]
    assert services.find_invitation(token, now=utcnow()) is not None
    # The link is in this answer only: not in the staff session, not in the database.
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert token not in repr(session)
    assert "/portal/i/" not in client.get(f"/journeys/{journey.id}").get_data(as_text=True)
    # Withdraw: the link stops working.
    page = f"/journeys/{journey.id}"
    assert staff.post(f"/journeys/{journey.id}/portal/revoke", page=page).status_code == 303
    assert services.find_invitation(token, now=utcnow()) is None


def test_inviting_ticks_the_journeys_invite_task(recovering, coordinator):
    journey = recovering()
    task = next(t for t in journey.tasks if t.key == "portal_invited")
    assert task.status == "open"
    services.issue_invitation(journey, actor=coordinator, now=utcnow())
    db.session.commit()
    assert (task.status, task.done_by_id) == ("done", coordinator.id)
    services.issue_invitation(journey, actor=coordinator, now=utcnow())  # a new link: no error
