"""Create, correct and find patients."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import contains_eager, joinedload

from tracker.audit.models import AuditEvent
from tracker.audit.services import diff, record
from tracker.auth.models import StaffUser
from tracker.clock import clinic_today
from tracker.db import constant, db
from tracker.errors import Conflict, FieldErrors
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.pathways.models import STAGES, TEMPLATE_LABEL, PathwayTemplate
from tracker.patients import search
from tracker.patients.models import CHANNELS, LANGUAGES, SEXES, Patient
from tracker.reminders.planning import REPLAN_FIELDS, consent_changed
from tracker.timeutil import is_valid_timezone

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MRN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/.]{0,39}$")
FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "language",
    "timezone",
    "consent_email",
    "consent_sms",
    "preferred_channel",
)
REQUIRED = ("mrn", "given_name", "family_name", "birth_date", "sex", "timezone")


def clean_patient_fields(values: dict[str, Any], *, today: date, partial: bool = False) -> dict:
    """Check and normalise patient fields; raise ValidationFailed naming every bad field."""
    errors = FieldErrors()
    out: dict[str, Any] = {}
    unknown = set(values) - set(FIELDS)
    for field in sorted(unknown):
        errors.add(field, _("Unknown field."))
    for field in REQUIRED:
        # A partial change may leave a field out, but may not blank a required one.
        value = values.get(field)
        blank = value is None or (isinstance(value, str) and not value.strip())
        if (not partial or field in values) and blank:
            errors.add(field, _("This field is required."))
    for field, value in values.items():
        if field in unknown:
            continue
        if isinstance(value, str):
            value = value.strip()
        if field in ("phone", "email") and value == "":
            value = None
        out[field] = value
    if out.get("mrn"):
        if not MRN.match(out["mrn"]):
            errors.add("mrn", _("Use letters, digits, '-', '/' or '.' (up to 40)."))
        out["mrn"] = out["mrn"].upper()
    for name in ("given_name", "family_name"):
        if name in out and out[name] and len(out[name]) > 100:
            errors.add(name, _("Keep it under 100 characters."))
    birth = out.get("birth_date")
    if birth not in (None, ""):
        if not isinstance(birth, date) or isinstance(birth, datetime):
            errors.add("birth_date", _("Enter a date as YYYY-MM-DD."))
        elif birth > today:
            errors.add("birth_date", _("The date of birth cannot be in the future."))
        elif birth.year < 1900:
            errors.add("birth_date", _("The date of birth is too far in the past."))
    if out.get("sex") not in (None, "") and out["sex"] not in SEXES:
        errors.add("sex", _("Choose one of: %(join)s.", join=", ".join(SEXES)))
    if out.get("preferred_channel") not in (None, "") and out["preferred_channel"] not in CHANNELS:
        errors.add("preferred_channel", _("Choose sms or email."))
    if out.get("preferred_channel") == "":
        out.pop("preferred_channel")
    if out.get("language") is not None and out["language"] not in LANGUAGES:
        errors.add("language", _("Choose en (English) or id (Indonesian)."))
    if out.get("timezone") not in (None, "") and not is_valid_timezone(out["timezone"]):
        errors.add("timezone", f"Unknown time zone {out['timezone']!r}; use an IANA name.")
    if out.get("phone") is not None:
        phone = re.sub(r"[\s()\-.]", "", out["phone"])
        if not E164.match(phone):
            errors.add("phone", _("Enter the number in international form, e.g. +6281234567890."))
        out["phone"] = phone
    if out.get("email") is not None:
        try:
            out["email"] = validate_email(out["email"], check_deliverability=False).normalized
        except EmailNotValidError as exc:
            errors.add("email", str(exc))
    for name in ("consent_email", "consent_sms"):
        if name in out and not isinstance(out[name], bool):
            errors.add(name, _("Must be true or false."))
    if out.get("consent_sms") and "phone" in out and not out.get("phone"):
        errors.add("consent_sms", _("SMS consent needs a phone number."))
    if out.get("consent_email") and "email" in out and not out.get("email"):
        errors.add("consent_email", _("Email consent needs an email address."))
    errors.raise_if_any()
    return out


def _check_mrn_free(mrn: str, exclude_id: int | None = None) -> None:
    query = sa.select(Patient.id).where(Patient.mrn == mrn)
    if exclude_id is not None:
        query = query.where(Patient.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict.on("mrn", _("A patient with MRN %(mrn)s already exists.", mrn=mrn))


def create_patient(values: dict[str, Any], *, actor, now: datetime) -> Patient:
    clean = clean_patient_fields(values, today=clinic_today(now))
    _check_mrn_free(clean["mrn"])
    if "preferred_channel" not in clean:
        # Not said: SMS, unless the patient agreed to email only.
        email_only = clean.get("consent_email") and not clean.get("consent_sms")
        clean["preferred_channel"] = "email" if email_only else "sms"
    patient = Patient(**clean)
    patient.created_at = patient.updated_at = now
    db.session.add(patient)
    db.session.flush()
    record(
        "patient.create",
        patient,
        actor=actor,
        patient_id=patient.id,
        now=now,
        details={"mrn": patient.mrn},
    )
    return patient


def update_patient(patient: Patient, values: dict[str, Any], *, actor, now: datetime) -> Patient:
    clean = clean_patient_fields(values, today=clinic_today(now), partial=True)
    merged_consent = {
        "consent_sms": clean.get("consent_sms", patient.consent_sms),
        "phone": clean.get("phone", patient.phone),
        "consent_email": clean.get("consent_email", patient.consent_email),
        "email": clean.get("email", patient.email),
    }
    errors = FieldErrors()
    if merged_consent["consent_sms"] and not merged_consent["phone"]:
        errors.add("consent_sms", _("SMS consent needs a phone number."))
    if merged_consent["consent_email"] and not merged_consent["email"]:
        errors.add("consent_email", _("Email consent needs an email address."))
    errors.raise_if_any()
    if "mrn" in clean:
        _check_mrn_free(clean["mrn"], exclude_id=patient.id)
    changed = diff(patient, clean)
    if changed:
        patient.updated_at = now
        record(
            "patient.update", patient, actor=actor, patient_id=patient.id, details=changed, now=now
        )
    if changed.keys() & REPLAN_FIELDS:
        # Withdrawn consent stops that channel's pending reminders; a new time zone moves them.
        consent_changed(patient, now=now)
    return patient


def search_query(q: str | None = None) -> sa.Select:
    """Patients matching a name or MRN fragment, in name order (the API's list)."""
    return search.matching(sa.select(Patient), q).order_by(*_name_order(q))


NAME_ORDER = (Patient.family_name, Patient.given_name, Patient.id)


def _name_order(q: str | None) -> tuple:
    """Name order; after a search of 3+ letters, one the planner cannot read off an index.

    Otherwise PostgreSQL walks the name index hoping to meet 25 matches soon, and for a name
    late in the alphabet reads most of the clinic; the trigram index finds the matches at once
    and sorting a few hundred of them costs nothing.
    """
    if q and any(len(term) >= 3 for term in q.split()):
        return (Patient.family_name.concat(""), Patient.given_name, Patient.id)
    return NAME_ORDER


#: how the patient list can be sorted
SORTS = ("name", "surgery", "stage")


def list_query(
    *,
    q: str | None = None,
    stage: str | None = None,
    pathway: str | None = None,
    surgeon_id: int | None = None,
    sort: str = "name",
) -> sa.Select:
    """Patients for the staff list; stage, pathway and surgeon filter on the active journey.

    Patients without an active journey appear only while no journey filter is set.
    """
    active = sa.and_(Journey.patient_id == Patient.id, Journey.status == constant("active"))
    query = search.matching(sa.select(Patient).outerjoin(Journey, active), q)
    if stage:
        query = query.where(Journey.stage == stage)
    if pathway:
        query = query.join(PathwayTemplate, PathwayTemplate.id == Journey.template_id).where(
            PathwayTemplate.slug == pathway
        )
    if surgeon_id:
        query = query.where(Journey.surgeon_id == surgeon_id)
    if sort == "surgery":
        return query.order_by(Journey.surgery_at.is_(None), Journey.surgery_at, *NAME_ORDER)
    if sort == "stage":
        rank = sa.case({s: i for i, s in enumerate(STAGES)}, value=Journey.stage, else_=len(STAGES))
        return query.order_by(rank, *NAME_ORDER)
    return query.order_by(*NAME_ORDER)


def list_segments(
    *,
    q: str | None = None,
    stage: str | None = None,
    pathway: str | None = None,
    surgeon_id: int | None = None,
    sort: str = "name",
) -> list[sa.Select]:
    """The staff list as consecutive parts, each read in its own index order.

    Sorted by name (the default) it is one part. Sorted by surgery date or stage, patients with
    an active journey come first in that order, then everyone else by name; with a journey
    filter only the first part is left.
    """
    if sort == "name" and not (stage or pathway or surgeon_id):
        return [search.matching(sa.select(Patient), q).order_by(*_name_order(q))]
    if sort == "name":
        return [list_query(q=q, stage=stage, pathway=pathway, surgeon_id=surgeon_id)]
    active = sa.and_(Journey.patient_id == Patient.id, Journey.status == constant("active"))
    running = search.matching(sa.select(Patient).join(Journey, active), q)
    if stage:
        running = running.where(Journey.stage == stage)
    if pathway:
        running = running.join(PathwayTemplate, PathwayTemplate.id == Journey.template_id).where(
            PathwayTemplate.slug == pathway
        )
    if surgeon_id:
        running = running.where(Journey.surgeon_id == surgeon_id)
    if sort == "surgery":
        running = running.order_by(Journey.surgery_at.asc().nulls_last(), *NAME_ORDER)
    else:
        rank = sa.case({s: i for i, s in enumerate(STAGES)}, value=Journey.stage)
        running = running.order_by(rank, *NAME_ORDER)
    if stage or pathway or surgeon_id:
        return [running]
    others = search.matching(sa.select(Patient).where(~sa.exists().where(active)), q).order_by(
        *NAME_ORDER
    )
    return [running, others]


@dataclass
class BoardColumn:
    stage: str
    #: the column's first cards: (patient, active journey), earliest surgery first
    cards: list[tuple[Patient, Journey]]
    #: every active journey at this stage that the filters let through
    total: int


def board(
    *, q: str | None = None, pathway: str | None = None, surgeon_id: int | None = None, limit: int
) -> list[BoardColumn]:
    """Active journeys by stage, each column read on its own (a handful of statements)."""

    def filtered(query: sa.Select, *, patients: bool = True) -> sa.Select:
        # The counts need the patients only to match a search (a journey always has one): without
        # them they are read from the index of active journeys by stage alone.
        if patients or q:
            query = search.matching(query.join(Patient, Patient.id == Journey.patient_id), q)
        query = query.where(Journey.status == constant("active"))
        if pathway:
            query = query.join(PathwayTemplate, PathwayTemplate.id == Journey.template_id).where(
                PathwayTemplate.slug == pathway
            )
        if surgeon_id:
            query = query.where(Journey.surgeon_id == surgeon_id)
        return query

    totals = dict(
        db.session.execute(
            filtered(sa.select(Journey.stage, sa.func.count()), patients=False).group_by(
                Journey.stage
            )
        ).all()
    )
    columns = []
    for stage in STAGES:
        journeys = db.session.scalars(
            filtered(sa.select(Journey))
            .where(Journey.stage == stage)
            .options(
                contains_eager(Journey.patient),
                joinedload(Journey.template).load_only(*TEMPLATE_LABEL),
                joinedload(Journey.surgeon),
            )
            .order_by(Journey.surgery_at.asc().nulls_last(), Journey.id)
            .limit(limit)
        ).all()
        cards = [(journey.patient, journey) for journey in journeys]
        columns.append(BoardColumn(stage, cards, totals.get(stage, 0)))
    return columns


def active_journeys_for(patients: list[Patient]) -> dict[int, Journey]:
    """The active journey of each patient (by patient id), with template and surgeon loaded."""
    if not patients:
        return {}
    rows = db.session.scalars(
        sa.select(Journey)
        .where(
            Journey.patient_id.in_([p.id for p in patients]), Journey.status == constant("active")
        )
        .options(
            joinedload(Journey.template).load_only(*TEMPLATE_LABEL), joinedload(Journey.surgeon)
        )
    )
    return {journey.patient_id: journey for journey in rows}


def journeys_of(patient: Patient) -> list[Journey]:
    """Every journey of ``patient``, newest first."""
    return list(
        db.session.scalars(
            sa.select(Journey)
            .where(Journey.patient_id == patient.id)
            .options(
                joinedload(Journey.template).load_only(*TEMPLATE_LABEL), joinedload(Journey.surgeon)
            )
            .order_by(Journey.started_at.desc(), Journey.id.desc())
        )
    )


def history_of(patient: Patient, limit: int = 20) -> list[AuditEvent]:
    """The latest audit events about ``patient``, newest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.patient_id == patient.id, AuditEvent.kind == "change")
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def surgeons() -> list[StaffUser]:
    """Active clinicians, who can be a journey's surgeon."""
    return list(
        db.session.scalars(
            sa.select(StaffUser)
            .where(StaffUser.role == "clinician", StaffUser.active)
            .order_by(StaffUser.name)
        )
    )


def get_patient(patient_id: int) -> Patient | None:
    return db.session.get(Patient, patient_id)
