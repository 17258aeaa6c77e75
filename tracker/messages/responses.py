"""How a stored photo leaves the server: a JPEG, never cached anywhere."""

from flask import Response

from tracker.messages.models import MessagePhoto


def photo_response(photo: MessagePhoto, *, thumb: bool) -> Response:
    response = Response(photo.thumbnail if thumb else photo.data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'inline; filename="photo-{photo.id}.jpg"'
    return response
