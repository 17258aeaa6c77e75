"""Sentences staff read, made from stored facts when shown, in the reader's language: a portal
alert's summary, an audit event's details, why a reminder was not sent. The words they use are
in :mod:`tracker.vocabulary.words`.
"""

import re
from collections.abc import Mapping
from datetime import date, datetime

from flask_babel import force_locale, format_date, format_datetime, format_decimal

from tracker.i18n import gettext as _
from tracker.vocabulary.words import (
    DETAIL_LABELS,
    PAIN_PARTS,
    RECORD_LANGUAGE,
    RED_FLAGS,
    REMINDER_ERRORS,
    REMINDER_REASONS,
    STAGES,
    VALUES,
    humanize,
    label,
)


def alert_summary(kind: str, details: Mapping | None, fallback: str = "") -> str:
    """One line saying what a portal alert found, in the reader's language.

    Made from the alert's kind and the facts the rules kept in its details, so staff reading
    in Indonesian see Indonesian; an alert whose details lack those facts (raised before they
    were kept) shows the line stored with it, ``fallback``.
    """
    facts = details or {}
    try:
        if kind == "red_flag":
            flags = ", ".join(label(flag, RED_FLAGS) for flag in facts["flags"])
            return _("Red flag: %(flags)s", flags=flags)
        if kind == "pain_high":
            return _(
                "Pain %(high)s/10 (back %(back)s, leg %(leg)s)",
                high=max(facts["back"], facts["leg"]),
                back=facts["back"],
                leg=facts["leg"],
            )
        if kind == "pain_rise":
            rises = "; ".join(
                _(
                    "%(part)s %(before)s → %(now)s",
                    part=label(part, PAIN_PARTS),
                    before=format_decimal(average, "0.0"),
                    now=score,
                )
                for part, average, score in facts["rises"]
            )
            return _(
                "Pain rose over the previous %(days)s-day average: %(rises)s",
                days=facts["window_days"],
                rises=rises,
            )
        if kind == "leg_pain_return":
            return _(
                "Leg pain %(now)s/10 is back near its pre-surgery %(baseline)s/10 after relief "
                "to %(best)s/10: possible re-herniation",
                now=facts["leg"],
                baseline=facts["baseline"],
                best=facts["best"],
            )
        if kind == "missed_checkins":
            last = facts["last"]
            if last is None:
                return _("No check-in for %(days)s days (no check-in yet)", days=facts["days"])
            return _(
                "No check-in for %(days)s days (last on %(day)s)",
                days=facts["days"],
                day=format_date(date.fromisoformat(last), "d MMM"),
            )
    except (KeyError, TypeError, ValueError):
        pass
    return fallback or humanize(kind)


def record_alert_summary(kind: str, details: Mapping) -> str:
    """:func:`alert_summary` in the record language, to store with the alert."""
    with force_locale(RECORD_LANGUAGE):
        return alert_summary(kind, details)


def _detail_value(value):
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is not None:
            return format_datetime(instant, "EEE dd MMM y, HH:mm")
    if value is None:
        return "—"
    if isinstance(value, str):
        return label(value) if value in VALUES or value in STAGES else value
    return value


def audit_details(action: str, details: Mapping | None) -> list[tuple[str, str]]:
    """An audit event's details as (label, text) pairs a person reads in their language.

    A change is kept as ``[before, after]``; an alert keeps the facts its summary is made of
    (``facts``), so the summary is worded for the reader as on the alert itself.
    """
    details = dict(details or {})
    facts = details.pop("facts", None)
    if action == "alert.raise" and facts is not None and "kind" in details:
        details["summary"] = alert_summary(details["kind"], facts, details.get("summary", ""))
    rows = []
    for key, value in details.items():
        if value in (None, "", []):
            continue
        if key == "red_flags" and isinstance(value, list):
            text = ", ".join(label(flag, RED_FLAGS) for flag in value)
        elif isinstance(value, list) and len(value) == 2:
            text = f"{_detail_value(value[0])} → {_detail_value(value[1])}"
        else:
            text = str(_detail_value(value))
        rows.append((label(key, DETAIL_LABELS), text))
    return rows


def _parse(text: str, patterns: tuple) -> tuple[str, dict] | None:
    """The kind and the parts of the first of ``patterns`` that ``text`` is written in."""
    for pattern, kind in patterns:
        match = pattern.fullmatch(text)
        if match is not None:
            return kind, match.groupdict()
    return None


_REASON_PATTERNS = (
    (re.compile(r"The patient withdrew consent for (?P<channel>\w+)\."), "consent"),
    (re.compile(r"Goes by (?P<channel>\w+) instead: one channel per message\."), "channel"),
    (re.compile(r"Journey (?P<status>\w+):? ?(?P<why>.*)", re.S), "journey"),
    (re.compile(r"Appointment cancelled:? ?(?P<why>.*)", re.S), "appointment"),
    (re.compile(r"The alert was (?P<status>\w+) before this could be sent\."), "alert"),
    (re.compile(r"The task (?P<task>\S+) is already (?P<status>\w+)\."), "task"),
)


