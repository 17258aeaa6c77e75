"""Every word staff read for a stored value.

Stage names, statuses, kinds, roles, audit actions and outcome time points are lazy strings
(Flask-Babel ``lazy_gettext``): they turn into the reader's language when shown. Views,
services and templates (the ``stage_label``, ``humanize`` and ``read_label`` filters, the
``vocabulary`` global) look them up here; nothing else keeps a copy.
"""

from collections.abc import Mapping

from tracker.i18n import lazy_gettext as _l

#: the stages of a journey, in order
STAGES = {
    "consultation": _l("Consultation"),
    "preparation": _l("Preparation"),
    "procedure": _l("Procedure"),
    "discharge": _l("Discharge"),
    "follow_up": _l("Follow-up"),
}

#: stored values shown as words: conditions, sides, approaches, anaesthesia, kinds, statuses,
#: roles, sexes, channels, languages, alert severities
VALUES = {
    # conditions
    "herniated_disc": _l("Herniated disc"),
    "spinal_stenosis": _l("Spinal stenosis"),
    "sciatica": _l("Sciatica"),
    "other": _l("Other"),
    # sides
    "left": _l("Left"),
    "right": _l("Right"),
    "bilateral": _l("Bilateral"),
    "central": _l("Central"),
    # approaches and anaesthesia
    "transforaminal": _l("Transforaminal (TELD / PELD)"),
    "interlaminar": _l("Interlaminar"),
    "general": _l("General"),
    "local_sedation": _l("Local with sedation"),
    # appointment kinds
    "consultation": _l("Consultation"),
    "pre_op": _l("Pre-operative"),
    "surgery": _l("Surgery"),
    "follow_up": _l("Follow-up"),
    # statuses (journeys, tasks, appointments, alerts, reminders)
    "active": _l("Active"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
    "scheduled": _l("Scheduled"),
    "no_show": _l("Did not attend"),
    "open": _l("Open"),
    "done": _l("Done"),
    "skipped": _l("Skipped"),
    "acknowledged": _l("Acknowledged"),
    "resolved": _l("Resolved"),
    "unresolved": _l("Unresolved"),
    "pending": _l("Pending"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "needs_check": _l("Needs a check"),
    "expired": _l("Expired"),
    # alert severities
    "urgent": _l("Urgent"),
    "high": _l("High"),
    "normal": _l("Normal"),
    # roles
    "admin": _l("Admin"),
    "coordinator": _l("Coordinator"),
    "clinician": _l("Clinician"),
    # sexes
    "female": _l("Female"),
    "male": _l("Male"),
    "unknown": _l("Unknown"),
    # channels, audiences and languages
    "sms": _l("SMS"),
    "email": _l("Email"),
    "patient": _l("Patient"),
    "on_duty": _l("On duty"),
    "escalation": _l("Escalation"),
    "en": _l("English"),
    "id": _l("Indonesian"),
    # audit kinds
    "change": _l("Change"),
    "read": _l("Read"),
}

#: what changed, as the journey's history and the audit trail name it
AUDIT_ACTIONS = {
    "journey.start": _l("Journey started"),
    "journey.advance": _l("Stage advanced"),
    "journey.back": _l("Moved back a stage"),
    "journey.complete": _l("Journey completed"),
    "journey.cancel": _l("Journey cancelled"),
    "journey.reschedule": _l("Surgery rescheduled"),
    "task.complete": _l("Task done"),
    "task.skip": _l("Task skipped"),
    "task.reopen": _l("Task reopened"),
    "appointment.create": _l("Appointment booked"),
    "appointment.update": _l("Appointment changed"),
    "appointment.cancel": _l("Appointment cancelled"),
    "note.add": _l("Note added"),
    "patient.create": _l("Patient registered"),
    "patient.update": _l("Patient details changed"),
    "alert.raise": _l("Alert raised"),
    "alert.acknowledge": _l("Alert acknowledged"),
    "alert.resolve": _l("Alert resolved"),
    "alert.escalate": _l("Alert escalated"),
    "discharge.draft": _l("Discharge sheet draft saved"),
    "discharge.issue": _l("Discharge sheet issued"),
    "export.journeys_csv": _l("Research CSV exported"),
    "fhir.everything": _l("FHIR record exported"),
    "fhir.export": _l("FHIR bulk export"),
    "fhir.read": _l("FHIR resource read"),
    "fhir.export.cancel": _l("FHIR bulk export cancelled"),
    "message.assign": _l("Conversation assigned"),
    "message.close": _l("Conversation closed"),
    "message.photo_review": _l("Wound photo reviewed"),
    "message.reply": _l("Care team replied"),
    "message.send": _l("Message sent to the care team"),
    "portal.caregiver_add": _l("Caregiver invited"),
    "portal.caregiver_withdraw": _l("Caregiver's access withdrawn"),
    "instrument.load": _l("Questionnaire loaded"),
    "pathway.load": _l("Pathway loaded"),
    "on_duty.add": _l("On-duty contact added"),
    "on_duty.remove": _l("On-duty contact removed"),
    "patient.sms_stop": _l("Patient replied STOP"),
    "portal.check_in": _l("Check-in recorded"),
    "portal.device_sign_out": _l("Portal device signed out"),
    "portal.invite": _l("Portal link sent"),
    "portal.link_request": _l("New portal link asked for"),
    "portal.link_request_refused": _l("Portal link request refused"),
    "portal.milestone": _l("Milestone recorded"),
    "portal.revoke": _l("Portal access withdrawn"),
    "portal.sign_in": _l("Signed in to the portal"),
    "questionnaire.complete": _l("Questionnaire completed"),
    "questionnaire.submit": _l("Questionnaire answers saved"),
    "questionnaire.entered_in_error": _l("Questionnaire marked entered in error"),
    "reminder.cancel": _l("Reminder cancelled"),
    "reminder.resend": _l("Reminder sent again"),
    "reminders.consent_stop": _l("Reminders stopped (consent withdrawn)"),
    "reminders.plan": _l("Reminders planned"),
    "settings.two_factor": _l("Two-factor rule changed"),
    "theatre_return.record": _l("Return to theatre recorded"),
    "theatre_return.void": _l("Return to theatre withdrawn"),
    "outcomes.export": _l("Outcomes report exported"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "user.create": _l("Staff user added"),
    "user.update": _l("Staff user changed"),
    "user.language": _l("Language changed"),
    "user.password": _l("Password changed"),
    "user.sign_in": _l("Signed in"),
    "user.sign_out": _l("Signed out"),
    "user.sign_in_failed": _l("Sign-in failed"),
    "user.two_factor_on": _l("Two-factor sign-in turned on"),
    "user.two_factor_off": _l("Two-factor sign-in turned off"),
    "user.recovery_codes": _l("New recovery codes made"),
    "user.recovery_code_used": _l("Recovery code used"),
}

#: the facts an audit event keeps, as the journey's history labels them
DETAIL_LABELS = {
    "address": _l("Address"),
    "anesthesia": _l("Anesthesia"),
    "approach": _l("Approach"),
    "back_pain": _l("Back pain"),
    "band": _l("Band"),
    "birth_date": _l("Date of birth"),
    "by": _l("By"),
    "cancelled": _l("Cancelled"),
    "caregiver": _l("Caregiver"),
    "channel": _l("Channel"),
    "checksum": _l("Checksum"),
    "condition": _l("Condition"),
    "consent_email": _l("Email allowed"),
    "consent_sms": _l("SMS allowed"),
    "consultation_date": _l("Consultation date"),
    "conversation": _l("Conversation"),
    "created": _l("Created"),
    "devices_signed_out": _l("Devices signed out"),
    "duration_minutes": _l("Duration (minutes)"),
    "email": _l("Email"),
    "entered_by": _l("Entered by"),
    "expires_at": _l("Expires"),
    "family_name": _l("Family name"),
    "given_name": _l("Given name"),
    "instrument": _l("Questionnaire"),
    "instruments": _l("Questionnaires"),
    "journey_id": _l("Journey"),
    "kind": _l("Kind"),
    "language": _l("Language"),
    "leg_pain": _l("Leg pain"),
    "levels": _l("Level(s)"),
    "location": _l("Location"),
    "medications": _l("Medications"),
    "missing": _l("Missing"),
    "moved": _l("Moved"),
    "mrn": _l("MRN"),
    "name": _l("Name"),
    "note": _l("Note"),
    "occurred_on": _l("Occurred on"),
    "override_reason": _l("Reason for going on"),
    "phone": _l("Phone"),
    "photos": _l("Photos"),
    "reason": _l("Reason"),
    "red_flags": _l("Warning signs"),
    "relationship": _l("Relationship"),
    "replaced": _l("Replaced"),
    "revived": _l("Revived"),
    "saved_reply": _l("Saved reply"),
    "score": _l("Score"),
    "send_by": _l("Sent by"),
    "severity": _l("Severity"),
    "sex": _l("Sex"),
    "shown": _l("Shown"),
    "side": _l("Side"),
    "skipped": _l("Skipped"),
    "source": _l("Source"),
    "stage": _l("Stage"),
    "starts_at": _l("Starts"),
    "status": _l("Status"),
    "summary": _l("Summary"),
    "surgeon_id": _l("Surgeon"),
    "surgery_at": _l("Surgery"),
    "task": _l("Task"),
    "template": _l("Pathway"),
    "timepoint": _l("Time point"),
    "timezone": _l("Time zone"),
    "title": _l("Title"),
    "version": _l("Version"),
    "via": _l("Via"),
}

#: what was opened, as "who opened this record" names it
READS = {
    "patient.view": _l("Patient page"),
    "patient.search": _l("Patient list or search"),
    "journey.view": _l("Journey page"),
    "journey.list": _l("List of journeys"),
    "discharge.view": _l("Discharge sheet editor"),
    "discharge.print": _l("Discharge sheet printed"),
    "discharge.download": _l("Discharge sheet PDF"),
    "discharge.list": _l("Today's discharges"),
    "reminder.list": _l("Reminders"),
    "audit.view": _l("Audit trail"),
    "audit.export": _l("Audit trail exported"),
    "fhir.everything": _l("FHIR: the whole record"),
    "fhir.read": _l("FHIR: one resource"),
    "fhir.export": _l("FHIR bulk export (command line)"),
    "fhir.export.request": _l("FHIR bulk export asked for"),
    "fhir.export.download": _l("FHIR bulk export file"),
    "export.journeys_csv": _l("Research CSV"),
}

#: the kinds of portal alert, as a phrase inside a sentence (the on-duty message)
ALERT_KINDS = {
    "red_flag": _l("red flag reported"),
    "pain_high": _l("pain 8 or more"),
    "pain_rise": _l("pain rising"),
    "leg_pain_return": _l("possible re-herniation"),
    "missed_checkins": _l("missed check-ins"),
}

#: the warning signs a patient can tick, as a phrase in a red-flag alert
RED_FLAGS = {
    "flag_weakness": _l("new or worse leg weakness or numbness"),
    "flag_both_legs": _l("new weakness or numbness in both legs"),
    "flag_saddle": _l("saddle numbness or new bladder/bowel problems"),
    "flag_fever": _l("fever or chills"),
    "flag_wound": _l("wound redness, swelling or discharge"),
}

#: where the pain is, inside a sentence
PAIN_PARTS = {"back": _l("back"), "leg": _l("leg")}

#: the clinic's own language for words written into stored records (the API and FHIR read them)
RECORD_LANGUAGE = "en"


#: the titles of the coordinator's alert about a reminder gone wrong
REMINDER_PROBLEMS = {
    "failed": _l("Reminder failed"),
    "needs_check": _l("Reminder needs a check"),
    "expired": _l("Reminder expired unsent"),
}

#: the reminders the shipped pathways plan, and the clinic's own messages (outbox, journey page);
#: a rule a clinic adds to its own pathway shows its key made readable
REMINDER_RULES = {
    "booking_confirmation": _l("Booking confirmation"),
    "preop_instructions": _l("Pre-operative instructions"),
    "transport_check": _l("Transport check"),
    "evening_before": _l("Evening before surgery"),
    "pain_checkin": _l("Daily pain check-in"),
    "followup_day_before": _l("Day before the follow-up"),
    "outcome_check_3m": _l("3-month outcome check"),
    "questionnaire_baseline_due": _l("Questionnaire before surgery"),
    "questionnaire_baseline_reminder": _l("Questionnaire before surgery: reminder"),
    "questionnaire_6w_due": _l("6-week questionnaire"),
    "questionnaire_6w_reminder": _l("6-week questionnaire: reminder"),
    "questionnaire_3m_due": _l("3-month questionnaire"),
    "questionnaire_12m_due": _l("12-month questionnaire"),
    "questionnaire_12m_reminder": _l("12-month questionnaire: reminder"),
    "notice": _l("Schedule notice"),
    "portal_link": _l("Portal link"),
}

#: why the planner or the dispatcher did not send a reminder: the English they store (kept as
#: written, for the API), worded for the reader when shown (:func:`reminder_reason`)
REMINDER_REASONS = {
    "A newer change replaced this message.": _l("A newer change replaced this message."),
    "Its time and its event had both passed when it was planned.": _l(
        "Its time and its event had both passed when it was planned."
    ),
    "No longer applies after a change to the journey.": _l(
        "No longer applies after a change to the journey."
    ),
    "The portal link was replaced or withdrawn before this was sent.": _l(
        "The portal link was replaced or withdrawn before this was sent."
    ),
    "The patient's portal access was withdrawn: no link to send.": _l(
        "The patient's portal access was withdrawn: no link to send."
    ),
    "The patient already checked in today.": _l("The patient already checked in today."),
    "The patient's pain has settled: daily check-ins are no longer asked for.": _l(
        "The patient's pain has settled: daily check-ins are no longer asked for."
    ),
    "Its event had already started when it could be sent.": _l(
        "Its event had already started when it could be sent."
    ),
    "The caregiver's access was withdrawn.": _l("The caregiver's access was withdrawn."),
}

#: why a reminder failed or needs a check, in the dispatcher's own words (stored in English for
#: the API, worded for the reader when shown: :func:`reminder_error`; a provider's own answer
#: inside them stays as it came)
REMINDER_ERRORS = {
    "No address to send to.": _l("No address to send to."),
    "The dispatcher stopped while handing this reminder to the provider; it may or may not "
    "have gone out. Check with the patient, then resend or cancel it.": _l(
        "The dispatcher stopped while handing this reminder to the provider; it may or may not "
        "have gone out. Check with the patient, then resend or cancel it."
    ),
}

#: a reminder's status inside a sentence ("This reminder is already sent.")
REMINDER_STATUSES = {
    "pending": _l("due"),
    "sending": _l("sending"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "needs_check": _l("needs check"),
    "cancelled": _l("cancelled"),
    "skipped": _l("skipped"),
    "expired": _l("expired"),
}

#: the outcome questionnaires' time points
TIMEPOINTS = {
    "baseline": _l("Before surgery"),
    "2w": _l("2 weeks"),
    "6w": _l("6 weeks"),
    "3m": _l("3 months"),
    "12m": _l("12 months"),
}

#: where a time point's questionnaires stand
TIMEPOINT_STATES = {
    "waiting": _l("Once surgery is booked"),
    "upcoming": _l("Upcoming"),
    "open": _l("Open"),
    "overdue": _l("Overdue"),
    "missed": _l("Missed"),
    "skipped": _l("Skipped"),
    "done": _l("Done"),
}


def humanize(value: str | None) -> str:
    """snake_case to a label: "herniated_disc" → "Herniated disc" (translated when known)."""
    if not value:
        return ""
    if value in VALUES:
        return str(VALUES[value])
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def label(value: str | None, words: Mapping = VALUES) -> str:
    """The word for ``value`` in ``words``, else the value made readable."""
    if value in words:
        return str(words[value])
    return humanize(value)


def stage_label(stage: str | None) -> str:
    return label(stage, STAGES)


def read_label(action: str) -> str:
    if action in READS:
        return str(READS[action])
    return action.replace("_", " ").replace(".", ": ").capitalize()


def audit_label(action: str) -> str:
    if action in AUDIT_ACTIONS:
        return str(AUDIT_ACTIONS[action])
    return humanize(action.replace(".", " "))
