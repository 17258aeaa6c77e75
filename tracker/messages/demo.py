"""The demo's conversations: a wound photo waiting for an answer, an answered question, a
question waiting over a working day (on the dashboard), and a daughter with caregiver access
who checks in and writes for her father. One step of :data:`tracker.demo.steps.STEPS`.
"""

import io
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFilter

from tracker.db import db
from tracker.journeys.models import Journey
from tracker.messages import services
from tracker.messages.models import Message
from tracker.patients.models import Patient
from tracker.portal import caregivers
from tracker.portal import services as portal

CAREGIVER_PHONE = "+62 812 5550 1234"


def messages_done(demo) -> bool:
    return db.session.scalar(sa.select(Message.id).limit(1)) is not None


def _wound_photo() -> bytes:
    """A made-up phone photo of a small healing incision (skin, a pink line, two stitches)."""
    image = Image.new("RGB", (1600, 1200), (222, 178, 150))
    draw = ImageDraw.Draw(image)
    draw.ellipse((560, 470, 1040, 730), fill=(230, 160, 150))
    draw.line((620, 600, 980, 600), fill=(150, 50, 60), width=14)
    for x in (720, 880):
        draw.line((x, 560, x, 640), fill=(40, 40, 60), width=6)
    image = image.filter(ImageFilter.GaussianBlur(3))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"  # the camera data the upload loses
    image.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def _recovering(demo) -> list[Journey]:
    return list(
        db.session.scalars(
            sa.select(Journey)
            .join(Patient)
            .where(
                Patient.mrn.like("DEMO-%"),
                Journey.status == "active",
                Journey.stage == "follow_up",
                Journey.surgery_at <= demo.now - timedelta(days=3),
            )
            .order_by(Journey.surgery_at.desc(), Journey.id)
        )
    )


def create_messages(demo) -> Iterator[None]:
    coordinator = demo.staff("citra")
    journeys = _recovering(demo)
    if not journeys:
        return
    photo_journey = journeys[0]
    services.send_from_patient(
        photo_journey,
        "Is this normal? The wound is a little pink around the edge since yesterday.",
        [_wound_photo()],
        now=demo.now - timedelta(hours=3),
    )
    yield
    if len(journeys) > 1:
        asked = journeys[1]
        services.send_from_patient(
            asked, "When may I drive again?", [], now=demo.now - timedelta(days=2, hours=5)
        )
        services.reply(
            asked,
            "",
            saved="driving",
            actor=coordinator,
            now=demo.now - timedelta(days=2, hours=2),
        )
    if len(journeys) > 2:
        waiting = journeys[2]
        services.send_from_patient(
            waiting,
            "The pain in my leg came back a little after walking. Should I worry?",
            [],
            now=demo.now - timedelta(days=4),
        )
    yield
    father = journeys[-1]
    caregiver, _invited = caregivers.invite_caregiver(
        father,
        caregivers.CaregiverDetails("Dewi", "daughter", phone=CAREGIVER_PHONE),
        send_by=[],
        show_link=True,
        actor=coordinator,
        now=demo.now - timedelta(days=2),
    )
    values = portal.CheckInValues(
        back_pain=3,
        leg_pain=2,
        took_pain_medicine=False,
        idempotency_key=f"demo-caregiver-{father.id}",
    )
    portal.record_check_in(father, values, now=demo.now - timedelta(hours=5), caregiver=caregiver)
    services.send_from_patient(
        father,
        "My father's dressing came loose in the shower. Should we put on a new one?",
        [],
        now=demo.now - timedelta(hours=5),
        caregiver=caregiver,
    )
    yield
