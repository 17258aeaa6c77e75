"""Wound photos: check what an upload really is, then keep only its pixels.

An upload is read by its content, never by its name or the browser's type: JPEG, PNG and HEIC
(iPhones, through pillow-heif) are taken; anything else, or anything over ``MAX_BYTES``, is
refused with a message for the patient and nothing is stored. What is kept is a new JPEG of the
pixels, turned upright, at most ``MAX_SIDE`` px, written without any metadata (no EXIF, GPS,
camera, ICC or XMP data), and a small thumbnail of it.
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from tracker.errors import ValidationFailed
from tracker.i18n import gettext as _

register_heif_opener()

MAX_PHOTOS = 3
MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2048
THUMB_SIDE = 320
#: decoded pixels at most (a small file may still unpack into an enormous image)
MAX_PIXELS = 50_000_000
#: what Pillow calls each type taken
FORMATS = {"JPEG": "jpeg", "PNG": "png", "HEIF": "heif"}
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


@dataclass
class CleanPhoto:
    data: bytes
    thumbnail: bytes
    width: int
    height: int
    original_format: str


def sniff(head: bytes) -> str | None:
    """The type a file's first bytes say it is (JPEG, PNG, HEIF), or None."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed.on("photos", message)


def _jpeg(image: Image.Image, side: int, quality: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: nothing of the original's info or EXIF comes along.
    clean = Image.new("RGB", copy.size)
    clean.paste(copy)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue(), clean.width, clean.height


def clean_photo(data: bytes) -> CleanPhoto:
    """The upload as a metadata-free JPEG (and thumbnail); ValidationFailed when refused."""
    if len(data) > MAX_BYTES:
        raise _refuse(_("A photo is larger than 10 MB. Please send a smaller one."))
    kind = sniff(data[:32])
    if kind is None:
        raise _refuse(_("Only photos can be sent (JPEG, PNG or HEIC)."))
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(_("A photo is too large. Please send a smaller one."))
            image.load()
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("A photo could not be read. Please take it again.")) from None
    body, width, height = _jpeg(upright, MAX_SIDE, 85)
    thumb, _w, _h = _jpeg(upright, THUMB_SIDE, 75)
    return CleanPhoto(body, thumb, width, height, FORMATS[kind])


def clean_photos(uploads: list[bytes]) -> list[CleanPhoto]:
    """Every upload cleaned, or one refusal for all (so nothing is stored)."""
    if len(uploads) > MAX_PHOTOS:
        raise _refuse(_("Send at most %(n)d photos with one message.", n=MAX_PHOTOS))
    return [clean_photo(data) for data in uploads]
