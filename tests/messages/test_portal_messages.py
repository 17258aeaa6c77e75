"""The patient writes to the care team from the portal, with wound photos cleaned on arrival."""

import io
import os

import sqlalchemy as sa
from PIL import Image

from tests.messages.conftest import GPS_TAG, jpeg_with_gps, png, send
from tracker.db import db
from tracker.messages.models import Conversation, Message, MessagePhoto


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_photo_loses_its_gps_and_camera_data_and_is_at_most_2048_px(recovering, invite, phone):
    journey = recovering()
    portal = phone()
    portal.open(invite(journey))
    response = send(portal, "Is this normal?", ("wound.jpg", jpeg_with_gps()))
    assert response.status_code == 303, response.get_data(as_text=True)
    photo = db.session.scalar(sa.select(MessagePhoto))
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.format == "JPEG"
    assert max(stored.size) == 2048 and (photo.width, photo.height) == stored.size
    assert not stored.getexif()
    assert GPS_TAG not in stored.getexif()
    assert "exif" not in stored.info and "icc_profile" not in stored.info
    assert b"PhoneMaker" not in photo.data and b"Exif" not in photo.data
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) <= 320
    page = portal.page("/portal/messages")
    assert "Is this normal?" in page
    assert f"/portal/messages/photos/{photo.id}/thumb" in page
    thumb = portal.get(f"/portal/messages/photos/{photo.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert thumb.headers["Cache-Control"] == "no-store"


def test_png_and_heic_are_taken(recovering, invite, phone):
    from pillow_heif import from_pillow

    journey = recovering()
    portal = phone()
    portal.open(invite(journey))
    heif = io.BytesIO()
    from_pillow(Image.new("RGB", (640, 480), (90, 60, 50))).save(heif, quality=60)
    response = send(portal, "Two photos", ("a.png", png()), ("IMG_0001.HEIC", heif.getvalue()))
    assert response.status_code == 303, response.get_data(as_text=True)
    formats = sorted(db.session.scalars(sa.select(MessagePhoto.original_format)))
    assert formats == ["heif", "png"]


def test_an_oversized_photo_is_refused_and_nothing_is_stored(recovering, invite, phone):
    journey = recovering()
    portal = phone()
    portal.open(invite(journey))
    big = b"\xff\xd8\xff\xe0" + os.urandom(10 * 1024 * 1024 + 10)
    response = send(portal, "Big one", ("ok.jpg", jpeg_with_gps((50, 50))), ("big.jpg", big))
    assert response.status_code == 422
    assert "larger than 10 MB" in response.get_data(as_text=True)
    assert (_count(Message), _count(MessagePhoto), _count(Conversation)) == (0, 0, 0)


def test_a_disguised_file_is_refused_and_nothing_is_stored(recovering, invite, phone):
    journey = recovering()
    portal = phone()
    portal.open(invite(journey))
    for name, content in (
        ("wound.jpg", b"%PDF-1.7\n" + b"x" * 2000),
        ("wound.png", b"<html><script>alert(1)</script></html>"),
        ("wound.jpg", b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 50),
    ):
        response = send(portal, "Look", (name, content))
        assert response.status_code == 422, name
        body = response.get_data(as_text=True)
        assert "Only photos can be sent" in body or "could not be read" in body
    assert (_count(Message), _count(MessagePhoto)) == (0, 0)


def test_more_than_three_photos_are_refused(recovering, invite, phone):
    journey = recovering()
    portal = phone()
    portal.open(invite(journey))
    photos = [(f"p{n}.png", png((20, 20))) for n in range(4)]
    response = send(portal, "Four", *photos)
    assert response.status_code == 422
    assert _count(Message) == 0


def test_the_page_gives_the_reply_time_and_the_warning_signs(recovering, invite, phone):
    journey = recovering()
    portal = phone()
    portal.open(invite(journey))
    page = portal.page("/portal/messages")
    assert "within one working day" in page
    assert 'href="/portal/advice"' in page
    assert 'name="photos"' in page and 'enctype="multipart/form-data"' in page
