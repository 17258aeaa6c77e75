"""Read FHIR resources: one by type and id, or a patient's whole journey as a Bundle."""

import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tracker.fhir.common import Context
from tracker.fhir.registry import MAPPINGS, mappings_of
from tracker.patients.models import Patient


def read(resource_type: str, fhir_id: str, ctx: Context) -> tuple[Any, dict] | None:
    """The row behind ``resource_type/fhir_id`` and the resource, or None."""
    for mapping in mappings_of(resource_type):
        found = mapping.read(fhir_id, ctx)
        if found is not None:
            return found
    return None


def everything(patient: Patient, ctx: Context, *, now: datetime) -> dict:
    """``Patient/$everything``: a searchset Bundle of every resource about the patient.

    Resources outside the patient compartment (the Practitioners) come along when something
    in the bundle refers to them, so every reference resolves inside the bundle.
    """
    resources = [body for mapping in MAPPINGS for body in mapping.for_patient(patient.id, ctx)]
    resources += _referenced(resources, ctx)
    entries = [
        {
            "fullUrl": ctx.url(f"{body['resourceType']}/{body['id']}"),
            "resource": body,
            "search": {"mode": "match" if body["resourceType"] == "Patient" else "include"},
        }
        for body in resources
    ]
    return {
        "resourceType": "Bundle",
        "id": uuid.uuid4().hex,
        "meta": {"lastUpdated": ctx.instant(now)},
        "type": "searchset",
        "total": len(entries),
        "link": [{"relation": "self", "url": ctx.url(f"Patient/{patient.id}/$everything")}],
        "entry": entries,
    }


def _referenced(resources: list[dict], ctx: Context) -> list[dict]:
    present = {f"{body['resourceType']}/{body['id']}" for body in resources}
    wanted: dict[str, set[str]] = defaultdict(set)
    for body in resources:
        for reference in references(body):
            if reference not in present:
                resource_type, _, fhir_id = reference.partition("/")
                wanted[resource_type].add(fhir_id)
    extra = []
    for resource_type, ids in wanted.items():
        for mapping in mappings_of(resource_type):
            if mapping.of_patient is None:  # only what a patient's bundle does not hold
                row_ids = [mapping.row_id(fhir_id) for fhir_id in ids]
                extra += mapping.by_row_ids([i for i in row_ids if i is not None], ctx)
    return extra


def references(value) -> Iterator[str]:
    """Every ``reference`` string inside a resource, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


#: elements that name a resource by its canonical URL (``<url>|<version>``), not a reference
CANONICAL_ELEMENTS = {"QuestionnaireResponse": "questionnaire"}


def unresolved_references(bundle: dict) -> list[str]:
    """References and canonicals in ``bundle`` that name no entry of it (empty when sound)."""
    bodies = [entry["resource"] for entry in bundle.get("entry", [])]
    present = {f"{body['resourceType']}/{body['id']}" for body in bodies}
    present |= {f"{b['url']}|{b['version']}" for b in bodies if "url" in b and "version" in b}
    named = {reference for body in bodies for reference in references(body)}
    named |= {
        body[CANONICAL_ELEMENTS[body["resourceType"]]]
        for body in bodies
        if CANONICAL_ELEMENTS.get(body["resourceType"]) in body
    }
    return sorted(named - present)


def patient_of(body: dict) -> int | None:
    """The patient a resource is about (for the audit trail), or None."""
    if body["resourceType"] == "Patient":
        return int(body["id"])
    for reference in references(body):
        if reference.startswith("Patient/"):
            return int(reference.split("/", 1)[1])
    return None
