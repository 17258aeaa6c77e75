"""Discharge sheets: the clinician's draft, issuing a version, printing (today's: ``today``).

Services flush but never commit; the request or command around them commits once.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer, joinedload

from tracker.audit.services import record, record_read
from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.discharge import content as sheet_content
from tracker.discharge import pdf
from tracker.discharge.models import SHEET_LANGUAGES, DischargeDraft, DischargeSheet
from tracker.errors import Conflict, FieldErrors, Forbidden, NotFound, ValidationFailed
from tracker.i18n import gettext as _
from tracker.journeys.models import Journey
from tracker.journeys.tasks import tick_task
from tracker.pathways.models import STAGES

#: stages at which a sheet may be signed off and issued
ISSUE_STAGES = ("discharge", "follow_up")
MEDICATION_FIELDS = {"name": 120, "dose": 80, "frequency": 80, "until": 80}
MAX_MEDICATIONS = 30
MAX_EXTRA = 3000


@dataclass
class DraftValues:
    """What the clinician's form sends."""

    language: str
    extra_instructions: str = ""
    medications: list[dict[str, str]] = field(default_factory=list)


def get_journey(journey_id: int) -> Journey:
    journey = db.session.get(Journey, journey_id)
    if journey is None:
        raise NotFound(_("There is no such journey."))
    return journey


def get_sheet(journey: Journey, sheet_id: int) -> DischargeSheet:
    """An issued sheet of ``journey``; a sheet of another journey is not found either."""
    sheet = db.session.get(DischargeSheet, sheet_id)
    if sheet is None or sheet.journey_id != journey.id:
        raise NotFound(_("This journey has no such discharge sheet."))
    return sheet


def draft_for(journey: Journey) -> DischargeDraft | None:
    return db.session.scalar(
        sa.select(DischargeDraft).where(DischargeDraft.journey_id == journey.id)
    )


def issued_sheets(journey: Journey) -> list[DischargeSheet]:
    """Every issued version, newest first."""
    return list(
        db.session.scalars(
            sa.select(DischargeSheet)
            .where(DischargeSheet.journey_id == journey.id)
            .order_by(DischargeSheet.version.desc())
        )
    )


def sheet_versions(journey: Journey) -> list[DischargeSheet]:
    """Every issued version for a list, newest first: who signed it off, not the sheet itself."""
    return list(
        db.session.scalars(
            sa.select(DischargeSheet)
            .where(DischargeSheet.journey_id == journey.id)
            .options(
                defer(DischargeSheet.html),
                defer(DischargeSheet.content),
                joinedload(DischargeSheet.issued_by),
            )
            .order_by(DischargeSheet.version.desc())
        )
    )


def latest_sheet(journey: Journey) -> DischargeSheet | None:
    sheets = issued_sheets(journey)
    return sheets[0] if sheets else None


def _clean_medications(rows: list[dict[str, str]], errors: FieldErrors) -> list[dict[str, str]]:
    kept = []
    for n, row in enumerate(rows):
        values = {k: " ".join((row.get(k) or "").split()) for k in MEDICATION_FIELDS}
        if not any(values.values()):
            continue  # an empty row of the form
        for key, limit in MEDICATION_FIELDS.items():
            if not values[key]:
                errors.add(f"medications-{n}-{key}", _MISSING[key])
            elif len(values[key]) > limit:
                errors.add(
                    f"medications-{n}-{key}",
                    _("Keep this under %(limit)s characters.", limit=limit),
                )
        kept.append(values)
    if len(kept) > MAX_MEDICATIONS:
        errors.add(
            "medications",
            _("List at most %(MAX_MEDICATIONS)s medicines.", MAX_MEDICATIONS=MAX_MEDICATIONS),
        )
    return kept


_MISSING = {
    "name": "Name the medicine.",
    "dose": "Give the dose (e.g. 500 mg, 1 tablet).",
    "frequency": "Say how often (e.g. every 8 hours, twice a day).",
    "until": "Say until when (e.g. 5 days, 24 Dec, as needed, ongoing).",
}


