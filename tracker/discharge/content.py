"""Merge a pathway template's discharge defaults, the journey and the clinician's additions
into the content of one sheet: a plain dict, every text already in the sheet's language."""

from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date, format_time
from flask import current_app, has_request_context, request

from tracker.discharge import defaults
from tracker.discharge.models import DischargeDraft
from tracker.journeys.models import Appointment, Journey
from tracker.journeys.wording import appointment_location, appointment_title
from tracker.pathways.models import PathwayTemplate
from tracker.timeutil import clinic_tz

#: bumped when the shape of the content changes, so stored sheets can be read later
CONTENT_SCHEMA = 1
LONG_DATE = "EEEE d MMMM y"
SHORT_DATE = "EEE d MMM y"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Going home after your spine operation",
        "subtitle": "Discharge instructions",
        "patient": "Patient",
        "name": "Name",
        "mrn": "MRN",
        "birth_date": "Date of birth",
        "your_operation": "Your operation",
        "procedure": "Procedure",
        "levels": "Level",
        "side": "Side",
        "approach": "Approach",
        "anesthesia": "Anaesthesia",
        "surgeon": "Surgeon",
        "surgery_date": "Date of operation",
        "discharge_date": "Going home",
        "emergency_title": "EMERGENCY: go to the nearest emergency department now",
        "emergency_intro": "Do not wait for an appointment or a call back if you have any of "
        "these. They can be signs of cauda equina syndrome (pressure on the nerves at the "
        "bottom of the spine), which must be treated within hours.",
        "emergency_after": "Say that you have just had spine surgery, and show this sheet.",
        "call_title": "Call the clinic on {phone} if you have",
        "call_after": "If you cannot reach the clinic, go to an emergency department.",
        "wound": "Wound care and washing",
        "activity": "Activity: what you may do, and from when",
        "when": "When",
        "what": "What",
        "pain": "Pain",
        "medications": "Your medicines",
        "med_name": "Medicine",
        "med_dose": "Dose",
        "med_frequency": "How often",
        "med_until": "Until",
        "no_medications": "No medicines were listed for you. Ask us before you start or stop "
        "any medicine.",
        "extra": "Other instructions from your doctor",
        "follow_ups": "Your follow-up appointments",
        "appt_date": "Date",
        "appt_time": "Time",
        "appt_what": "Appointment",
        "appt_where": "Where",
        "portal": "Tell us how you are, from home",
        "portal_text": "Scan the code, or type this address, to record your back and leg pain "
        "each day:",
        "questions": "Questions? Call {clinic} on {phone}.",
        "issued": "Signed off by {by}, {at} · version {version}",
        "draft_banner": "DRAFT: not signed off. Not to be given to the patient.",
        "draft_mark": "DRAFT",
        "from_now": "From now",
        "from_day": "From day {day}",
        "until_week": "Until week {week}",
        "from_week": "From week {week}",
    },
    "id": {
        "title": "Pulang setelah operasi tulang belakang Anda",
        "subtitle": "Petunjuk pulang",
        "patient": "Pasien",
        "name": "Nama",
        "mrn": "No. RM",
        "birth_date": "Tanggal lahir",
        "your_operation": "Operasi Anda",
        "procedure": "Tindakan",
        "levels": "Level",
        "side": "Sisi",
        "approach": "Pendekatan",
        "anesthesia": "Pembiusan",
        "surgeon": "Dokter bedah",
        "surgery_date": "Tanggal operasi",
        "discharge_date": "Tanggal pulang",
        "emergency_title": "DARURAT: segera pergi ke IGD terdekat",
        "emergency_intro": "Jangan menunggu jadwal kontrol atau telepon balik bila Anda "
        "mengalami salah satu hal berikut. Ini bisa menjadi tanda sindrom cauda equina "
        "(tekanan pada saraf di ujung bawah tulang belakang), yang harus ditangani dalam "
        "hitungan jam.",
        "emergency_after": "Katakan bahwa Anda baru menjalani operasi tulang belakang, dan "
        "tunjukkan lembar ini.",
        "call_title": "Hubungi klinik di {phone} bila Anda mengalami",
        "call_after": "Bila klinik tidak dapat dihubungi, pergilah ke IGD.",
        "wound": "Perawatan luka dan mandi",
        "activity": "Aktivitas: apa yang boleh dilakukan, dan mulai kapan",
        "when": "Kapan",
        "what": "Apa",
        "pain": "Nyeri",
        "medications": "Obat Anda",
        "med_name": "Obat",
        "med_dose": "Dosis",
        "med_frequency": "Seberapa sering",
        "med_until": "Sampai",
        "no_medications": "Tidak ada obat yang dicantumkan untuk Anda. Tanyakan kepada kami "
        "sebelum memulai atau menghentikan obat apa pun.",
        "extra": "Petunjuk lain dari dokter Anda",
        "follow_ups": "Jadwal kontrol Anda",
        "appt_date": "Tanggal",
        "appt_time": "Jam",
        "appt_what": "Janji",
        "appt_where": "Tempat",
        "portal": "Kabari kami kondisi Anda dari rumah",
        "portal_text": "Pindai kode, atau ketik alamat ini, untuk mencatat nyeri punggung dan "
        "tungkai Anda setiap hari:",
        "questions": "Ada pertanyaan? Hubungi {clinic} di {phone}.",
        "issued": "Disetujui oleh {by}, {at} · versi {version}",
        "draft_banner": "DRAFT: belum disetujui. Jangan diberikan kepada pasien.",
        "draft_mark": "DRAFT",
        "from_now": "Mulai sekarang",
        "from_day": "Mulai hari ke-{day}",
        "until_week": "Sampai minggu ke-{week}",
        "from_week": "Mulai minggu ke-{week}",
    },
}

