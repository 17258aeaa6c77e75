"""Patient: demographics, contact points, preferred language, the MRN as identifier."""

from tracker.fhir import codes
from tracker.fhir.common import Context, day, resource
from tracker.fhir.mapping import Mapping
from tracker.patients.models import Patient


def to_resources(patient: Patient, ctx: Context, extras: dict) -> list[dict]:
    return [
        resource(
            "Patient",
            patient.id,
            patient.updated_at,
            ctx,
            identifier=[
                {
                    "use": "usual",
                    "type": {"coding": [codes.MEDICAL_RECORD_NUMBER]},
                    "system": ctx.mrn_system,
                    "value": patient.mrn,
                }
            ],
            active=True,
            name=[
                {"use": "official", "family": patient.family_name, "given": [patient.given_name]}
            ],
            telecom=[
                {"system": "phone", "value": patient.phone, "use": "mobile"}
                if patient.phone
                else None,
                {"system": "email", "value": patient.email} if patient.email else None,
            ],
            gender=patient.sex,  # our four values are FHIR's administrative genders
            birthDate=day(patient.birth_date),
            communication=[
                {
                    "language": {"coding": [codes.coding(codes.LANGUAGE, patient.language)]},
                    "preferred": True,
                }
            ],
        )
    ]


MAPPING = Mapping(
    resource_type="Patient",
    model=Patient,
    to_resources=to_resources,
    changed_since=lambda since: Patient.updated_at >= since,
    of_patient=lambda patient_id: Patient.id == patient_id,
    description="Demographics; the MRN is the identifier with system FHIR_MRN_SYSTEM.",
    plain_rows=True,
)
