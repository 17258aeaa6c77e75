"""DocumentReference: an issued discharge sheet; its PDF is served as ``Binary/<id>``."""

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, load_only

from tracker.db import db
from tracker.discharge.models import DischargeSheet
from tracker.fhir import codes
from tracker.fhir.common import Context, concept, ref, resource
from tracker.fhir.mapping import Mapping


def all_versions(sheets: list[DischargeSheet]) -> dict:
    """``{journey id: {version: (sheet id, issued_at)}}`` for the sheets' journeys."""
    journeys = {sheet.journey_id for sheet in sheets}
    rows = db.session.execute(
        sa.select(
            DischargeSheet.journey_id,
            DischargeSheet.version,
            DischargeSheet.id,
            DischargeSheet.issued_at,
        ).where(DischargeSheet.journey_id.in_(journeys))
    )
    versions: dict = {}
    for journey_id, version, sheet_id, issued_at in rows:
        versions.setdefault(journey_id, {})[version] = (sheet_id, issued_at)
    return versions


def to_resources(sheet: DischargeSheet, ctx: Context, extras: dict) -> list[dict]:
    versions = extras.get(sheet.journey_id, {})
    successor = versions.get(sheet.version + 1, (None, None))[1]
    previous = versions.get(sheet.version - 1, (None, None))[0]
    title = f"Discharge sheet, version {sheet.version}"
    return [
        resource(
            "DocumentReference",
            sheet.id,
            successor or sheet.issued_at,
            ctx,
            status="superseded" if successor else "current",
            docStatus="final",
            type=concept(codes.DISCHARGE_INSTRUCTIONS),
            subject=ref("Patient", sheet.journey.patient_id),
            date=ctx.instant(sheet.issued_at),
            author=[ref("Practitioner", sheet.issued_by_id)],
            authenticator=ref("Practitioner", sheet.issued_by_id),
            description=title,
            relatesTo=[{"code": "replaces", "target": ref("DocumentReference", previous)}]
            if previous
            else None,
            content=[
                {
                    "attachment": {
                        "contentType": "application/pdf",
                        "language": sheet.language,
                        "url": ctx.url(f"Binary/{sheet.id}"),
                        "title": title,
                        "creation": ctx.instant(sheet.issued_at),
                    }
                }
            ],
            context={"encounter": [ref("EpisodeOfCare", sheet.journey_id)]},
        )
    ]


def _newer(since):
    later = aliased(DischargeSheet)
    return sa.exists().where(
        later.journey_id == DischargeSheet.journey_id,
        later.version > DischargeSheet.version,
        later.issued_at >= since,
    )


MAPPING = Mapping(
    resource_type="DocumentReference",
    model=DischargeSheet,
    to_resources=to_resources,
    # A sheet changes only when the next version supersedes it.
    changed_since=lambda since: sa.or_(DischargeSheet.issued_at >= since, _newer(since)),
    of_patient=lambda patient_id: DischargeSheet.journey.has(patient_id=patient_id),
    options=(
        # Not the sheet's HTML and content: only the PDF (Binary) needs them.
        load_only(
            DischargeSheet.journey_id,
            DischargeSheet.version,
            DischargeSheet.language,
            DischargeSheet.issued_at,
            DischargeSheet.issued_by_id,
        ),
        joinedload(DischargeSheet.journey, innerjoin=True),
    ),
    extras=all_versions,
    description="Issued discharge sheets (LOINC 8653-8); the PDF at Binary/<id>.",
)