SIDES = {
    "en": {"left": "Left", "right": "Right", "bilateral": "Both sides", "central": "Central"},
    "id": {"left": "Kiri", "right": "Kanan", "bilateral": "Kedua sisi", "central": "Tengah"},
}
APPROACHES = {
    "en": {
        "transforaminal": "Transforaminal (from the side)",
        "interlaminar": "Interlaminar (from the back)",
    },
    "id": {
        "transforaminal": "Transforaminal (dari samping)",
        "interlaminar": "Interlaminar (dari belakang)",
    },
}
ANESTHESIA = {
    "en": {"general": "General anaesthesia", "local_sedation": "Local anaesthesia with sedation"},
    "id": {"general": "Bius umum", "local_sedation": "Bius lokal dengan sedasi"},
}


def portal_url() -> str:
    """The portal's front page (``PORTAL_BASE_URL``), where a patient asks for their link."""
    config = current_app.config
    base = config.get("PORTAL_BASE_URL")
    if not base:
        base = request.host_url if has_request_context() else "http://localhost:5000"
    return base.rstrip("/") + "/portal/"


def follow_ups(journey: Journey, now: datetime) -> list[Appointment]:
    """The follow-up appointments actually booked and still ahead."""
    return [
        a
        for a in journey.appointments
        if a.kind == "follow_up" and a.status == "scheduled" and a.starts_at >= now
    ]


def missing_facts(journey: Journey, now: datetime) -> list[str]:
    """The facts a sheet cannot be printed without, named for the staff member."""
    missing = []
    if journey.surgery_at is None:
        missing.append("the surgery date")
    if journey.surgeon is None:
        missing.append("the surgeon")
    if not follow_ups(journey, now):
        missing.append("a booked follow-up appointment")
    if template_problem(journey.template) is not None:
        missing.append(f"discharge instructions in the pathway template {journey.template}")
    return missing


#: what is wrong with each template version's discharge section (None: nothing), by checksum
_PROBLEMS: dict[str, str | None] = {}


def template_problem(template: PathwayTemplate) -> str | None:
    """What is wrong with the template's discharge section, or None when it is complete.

    A version's content never changes under its checksum, so each is checked once per process
    (today's discharges ask for every patient going home; the check reads every text).
    """
    if template.checksum not in _PROBLEMS:
        _PROBLEMS[template.checksum] = defaults.problem(template.definition.get("discharge"))
    return _PROBLEMS[template.checksum]