def reminder_reason(text: str | None) -> str:
    """A reminder's stored reason in the reader's language; a person's own words stay as typed."""
    if not text:
        return ""
    if text in REMINDER_REASONS:
        return str(REMINDER_REASONS[text])
    parsed = _parse(text, _REASON_PATTERNS)
    if parsed is None:
        return text
    kind, found = parsed
    if kind == "consent":
        return _("The patient withdrew consent for %(channel)s.", channel=label(found["channel"]))
    if kind == "channel":
        return _(
            "Goes by %(channel)s instead: one channel per message.",
            channel=label(found["channel"]),
        )
    if kind == "journey":
        why = found["why"]
        if why == f"the journey is {found['status']}":
            why = ""
        status = label(found["status"]).lower()
        return _("Journey %(status)s: %(why)s", status=status, why=why).rstrip(": ")
    if kind == "appointment":
        return _("Appointment cancelled: %(why)s", why=found["why"]).rstrip(": ")
    if kind == "alert":
        return _(
            "The alert was %(status)s before this could be sent.",
            status=label(found["status"]).lower(),
        )
    return _(
        "The task %(task)s is already %(status)s.",
        task=found["task"],
        status=label(found["status"]).lower(),
    )


_ERROR_PATTERNS = (
    (re.compile(r"Gave up after (?P<n>\d+) attempts: (?P<error>.*)", re.S), "gave_up"),
    (re.compile(r"Not sent: (?P<reason>.*)", re.S), "not_sent"),
    (re.compile(r"SMTP server refused the (?P<what>sender|message): (?P<detail>.*)", re.S), "smtp"),
    (re.compile(r"SMTP server refused the recipient (?P<to>\S+): (?P<detail>.*)", re.S), "smtp_to"),
    (re.compile(r"Cannot reach SMTP server (?P<server>\S+): (?P<detail>.*)", re.S), "smtp_away"),
    (re.compile(r"SMTP connection lost before sending: (?P<detail>.*)", re.S), "smtp_lost"),
    (
        re.compile(
            r"The SMTP connection broke while the server had the message \((?P<detail>.*)\); "
            r"it may have been delivered\.",
            re.S,
        ),
        "smtp_broke",
    ),
    (re.compile(r"SMS gateway answered (?P<code>\d+): ?(?P<detail>.*)", re.S), "sms_answer"),
    (re.compile(r"Cannot reach the SMS gateway: (?P<detail>.*)", re.S), "sms_away"),
    (
        re.compile(
            r"No answer from the SMS gateway after sending \((?P<detail>.*)\); "
            r"it may have been sent\.",
            re.S,
        ),
        "sms_silent",
    ),
)


def reminder_error(text: str | None) -> str:
    """Why a reminder failed or needs a check, in the reader's language: the dispatcher's words
    are translated, the provider's answer inside them (an SMTP reply, an exception) stays."""
    if not text:
        return ""
    if text in REMINDER_ERRORS:
        return str(REMINDER_ERRORS[text])
    parsed = _parse(text, _ERROR_PATTERNS)
    if parsed is None:
        return text
    kind, found = parsed
    detail = found.get("detail", "")
    if kind == "gave_up":
        error = reminder_error(found["error"])
        return _("Gave up after %(n)s attempts: %(error)s", n=found["n"], error=error)
    if kind == "not_sent":
        return _("Not sent: %(reason)s", reason=reminder_reason(found["reason"]))
    if kind == "smtp":
        if found["what"] == "sender":
            return _("The mail server refused the sender: %(detail)s", detail=detail)
        return _("The mail server refused the message: %(detail)s", detail=detail)
    if kind == "smtp_to":
        return _(
            "The mail server refused the address %(to)s: %(detail)s",
            to=found["to"],
            detail=detail,
        )
    if kind == "smtp_away":
        return _(
            "Cannot reach the mail server %(server)s: %(detail)s",
            server=found["server"],
            detail=detail,
        )
    if kind == "smtp_lost":
        return _("The mail server connection was lost before sending: %(detail)s", detail=detail)
    if kind == "smtp_broke":
        return _(
            "The mail server connection broke while the server had the message "
            "(%(detail)s); it may have been delivered.",
            detail=detail,
        )
    if kind == "sms_answer":
        return _("The SMS gateway answered %(code)s: %(detail)s", code=found["code"], detail=detail)
    if kind == "sms_away":
        return _("Cannot reach the SMS gateway: %(detail)s", detail=detail)
    return _(
        "No answer from the SMS gateway after sending (%(detail)s); it may have been sent.",
        detail=detail,
    )
