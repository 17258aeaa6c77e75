"""The CapabilityStatement (``GET /fhir/metadata``), built from the mapping registry."""

from datetime import datetime

from flask import current_app

from tracker.fhir.common import Context
from tracker.fhir.registry import RESOURCE_TYPES, mappings_of

EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"
BULK_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
BULK_SERVER = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"


def _resource(resource_type: str) -> dict:
    entry = {
        "type": resource_type,
        "interaction": [{"code": "read"}],
        "documentation": " ".join(m.description for m in mappings_of(resource_type)),
    }
    if resource_type == "Patient":
        entry["operation"] = [{"name": "everything", "definition": EVERYTHING}]
    return entry


def capability_statement(ctx: Context, *, now: datetime) -> dict:
    clinic = current_app.config["CLINIC_NAME"]
    return {
        "resourceType": "CapabilityStatement",
        "id": "tracker",
        "status": "active",
        "date": ctx.instant(now),
        "publisher": clinic,
        "kind": "instance",
        "instantiates": [BULK_SERVER],
        "software": {"name": "tracker", "version": current_app.config["API_VERSION"]},
        "implementation": {"description": f"{clinic}: surgical journeys", "url": ctx.fhir_base},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Every request but this one carries 'Authorization: Bearer <token>' of a "
                    "coordinator or clinician (flask --app tracker tokens create EMAIL). "
                    "Reads and exports are recorded in the audit trail."
                ),
                "resource": [_resource(t) for t in RESOURCE_TYPES]
                + [
                    {
                        "type": "Binary",
                        "interaction": [{"code": "read"}],
                        "documentation": "The PDF of a discharge sheet (DocumentReference).",
                    }
                ],
                "operation": [{"name": "export", "definition": BULK_EXPORT}],
            }
        ],
    }
