"""The code systems and codes the FHIR export uses, each with where it comes from.

A SNOMED CT code appears only where it was checked against a published source (named beside
it); what the tracker defines itself (pathways, stages, tasks, appointment kinds, alert kinds,
channels) lives in the project's own code systems under ``FHIR_SYSTEM_BASE``.
"""

from tracker.fhir.clean import Clean, clean

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
COMMUNICATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
LANGUAGE = "urn:ietf:bcp:47"
#: links a resource to its EpisodeOfCare (our journey) where R4 has no element for it
EPISODE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/workflow-episodeOfCare"


def coding(system: str, code: str, display: str | None = None) -> Clean:
    """A Coding (clean: nothing in it is empty, so the export's pruning skips it)."""
    return clean(system=system, code=code, display=display)


#: LOINC 72514-3, the numeric rating scale of CLINICAL.md ("Pain and outcome measures")
PAIN_SCORE = coding(
    LOINC, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
)
#: LOINC 8653-8, as used for the discharge-instructions section of HL7 C-CDA documents
DISCHARGE_INSTRUCTIONS = coding(LOINC, "8653-8", "Hospital discharge instructions")
#: LOINC 97908-8 (the ODI panel) and 97909-6 (its score), as published on loinc.org; the other
#: instruments (global rating of change, MacNab) have no LOINC code and keep our own
QUESTIONNAIRE_CODES = {"odi": coding(LOINC, "97908-8", "Oswestry Disability Index")}
SCORE_CODES = {"odi": coding(LOINC, "97909-6", "Oswestry disability index score ODI")}
#: a questionnaire item that asks the check-in's question is coded like the check-in
ITEM_CODES = {"back_pain": PAIN_SCORE, "leg_pain": PAIN_SCORE}
#: the numeric weight of a coded answer (R4 core extension)
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
MEDICAL_RECORD_NUMBER = coding(IDENTIFIER_TYPE, "MR", "Medical record number")
SURVEY = coding(OBSERVATION_CATEGORY, "survey", "Survey")
CLINICAL_FLAG = coding(FLAG_CATEGORY, "clinical", "Clinical")
REMINDER = coding(COMMUNICATION_CATEGORY, "reminder", "Reminder")

# Body structures: SNOMED CT International (Lower back: the ACC body-site value set; lower
# limb and lumbar spine: the DICOM anatomic-region lists, CID 4031).
BODY_SITES = {
    "back": coding(SNOMED, "37822005", "Lower back structure"),
    "leg": coding(SNOMED, "61685007", "Lower limb structure"),
}
LUMBAR_SPINE = coding(SNOMED, "122496007", "Lumbar spine structure")

# Procedures: both codes are in the SNOMED International Patient Set (HL7 IPS value set
# "Procedures - SNOMED CT IPS Free Set"). No code there names endoscopic discectomy or
# interlaminar decompression as such, so the operation is coded by our own pathway code first
# and SNOMED CT's broader concept second.
SURGICAL_PROCEDURE = coding(SNOMED, "387713003", "Surgical procedure")
SPINE_OPERATION = coding(SNOMED, "392236004", "Operative procedure on spinal structure")

# Conditions: SNOMED CT where the code is common ground (sciatica; lumbar spinal stenosis).
# "Herniated disc" has no single code that sources agree on; it keeps our own code only.
CONDITION_SNOMED = {
    "sciatica": coding(SNOMED, "23056005", "Sciatica"),
    "spinal_stenosis": coding(SNOMED, "18347007", "Spinal stenosis of lumbar region"),
}

# Displays of the project's own codes.
STAGES = {
    "consultation": "Consultation",
    "preparation": "Preparation",
    "procedure": "Procedure day",
    "discharge": "Discharge",
    "follow_up": "Follow-up",
}
CONDITIONS = {
    "herniated_disc": "Herniated lumbar disc",
    "sciatica": "Sciatica",
    "spinal_stenosis": "Lumbar spinal stenosis",
    "other": "Other",
}
APPOINTMENT_KINDS = {
    "consultation": "Consultation",
    "pre_op": "Pre-operative assessment",
    "surgery": "Surgery",
    "follow_up": "Follow-up",
    "other": "Other",
}
ALERT_KINDS = {
    "red_flag": "Warning sign reported",
    "pain_high": "Pain of 8 or more",
    "pain_rise": "Pain rising",
    "leg_pain_return": "Leg pain back near its pre-surgery level",
    "missed_checkins": "No check-in for several days",
}
CHANNELS = {"email": "Email", "sms": "SMS"}
TIMEPOINTS = {
    "baseline": "Before surgery",
    "2w": "2 weeks after surgery",
    "6w": "6 weeks after surgery",
    "3m": "3 months after surgery",
    "12m": "12 months after surgery",
}
#: our QuestionnaireResponse statuses in FHIR's spelling
RESPONSE_STATUSES = {
    "in_progress": "in-progress",
    "completed": "completed",
    "entered_in_error": "entered-in-error",
}
