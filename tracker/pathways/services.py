"""Load versioned pathway templates from the data files shipped in ``pathways/data``."""

import hashlib
import json
import re
import string
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tracker import yamlfile
from tracker.audit.services import record
from tracker.db import db
from tracker.discharge import defaults as discharge_defaults
from tracker.outcomes import schedule as outcome_schedule
from tracker.pathways import memory
from tracker.pathways.models import ANCHORS, STAGES, PathwayTemplate

DATA_DIR = Path(__file__).parent / "data"
CHANNELS = ("email", "sms")
AUDIENCES = ("patient", "coordinator")
APPOINTMENT_KINDS = ("consultation", "pre_op", "surgery", "follow_up", "other")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: what a reminder rule's ``event`` may be: the instant the reminder is about
REMINDER_EVENTS = ("surgery", "appointment", "day")
#: placeholders a reminder message may use (filled in the patient's language and time zone)
REMINDER_PLACEHOLDERS = frozenset(
    {
        "clinic",
        "phone",
        "name",
        "mrn",
        "surgery",
        "surgery_date",
        "surgery_time",
        "arrival_time",
        "appointment",
        "appointment_time",
        "appointment_date",
        "location",
        "portal_link",
        "task",
    }
)


class TemplateError(ValueError):
    """A pathway data file is not valid; the message says where."""