def save_draft(
    journey: Journey, values: DraftValues, *, actor: StaffUser, now: datetime
) -> DischargeDraft:
    """Store the clinician's additions; a medicine row must be complete or empty."""
    if journey.status == "cancelled":
        raise Conflict(_("This journey is cancelled."))
    errors = FieldErrors()
    if values.language not in SHEET_LANGUAGES:
        errors.add("language", _("Choose English or Indonesian."))
    extra = (values.extra_instructions or "").strip().replace("\r\n", "\n")
    if len(extra) > MAX_EXTRA:
        errors.add(
            "extra_instructions",
            _("Keep this under %(MAX_EXTRA)s characters.", MAX_EXTRA=MAX_EXTRA),
        )
    medications = _clean_medications(values.medications, errors)
    errors.raise_if_any("Please correct the marked fields; nothing was saved.")
    draft = draft_for(journey)
    created = draft is None
    if created:
        draft = DischargeDraft(journey=journey, language=values.language, medications=[])
        db.session.add(draft)
    before = {
        "language": draft.language,
        "medications": list(draft.medications or []),
        "extra_instructions": draft.extra_instructions or "",
    }
    after = {"language": values.language, "medications": medications, "extra_instructions": extra}
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    draft.language, draft.medications, draft.extra_instructions = (
        values.language,
        medications,
        extra,
    )
    draft.updated_at, draft.updated_by_id = now, actor.id
    db.session.flush()
    if changed or created:
        record(
            "discharge.draft",
            draft,
            actor=actor,
            patient_id=journey.patient_id,
            now=now,
            details=changed,
        )
    return draft


def check_printable(journey: Journey, now: datetime) -> None:
    missing = sheet_content.missing_facts(journey, now)
    if missing:
        raise ValidationFailed(sheet_content.missing_message(missing), {"journey": missing})


def is_before_discharge(journey: Journey) -> bool:
    return journey.stage_index < STAGES.index("discharge")


def draft_fragment(journey: Journey, *, now: datetime) -> str:
    """The sheet as it would be issued now, marked DRAFT (never handed out as it is)."""
    check_printable(journey, now)
    content = sheet_content.build_content(journey, draft_for(journey), now=now)
    return pdf.render_fragment(content, draft=True)


def issue_problem(journey: Journey, actor: StaffUser) -> str | None:
    """Why ``actor`` may not issue a sheet for ``journey`` now, or None."""
    if actor.role != "clinician":
        return "Only a clinician can sign off and issue a discharge sheet."
    if journey.status != "active":
        return f"This journey is {journey.status}; no new sheet can be issued."
    if journey.stage not in ISSUE_STAGES:
        return (
            f"The journey is at the {journey.stage.replace('_', '-')} stage; the sheet can be "
            "issued from the discharge stage on. Until then only a draft can be printed."
        )
    return None


def _comparable(content: dict) -> dict:
    return {k: v for k, v in content.items() if k != "issued"}


def issue_sheet(journey: Journey, *, actor: StaffUser, now: datetime) -> DischargeSheet:
    """Sign off the sheet as it stands now and keep it, verbatim, as the next version."""
    problem = issue_problem(journey, actor)
    if problem is not None and actor.role != "clinician":
        raise Forbidden(problem)
    if problem is not None:
        raise Conflict(problem)
    check_printable(journey, now)
    content = sheet_content.build_content(journey, draft_for(journey), now=now)
    latest = latest_sheet(journey)
    if latest is not None and _comparable(latest.content) == _comparable(content):
        raise Conflict(
            _(
                "Nothing has changed since version %(version)s; reprint that one instead.",
                version=latest.version,
            )
        )
    version = (latest.version if latest else 0) + 1
    content["issued"] = sheet_content.issued_line(content, by=actor.name, at=now, version=version)
    html = pdf.render_fragment(content, draft=False)
    sheet = DischargeSheet(
        journey=journey,
        version=version,
        language=content["language"],
        content=content,
        html=html,
        checksum=hashlib.sha256(html.encode()).hexdigest(),
        issued_at=now,
        issued_by_id=actor.id,
    )
    db.session.add(sheet)
    db.session.flush()
    record(
        "discharge.issue",
        sheet,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details={
            "version": version,
            "language": sheet.language,
            "medications": len(content["medications"]),
            "checksum": sheet.checksum,
        },
    )
    tick_task(journey, "discharge_sheet", actor=actor, now=now)
    return sheet


def record_output(
    journey: Journey,
    sheet: DischargeSheet | None,
    *,
    action: str,
    size: str,
    actor: StaffUser,
    now: datetime,
    batch: bool = False,
) -> None:
    """Note in the audit trail that a sheet (or the draft) was printed or downloaded."""
    details = {"version": sheet.version if sheet else None, "draft": sheet is None, "size": size}
    if batch:
        details["batch"] = True
    record_read(
        action,
        sheet or journey,
        actor=actor,
        patient_id=journey.patient_id,
        now=now,
        details=details,
    )
