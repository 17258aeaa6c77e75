"""Appointment titles on staff lists: worded for each reader from the pathway, without the list
reading any pathway definition (the process keeps each version's parsed copy)."""

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.journeys import wording
from tracker.journeys.models import Appointment, Journey
from tracker.pathways.models import TEMPLATE_LABEL


def _as_a_list_loads_them(journey_id: int) -> list[Appointment]:
    db.session.expunge_all()
    return list(
        db.session.scalars(
            sa.select(Appointment)
            .where(Appointment.journey_id == journey_id)
            .options(
                joinedload(Appointment.journey)
                .joinedload(Journey.template)
                .load_only(*TEMPLATE_LABEL)
            )
            .order_by(Appointment.starts_at)
        )
    )


def test_titles_on_a_list_read_no_pathway_definition(app, make_journey, count_queries):
    journey = make_journey()
    appointments = _as_a_list_loads_them(journey.id)
    with app.test_request_context("/"), count_queries() as statements:
        with force_locale("en"):
            english = {a.key: wording.staff_title(a) for a in appointments}
        with force_locale("id"):
            indonesian = {a.key: wording.staff_title(a) for a in appointments}
            places = {a.key: wording.staff_location(a) for a in appointments}
    assert statements == []
    assert english["surgery"] == "Surgery: Transforaminal endoscopic lumbar discectomy"
    assert english["preop_visit"] == "Pre-operative assessment"
    assert indonesian["surgery"] == "Operasi: Diskektomi lumbal endoskopik transforaminal"
    assert indonesian["preop_visit"] == "Pemeriksaan pra-operasi"
    assert places["surgery"] == "Kamar operasi"


def test_a_retyped_surgery_title_stays_as_staff_wrote_it(app, make_journey):
    journey = make_journey()
    surgery = next(a for a in journey.appointments if a.key == "surgery")
    surgery.title = "Surgery: L5-S1, Dr Sita"
    db.session.commit()
    (appointment,) = [a for a in _as_a_list_loads_them(journey.id) if a.key == "surgery"]
    with app.test_request_context("/"), force_locale("id"):
        assert wording.staff_title(appointment) == "Surgery: L5-S1, Dr Sita"
        assert wording.staff_title(appointment, "en") == "Surgery: L5-S1, Dr Sita"
