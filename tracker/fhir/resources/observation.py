"""Observation: pain scores of a check-in, back and leg told apart by body site.

One check-in gives two Observations, ``<check-in id>-back`` and ``<check-in id>-leg``, each
LOINC 72514-3 with an integer 0-10.
"""

import re

from tracker.fhir import codes
from tracker.fhir.common import Clean, Context, concept, episode, ref, resource
from tracker.fhir.mapping import Mapping
from tracker.portal.models import CheckIn

SITES = ("back", "leg")
_ID = re.compile(r"^([1-9][0-9]{0,17})-(back|leg)$")


def parse_id(fhir_id: str) -> int | None:
    match = _ID.match(fhir_id)
    return int(match.group(1)) if match else None


# The same for every check-in (clean, so pruning skips them; never changed once made).
CATEGORY = concept(codes.SURVEY)
CODE = {site: concept(codes.PAIN_SCORE, text=f"{site.title()} pain (0-10)") for site in SITES}
BODY_SITE = {site: concept(codes.BODY_SITES[site], text=site.title()) for site in SITES}
BY_PHONE = Clean(text="Reported by the patient over the phone; entered by staff.")


def to_resources(check_in: CheckIn, ctx: Context, extras: dict) -> list[dict]:
    if check_in.entered_by == "staff":
        performer, note = ref("Practitioner", check_in.entered_by_id), [BY_PHONE]
    else:
        performer, note = ref("Patient", check_in.patient_id), None
    recorded = ctx.instant(check_in.recorded_at)
    return [
        resource(
            "Observation",
            f"{check_in.id}-{site}",
            recorded,
            ctx,
            extension=[episode(check_in.journey_id)],
            status="final",
            category=[CATEGORY],
            code=CODE[site],
            subject=ref("Patient", check_in.patient_id),
            effectiveDateTime=recorded,
            issued=recorded,
            performer=[performer],
            valueInteger=check_in.back_pain if site == "back" else check_in.leg_pain,
            bodySite=BODY_SITE[site],
            note=note,
        )
        for site in SITES
    ]


MAPPING = Mapping(
    resource_type="Observation",
    model=CheckIn,
    to_resources=to_resources,
    # Check-ins are never changed once recorded.
    changed_since=lambda since: CheckIn.recorded_at >= since,
    of_patient=lambda patient_id: CheckIn.patient_id == patient_id,
    parse_id=parse_id,
    per_row=len(SITES),
    description="Back and leg pain (LOINC 72514-3, valueInteger 0-10, bodySite SNOMED CT).",
    plain_rows=True,
)
