"""How the reads in the audit trail are named for people."""

READ_LABELS = {
    "patient.view": "Patient page",
    "patient.search": "Patient list or search",
    "journey.view": "Journey page",
    "journey.list": "List of journeys",
    "discharge.view": "Discharge sheet editor",
    "discharge.print": "Discharge sheet printed",
    "discharge.download": "Discharge sheet PDF",
    "discharge.list": "Today's discharges",
    "reminder.list": "Reminders",
    "audit.view": "Audit trail",
    "audit.export": "Audit trail exported",
    "fhir.everything": "FHIR: the whole record",
    "fhir.read": "FHIR: one resource",
    "fhir.export": "FHIR bulk export (command line)",
    "fhir.export.request": "FHIR bulk export asked for",
    "fhir.export.download": "FHIR bulk export file",
    "export.journeys_csv": "Research CSV",
}


def read_label(action: str) -> str:
    return READ_LABELS.get(action, action.replace("_", " ").replace(".", ": ").capitalize())
