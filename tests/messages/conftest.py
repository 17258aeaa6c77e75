"""Messages fixtures: the portal's phones and journeys, photos made in memory, signed-in staff."""

import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.portal.conftest import (  # noqa: F401  (fixtures)
    Portal,
    csrf_from,
    fresh_g_per_request,
    invite,
    phone,
    recovering,
)
from tests.reminders.conftest import sms_gateway  # noqa: F401  (fixture)
from tests.web.conftest import Browser

GPS_TAG = 0x8825


def jpeg_with_gps(size=(3000, 1200)) -> bytes:
    """A JPEG whose EXIF holds a GPS position, a camera make and an orientation."""
    image = Image.new("RGB", size, (200, 120, 110))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[GPS_TAG] = {1: "S", 2: (6.0, 12.0, 30.0), 3: "E", 4: (106.0, 49.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size=(400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def staff_browser(app, coordinator) -> Browser:
    browser = Browser(app.test_client())
    response = browser.sign_in(coordinator)
    assert response.status_code == 302
    return browser


def send(portal: Portal, body: str, *photos: tuple[str, bytes]):
    """Post a message with photos from the portal's messages page (multipart, as a phone does)."""
    token = csrf_from(portal.page("/portal/messages"))
    values = MultiDict([("csrf_token", token), ("body", body)])
    for name, content in photos:
        values.add("photos", FileStorage(io.BytesIO(content), filename=name, name="photos"))
    # Encoded here: the test client would spool a large body to a file it never closes.
    boundary, data = encode_multipart(values)
    return portal.client.post(
        "/portal/messages", data=data, content_type=f"multipart/form-data; boundary={boundary}"
    )
