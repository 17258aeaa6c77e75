"""The clinic's own patient messages: the portal link and changes to the schedule.

A pathway template's ``messages:`` hold the texts of its reminder rules; these are the messages
every pathway shares, in the translation catalogs. A template that defines a message with the
same key uses its own text instead. Placeholders are those of the template messages
(``{name}``, ``{surgery}``, ``{portal_link}``, …).
"""

from flask_babel import force_locale

from tracker.i18n import lazy_gettext as _l

#: rule keys of rows that planning does not own: staff alerts, schedule notices, portal links
ALERT_RULE = "alert"
NOTICE_RULE = "notice"
PORTAL_LINK_RULE = "portal_link"
UNPLANNED_RULES = (ALERT_RULE, NOTICE_RULE, PORTAL_LINK_RULE)

SYSTEM_MESSAGES = {
    "portal_invitation": (
        _l("Your recovery page at {clinic}"),
        _l(
            "Dear {name}, this is your personal link to your recovery page at {clinic}: "
            "{portal_link} There you can tell us how you are and see your appointments. "
            "Keep the link to yourself. Questions: {phone}."
        ),
    ),
    "portal_link_request": (
        _l("Your link to {clinic}"),
        _l(
            "Dear {name}, here is a new personal link to your recovery page, as asked on our "
            "website: {portal_link} If you did not ask for it, you can ignore this message."
        ),
    ),
    "caregiver_invitation": (
        _l("Follow {name}'s recovery at {clinic}"),
        _l(
            "Dear {caregiver}, {name} asked {clinic} to let you follow their recovery. This is "
            "your personal link: {portal_link} Keep the link to yourself. Questions: {phone}."
        ),
    ),
    "caregiver_link_request": (
        _l("Your link to {clinic}"),
        _l(
            "Dear {caregiver}, here is a new personal link to follow {name}'s recovery, as asked "
            "on our website: {portal_link} If you did not ask for it, you can ignore this message."
        ),
    ),
    "new_message": (
        _l("You have a new message from {clinic}"),
        _l("You have a new message from {clinic}. Read it here: {portal_link}"),
    ),
    "surgery_moved": (
        _l("Your surgery has moved to {surgery_date}"),
        _l(
            "Dear {name}, your surgery at {clinic} has moved to {surgery}. Please arrive at "
            "{arrival_time}. Your appointments and reminders follow the new date: "
            "{portal_link} Questions: {phone}."
        ),
    ),
    "surgery_cancelled": (
        _l("Your surgery on {surgery_date} is cancelled"),
        _l(
            "Dear {name}, your surgery at {clinic} planned for {surgery} has been cancelled. "
            "We will contact you about what happens next. Questions: {phone}."
        ),
    ),
    "appointment_moved": (
        _l("Your appointment has moved to {appointment_date}"),
        _l(
            "Dear {name}, your appointment ({appointment}) has moved to {appointment_date} at "
            "{appointment_time}, {location}. See all your appointments: {portal_link} "
            "Questions: {phone}."
        ),
    ),
    "appointment_cancelled": (
        _l("Your appointment on {appointment_date} is cancelled"),
        _l(
            "Dear {name}, your appointment ({appointment}) on {appointment_date} at "
            "{appointment_time} has been cancelled. We will contact you if you need a new one. "
            "Questions: {phone}."
        ),
    ),
}


def system_text(message_key: str, language: str) -> dict[str, str] | None:
    """``{"subject": …, "body": …}`` of a clinic message in ``language``; None if unknown."""
    texts = SYSTEM_MESSAGES.get(message_key)
    if texts is None:
        return None
    with force_locale(language):
        return {"subject": str(texts[0]), "body": str(texts[1])}
