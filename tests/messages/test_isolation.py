"""A patient (or a caregiver) never reads another patient's messages or photos, on any route."""

import re

import sqlalchemy as sa

from tests.messages.conftest import csrf_from, jpeg_with_gps, send
from tracker.clock import utcnow
from tracker.db import db
from tracker.messages.models import Message, MessagePhoto
from tracker.portal import caregivers


def _values(photo_id: int, conversation_id: int) -> dict:
    return {"photo_id": photo_id, "conversation_id": conversation_id, "journey_id": 1}


def test_no_route_gives_patient_b_or_bs_caregiver_anything_of_patient_a(
    app, recovering, invite, phone, coordinator
):
    a = recovering(given_name="Alicia", family_name="Aardvark", mrn="MRN-A-1")
    b = recovering(given_name="Bima", family_name="Badak", mrn="MRN-B-2")
    phone_a = phone()
    phone_a.open(invite(a))
    assert send(phone_a, "Secret of Alicia", ("w.jpg", jpeg_with_gps((300, 200)))).status_code
    photo = db.session.scalar(sa.select(MessagePhoto))
    message = db.session.scalar(sa.select(Message))
    _cg, invited = caregivers.invite_caregiver(
        b,
        caregivers.CaregiverDetails("Citra", "daughter", phone="+62 812 0000 1111"),
        send_by=[],
        show_link=True,
        actor=coordinator,
        now=utcnow(),
    )
    db.session.commit()
    clients = {"patient B": phone(), "caregiver of B": phone()}
    clients["patient B"].open(invite(b))
    clients["caregiver of B"].open(invited.token)
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith(("portal_messages.", "messages.", "messages_api."))
        or r.endpoint == "portal.access"
    ]
    assert len(rules) >= 12
    seen = 0
    for who, portal in clients.items():
        token = csrf_from(portal.page("/portal/messages"))
        for rule in rules:
            url = rule.rule
            for arg in rule.arguments:
                value = _values(photo.id, message.conversation_id)[arg]
                url = re.sub(rf"<(?:\w+:)?{arg}>", str(value), url)
            for method in sorted(rule.methods & {"GET", "POST"}):
                data = {"csrf_token": token, "body": "hi", "review": "needs_visit"}
                response = (
                    portal.client.get(url)
                    if method == "GET"
                    else portal.client.post(url, data=data)
                )
                seen += 1
                raw = response.get_data()
                assert b"Alicia" not in raw and b"Aardvark" not in raw, (who, method, url)
                assert photo.data[:200] not in raw and photo.thumbnail[:200] not in raw
                if "photos" in url and method == "GET":
                    assert response.status_code in (401, 404), (who, url, response.status_code)
    assert seen > 20
    db.session.expire_all()
    assert db.session.get(MessagePhoto, photo.id).review is None
    # A still reads their own.
    assert "Secret of Alicia" in phone_a.page("/portal/messages")
    assert phone_a.get(f"/portal/messages/photos/{photo.id}").status_code == 200


def test_a_staff_photo_url_needs_a_clinical_session_or_token(
    app, recovering, invite, phone, api_headers, make_user
):
    from tests.web.conftest import Browser

    journey = recovering()
    portal = phone()
    portal.open(invite(journey))
    send(portal, "look", ("w.jpg", jpeg_with_gps((300, 200))))
    photo = db.session.scalar(sa.select(MessagePhoto))
    url = f"/messages/photos/{photo.id}"
    assert app.test_client().get(url).status_code == 401
    assert portal.get(url).status_code == 401  # the portal cookie is no staff session
    bad = app.test_client().get(url, headers={"Authorization": "Bearer trk_nope"})
    assert bad.status_code == 401
    admin = Browser(app.test_client())
    admin.sign_in(make_user("admin"))
    assert admin.get(url).status_code == 403
    good = app.test_client().get(url, headers=api_headers())
    assert good.status_code == 200 and good.mimetype == "image/jpeg"
    assert good.headers["Cache-Control"] == "no-store"
    assert good.data == photo.data
