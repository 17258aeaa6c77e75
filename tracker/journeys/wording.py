"""What a patient reads about their appointments, in their language, from the pathway's data.

The pathway template carries each appointment's title and place in English and Indonesian, and
the procedure's name. Staff pages show the stored title and place, in the staff member's
language while they are still the pathway's own (:func:`staff_title`). An appointment a person
booked by hand is named by its kind for the patient (the free-text title is the staff's own
wording).
"""

from flask_babel import force_locale, get_locale

from tracker.i18n import gettext as _
from tracker.i18n import lazy_gettext as _l
from tracker.journeys.models import Appointment
from tracker.pathways import memory

KIND_TITLES = {
    "consultation": _l("Consultation"),
    "pre_op": _l("Pre-operative assessment"),
    "surgery": _l("Surgery"),
    "follow_up": _l("Follow-up appointment"),
    "other": _l("Appointment at the clinic"),
}
#: the places the pathways have always used, for template versions that name them in English only
KNOWN_PLACES = {
    "Operating theatre": _l("Operating theatre"),
    "Outpatient clinic": _l("Outpatient clinic"),
}


def _definition(appt: Appointment) -> dict:
    """The appointment's pathway definition: this process's parsed copy when the list loaded
    the template without it (``TEMPLATE_LABEL``), so a list reads no definitions."""
    return memory.fill(appt.journey.template).definition


def _spec(appt: Appointment) -> dict | None:
    for stage in _definition(appt)["stages"]:
        for spec in stage.get("appointments", []):
            if spec["key"] == appt.key:
                return spec
    return None


def _pick(value, language: str) -> str | None:
    if isinstance(value, dict):
        return value.get(language) or value.get("en")
    return value


def kind_title(kind: str, language: str) -> str:
    with force_locale(language):
        return str(KIND_TITLES.get(kind, KIND_TITLES["other"]))


def appointment_title(appt: Appointment, language: str) -> str:
    """The pathway's title of the appointment; the procedure's name for the surgery."""
    definition = _definition(appt)
    if appt.key == "surgery":
        return _pick(definition.get("name"), language) or appt.title
    spec = _spec(appt)
    if spec is not None:
        return _pick(spec["title"], language) or appt.title
    return kind_title(appt.kind, language)


def appointment_location(appt: Appointment, language: str) -> str:
    """The place in ``language`` while it is still the pathway's; a place staff typed as is."""
    definition = _definition(appt)
    if appt.key == "surgery":
        planned = definition.get("surgery_location") or "Operating theatre"
    else:
        spec = _spec(appt) or {}
        planned = spec.get("location")
    if planned and appt.location == _pick(planned, "en"):
        if isinstance(planned, dict):
            return _pick(planned, language) or appt.location
        if appt.location in KNOWN_PLACES:
            with force_locale(language):
                return str(KNOWN_PLACES[appt.location])
    return appt.location


def _reader_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def surgery_title(template_name: str, language: str | None = None) -> str:
    """The surgery appointment's title as staff read it ("Surgery: <procedure>"), in
    ``language`` (by default, and most cheaply, the reader's)."""
    if language is None or language == _reader_language():
        return _("Surgery: %(name)s", name=template_name)
    with force_locale(language):
        return _("Surgery: %(name)s", name=template_name)


def staff_title(appt: Appointment, language: str | None = None) -> str:
    """The title staff gave or kept, in ``language`` (the reader's) while it is the pathway's."""
    language = language or _reader_language()
    definition = _definition(appt)
    if appt.key == "surgery":
        name = appt.journey.template.name
        if appt.title != surgery_title(name, "en"):
            return appt.title
        return surgery_title(_pick(definition.get("name"), language) or name, language)
    spec = _spec(appt) if appt.key else None
    if spec is not None and appt.title == _pick(spec["title"], "en"):
        return _pick(spec["title"], language) or appt.title
    return appt.title


def staff_location(appt: Appointment, language: str | None = None) -> str:
    """The place, in the reader's language while it is still the pathway's."""
    return appointment_location(appt, language or _reader_language())