def _need(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise TemplateError(f"{where}: {message}")


def _check_place(value, where: str) -> None:
    """A place: one text, or the same place in en and id (what patients read)."""
    if value is None or isinstance(value, str):
        return
    _need(
        isinstance(value, dict) and set(value) == {"en", "id"} and value["en"] and value["id"],
        where,
        "location needs one text, or a text in en and id",
    )


def _check_titles(item: dict, where: str) -> None:
    title = item.get("title")
    _need(
        isinstance(title, dict) and set(title) == {"en", "id"} and title["en"] and title["id"],
        where,
        "needs a title in en and id, and nothing else (quote a title that holds a comma)",
    )


def validate_definition(data: Any, source: str = "template") -> dict:
    """Check a parsed data file; raise TemplateError naming the first problem."""
    _need(isinstance(data, dict), source, "must be a mapping")
    for key in ("slug", "name", "stages", "approach"):
        _need(key in data, source, f"missing {key!r}")
    _need(re.fullmatch(r"[a-z0-9-]+", str(data["slug"])) is not None, source, "bad slug")
    _need(isinstance(data["name"], dict) and data["name"].get("en"), source, "name needs en")
    stages = data["stages"]
    _need(
        [s.get("key") for s in stages] == list(STAGES),
        source,
        f"stages must be exactly {', '.join(STAGES)} in order",
    )
    keys: dict[str, set[str]] = {"tasks": set(), "appointments": set(), "reminders": set()}
    messages = data.get("messages", {})
    _need(isinstance(messages, dict), source, "messages must be a mapping")
    reminder_rules: list[tuple[dict, str]] = []
    milestone_records: list[tuple[Any, str]] = []
    _check_place(data.get("surgery_location"), f"{source} surgery_location")
    for stage in stages:
        at = f"{source} stage {stage['key']}"
        for task in stage.get("tasks", []):
            where = f"{at} task {task.get('key')}"
            _need(task.get("key") and task["key"] not in keys["tasks"], where, "needs a unique key")
            keys["tasks"].add(task["key"])
            _need(task.get("anchor") in ANCHORS, where, f"anchor must be one of {ANCHORS}")
            _need(isinstance(task.get("offset_days"), int), where, "offset_days must be a number")
            _check_titles(task, where)
        for ms in stage.get("milestones", []):
            where = f"{at} milestone {ms.get('key')}"
            _need(ms.get("anchor") in ANCHORS, where, f"anchor must be one of {ANCHORS}")
            _need(
                isinstance(ms.get("from_day"), int)
                and isinstance(ms.get("to_day"), int)
                and ms["from_day"] <= ms["to_day"],
                where,
                "needs from_day <= to_day",
            )
            _check_titles(ms, where)
            milestone_records.append((ms.get("record"), where))
        for appt in stage.get("appointments", []):
            where = f"{at} appointment {appt.get('key')}"
            _need(
                appt.get("key") and appt["key"] not in keys["appointments"],
                where,
                "needs a unique key",
            )
            keys["appointments"].add(appt["key"])
            _need(appt.get("anchor") in ANCHORS, where, f"anchor must be one of {ANCHORS}")
            _need(appt.get("kind") in APPOINTMENT_KINDS, where, "unknown kind")
            _need(_TIME.match(str(appt.get("time", ""))) is not None, where, "time must be HH:MM")
            _need(isinstance(appt.get("duration_minutes"), int), where, "needs duration_minutes")
            _check_place(appt.get("location"), where)
            _check_titles(appt, where)
        for rule in stage.get("reminders", []):
            where = f"{at} reminder {rule.get('key')}"
            _need(
                rule.get("key") and rule["key"] not in keys["reminders"],
                where,
                "needs a unique key",
            )
            keys["reminders"].add(rule["key"])
            _need(rule.get("anchor") in (*ANCHORS, "appointment"), where, "unknown anchor")
            _need(_TIME.match(str(rule.get("time", ""))) is not None, where, "time must be HH:MM")
            _need(
                rule.get("channels") and set(rule["channels"]) <= set(CHANNELS),
                where,
                f"channels must be among {CHANNELS}",
            )
            _need(rule.get("audience") in AUDIENCES, where, f"audience must be one of {AUDIENCES}")
            msg = messages.get(rule.get("message"))
            _need(
                msg is not None and "en" in msg and "id" in msg,
                where,
                "its message needs texts in en and id",
            )
            _check_reminder_rule(rule, where)
            reminder_rules.append((rule, where))
    for rule, where in reminder_rules:
        _need(
            "task" not in rule or rule["task"] in keys["tasks"],
            where,
            f"task {rule.get('task')!r} is not a task of this pathway",
        )
    for source_of_record, where in milestone_records:
        if source_of_record is None or source_of_record == "discharge":
            continue
        task = str(source_of_record).removeprefix("task:")
        _need(
            str(source_of_record).startswith("task:") and task in keys["tasks"],
            where,
            "record must be discharge or task:<a task key of this pathway>",
        )
    for key, texts in messages.items():
        _check_message_texts(texts, f"{source} message {key}")
    if "discharge" in data:
        problem = discharge_defaults.problem(data["discharge"])
        _need(problem is None, f"{source} discharge", str(problem))
    if "outcomes" in data:
        specs = {task["key"]: task for stage in stages for task in stage.get("tasks", [])}
        problem = outcome_schedule.problem(data["outcomes"], specs)
        _need(problem is None, f"{source} outcomes", str(problem))
    return data


def _check_reminder_rule(rule: dict, where: str) -> None:
    _need(isinstance(rule.get("offset_days"), int), where, "offset_days must be a number")
    repeat = rule.get("repeat_days", 1)
    _need(
        isinstance(repeat, int) and not isinstance(repeat, bool) and 1 <= repeat <= 366,
        where,
        "repeat_days must be a whole number of days from 1 to 366",
    )
    event = rule.get("event", "appointment" if rule.get("anchor") == "appointment" else "day")
    _need(event in REMINDER_EVENTS, where, f"event must be one of {REMINDER_EVENTS}")
    _need(
        (event == "appointment") == (rule.get("anchor") == "appointment"),
        where,
        "event appointment goes with anchor appointment, and only with it",
    )
    if rule.get("anchor") == "appointment":
        _need(
            rule.get("appointment_kind") in APPOINTMENT_KINDS,
            where,
            f"an appointment rule needs appointment_kind, one of {APPOINTMENT_KINDS}",
        )
    for flag in ("expires_at_event", "urgent", "skip_if_checked_in", "stop_when_settled"):
        _need(isinstance(rule.get(flag, False), bool), where, f"{flag} must be true or false")
    if rule.get("audience") == "coordinator":
        _need(rule.get("channels") == ["email"], where, "staff reminders go by email only")


def _check_message_texts(texts, where: str) -> None:
    _need(isinstance(texts, dict), where, "needs texts per language")
    for language in ("en", "id"):
        text = texts.get(language)
        _need(
            isinstance(text, dict) and text.get("subject") and text.get("body"),
            where,
            f"needs a subject and a body in {language}",
        )
        for part in ("subject", "body"):
            try:
                names = [n for _, n, _, _ in string.Formatter().parse(text[part]) if n is not None]
            except ValueError as exc:
                raise TemplateError(f"{where} {language} {part}: {exc}") from None
            unknown = sorted(set(names) - REMINDER_PLACEHOLDERS)
            _need(
                not unknown,
                f"{where} {language} {part}",
                f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
                f"use {', '.join(sorted(REMINDER_PLACEHOLDERS))}",
            )


def checksum(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_file(path: Path) -> dict:
    try:
        data = yamlfile.read(path)
    except yamlfile.YAMLError as exc:
        raise TemplateError(f"{path.name}: not valid YAML: {exc}") from None
    return validate_definition(data, path.name)


def load_definition(data: dict, *, now: datetime) -> tuple[PathwayTemplate, bool]:
    """Store ``data`` as a new template version unless that exact content is already loaded."""
    digest = checksum(data)
    slug = data["slug"]
    existing = db.session.scalar(
        sa.select(PathwayTemplate).where(
            PathwayTemplate.slug == slug, PathwayTemplate.checksum == digest
        )
    )
    memory.remember(digest, data)
    if existing is not None:
        return existing, False
    latest = db.session.scalar(
        sa.select(sa.func.max(PathwayTemplate.version)).where(PathwayTemplate.slug == slug)
    )
    template = PathwayTemplate(
        slug=slug,
        version=(latest or 0) + 1,
        name=data["name"]["en"],
        checksum=digest,
        definition=data,
        loaded_at=now,
    )
    db.session.add(template)
    record("pathway.load", template, details={"slug": slug, "version": template.version}, now=now)
    return template, True


def load_directory(
    directory: Path = DATA_DIR, *, now: datetime
) -> list[tuple[PathwayTemplate, bool]]:
    return [load_definition(read_file(path), now=now) for path in sorted(directory.glob("*.yaml"))]


def latest_templates() -> list[PathwayTemplate]:
    """The newest version of every pathway."""
    newest = (
        sa.select(PathwayTemplate.slug, sa.func.max(PathwayTemplate.version).label("version"))
        .group_by(PathwayTemplate.slug)
        .subquery()
    )
    query = sa.select(PathwayTemplate).join(
        newest,
        sa.and_(PathwayTemplate.slug == newest.c.slug, PathwayTemplate.version == newest.c.version),
    )
    return list(db.session.scalars(query.order_by(PathwayTemplate.name)))


def latest_template(slug: str) -> PathwayTemplate | None:
    return db.session.scalar(
        sa.select(PathwayTemplate)
        .where(PathwayTemplate.slug == slug)
        .order_by(PathwayTemplate.version.desc())
        .limit(1)
    )