def missing_message(missing: list[str]) -> str:
    return (
        f"The discharge sheet cannot be printed yet: it needs {', '.join(missing)}. "
        "Add them to the journey first."
    )


def discharge_day(journey: Journey) -> date | None:
    return journey.anchor_date("discharge", clinic_tz())


def _when(step: dict[str, Any], section: dict, surgery_day: date, labels: dict, lang: str):
    """The label of a timeline step and the date it falls on ("From week 2", "Mon 7 Dec 2026")."""

    def on(weeks: int) -> str:
        return format_date(surgery_day + timedelta(weeks=weeks), SHORT_DATE, locale=lang)

    if "week" in step:
        n = defaults.week(step["week"], section)
        return labels["from_week"].format(week=n), on(n)
    if "until_week" in step:
        n = defaults.week(step["until_week"], section)
        return labels["until_week"].format(week=n), on(n)
    if step["day"] == 0:
        return labels["from_now"], ""
    day = surgery_day + timedelta(days=step["day"])
    return labels["from_day"].format(day=step["day"]), format_date(day, SHORT_DATE, locale=lang)


def build_content(
    journey: Journey, draft: DischargeDraft | None, *, now: datetime, language: str | None = None
) -> dict[str, Any]:
    """Everything the sheet says. The journey must have no :func:`missing_facts`."""
    lang = language or (draft.language if draft else journey.patient.language)
    labels = LABELS[lang]
    tz = clinic_tz()
    config = current_app.config
    section = journey.template.definition["discharge"]
    surgery_day = journey.surgery_at.astimezone(tz).date()
    patient = journey.patient

    def texts(key: str) -> list[str]:
        return [defaults.fill(item[lang], section, lang) for item in section[key]]

    return {
        "schema": CONTENT_SCHEMA,
        "language": lang,
        "template": f"{journey.template.slug} v{journey.template.version}",
        "labels": labels,
        "clinic": {"name": config["CLINIC_NAME"], "phone": config["CLINIC_PHONE"]},
        "patient": {
            "name": patient.full_name,
            "mrn": patient.mrn,
            "birth_date": format_date(patient.birth_date, LONG_DATE, locale=lang),
        },
        "procedure": {
            "name": journey.template.title(lang),
            "levels": journey.levels,
            "side": SIDES[lang][journey.side],
            "approach": APPROACHES[lang][journey.approach],
            "anesthesia": ANESTHESIA[lang][journey.anesthesia],
            "surgeon": journey.surgeon.name,
            "surgery_date": format_date(surgery_day, LONG_DATE, locale=lang),
            "discharge_date": format_date(discharge_day(journey), LONG_DATE, locale=lang),
        },
        "emergency": texts("emergency"),
        "call_clinic": texts("call_clinic"),
        "wound": texts("wound"),
        "activity": [
            {"when": when, "date": on, "text": defaults.fill(step["text"][lang], section, lang)}
            for step in section["activity"]
            for when, on in [_when(step, section, surgery_day, labels, lang)]
        ],
        "pain": texts("pain"),
        "medications": [dict(row) for row in (draft.medications if draft else [])],
        "extra_instructions": draft.extra_instructions if draft else "",
        "follow_ups": [
            {
                "date": format_date(a.starts_at.astimezone(tz), LONG_DATE, locale=lang),
                "time": format_time(a.starts_at.astimezone(tz), "HH:mm", locale=lang),
                "title": appointment_title(a, lang),
                "location": appointment_location(a, lang),
            }
            for a in follow_ups(journey, now)
        ],
        "portal_url": portal_url(),
    }


def issued_line(content: dict[str, Any], *, by: str, at: datetime, version: int) -> dict:
    """The sign-off that an issued sheet carries, worded in the sheet's language."""
    lang = content["language"]
    local = at.astimezone(clinic_tz())
    day = format_date(local, SHORT_DATE, locale=lang)
    when = f"{day} {format_time(local, 'HH:mm', locale=lang)}"
    return {"version": version, "by": by, "at": when}
