"""Due instants in the patient's time zone across daylight-saving changes, and quiet hours."""

import copy
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tracker.db import db
from tracker.journeys.services import JourneyDetails, start_journey
from tracker.pathways.services import TemplateError, load_definition, validate_definition
from tracker.reminders.models import Reminder
from tracker.reminders.planning import push_past_quiet_hours, quiet_window

EARLY = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)  # plan before every 2026 change


@pytest.fixture
def with_rule(templates):
    """A copy of the TELD template with one extra reminder rule on surgery day."""

    def make(**rule):
        data = copy.deepcopy(templates["teld"].definition)
        data["slug"] = f"dst-{rule['key'].replace('_', '-')}"
        spec = {
            "anchor": "surgery",
            "offset_days": 0,
            "channels": ["email"],
            "audience": "patient",
            "message": "pain_checkin",
            **rule,
        }
        data["stages"][2].setdefault("reminders", []).append(spec)
        template, _ = load_definition(validate_definition(data), now=EARLY)
        db.session.commit()
        return template

    return make


def plan(template, make_patient, tz: str, surgery_local: datetime):
    zone = ZoneInfo(tz)
    journey = start_journey(
        make_patient(timezone=tz),
        template,
        JourneyDetails(
            condition="herniated_disc",
            levels="L4-L5",
            side="left",
            approach="transforaminal",
            anesthesia="local_sedation",
            consultation_date=date(2026, 1, 5),
            surgery_at=surgery_local.replace(tzinfo=zone).astimezone(UTC),
        ),
        actor=None,
        now=EARLY,
    )
    db.session.commit()
    return journey


def due(journey, rule: str) -> list[datetime]:
    """Due times of a rule's messages (one channel each: the patient's preferred one)."""
    return list(
        db.session.scalars(
            sa.select(Reminder.due_at)
            .where(Reminder.journey_id == journey.id, Reminder.rule_key == rule)
            .order_by(Reminder.due_at)
        )
    )


@pytest.mark.parametrize(
    ("tz", "surgery_day", "before", "after"),
    [
        # 09:00 local each day; the UTC instant shifts by the change, the wall clock does not.
        ("Europe/Berlin", date(2026, 3, 27), "08:00", "07:00"),  # CET -> CEST on 29 March
        ("Europe/Berlin", date(2026, 10, 23), "07:00", "08:00"),  # CEST -> CET on 25 October
        ("America/New_York", date(2026, 3, 6), "14:00", "13:00"),  # EST -> EDT on 8 March
        ("America/New_York", date(2026, 10, 30), "13:00", "14:00"),  # EDT -> EST on 1 November
        ("Australia/Lord_Howe", date(2026, 4, 3), "22:00", "22:30"),  # +11 -> +10:30, 5 April
        ("Australia/Lord_Howe", date(2026, 10, 2), "22:30", "22:00"),  # +10:30 -> +11, 4 Oct
    ],
)
def test_daily_check_ins_stay_at_nine_local_across_the_change(
    templates, make_patient, tz, surgery_day, before, after
):
    journey = plan(templates["teld"], make_patient, tz, datetime.combine(surgery_day, time(9)))
    instants = due(journey, "pain_checkin")
    assert len(instants) == 14
    assert {i.astimezone(ZoneInfo(tz)).time() for i in instants} == {time(9)}
    assert instants[0].strftime("%H:%M") == before
    assert instants[-1].strftime("%H:%M") == after


@pytest.mark.parametrize(
    ("tz", "day", "clock", "expected_utc", "expected_local"),
    [
        # Nonexistent local times move forward past the gap.
        ("Europe/Berlin", date(2026, 3, 29), "02:30", datetime(2026, 3, 29, 1, 30), "03:30"),
        ("America/New_York", date(2026, 3, 8), "02:30", datetime(2026, 3, 8, 7, 30), "03:30"),
        ("Australia/Lord_Howe", date(2026, 10, 4), "02:15", datetime(2026, 10, 3, 15, 45), "02:45"),
        # Ambiguous local times take their first occurrence.
        ("Europe/Berlin", date(2026, 10, 25), "02:30", datetime(2026, 10, 25, 0, 30), "02:30"),
        ("America/New_York", date(2026, 11, 1), "01:30", datetime(2026, 11, 1, 5, 30), "01:30"),
        ("Australia/Lord_Howe", date(2026, 4, 5), "01:45", datetime(2026, 4, 4, 14, 45), "01:45"),
    ],
)
def test_gaps_move_forward_and_repeated_hours_take_the_first(
    with_rule, make_patient, tz, day, clock, expected_utc, expected_local
):
    # urgent: quiet hours would otherwise move these night-time rules to the morning
    template = with_rule(key="night_rule", time=clock, urgent=True)
    journey = plan(template, make_patient, tz, datetime.combine(day, time(10)))
    [instant] = due(journey, "night_rule")
    assert instant == expected_utc.replace(tzinfo=UTC)
    local = instant.astimezone(ZoneInfo(tz))
    assert local.strftime("%H:%M") == expected_local
    assert local.fold == 0


def test_quiet_hours_push_a_reminder_to_the_next_allowed_minute(with_rule, make_patient):
    late = with_rule(key="late_rule", time="22:30")
    journey = plan(late, make_patient, "Asia/Jakarta", datetime(2026, 6, 10, 10, 0))
    [instant] = due(journey, "late_rule")
    assert instant == datetime(2026, 6, 11, 1, 0, tzinfo=UTC)  # 08:00 Jakarta, next morning
    row = db.session.scalar(sa.select(Reminder).where(Reminder.rule_key == "late_rule"))
    assert row.rule_at == datetime(2026, 6, 10, 15, 30, tzinfo=UTC)  # what the rule said

    early = with_rule(key="early_rule", time="06:15")
    journey = plan(early, make_patient, "Europe/Berlin", datetime(2026, 3, 29, 10, 0))
    [instant] = due(journey, "early_rule")
    assert instant.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d %H:%M") == "29 08:00"


def test_urgent_reminders_ignore_quiet_hours(with_rule, make_patient):
    template = with_rule(key="urgent_rule", time="22:30", urgent=True)
    journey = plan(template, make_patient, "Asia/Jakarta", datetime(2026, 6, 10, 10, 0))
    assert due(journey, "urgent_rule") == [datetime(2026, 6, 10, 15, 30, tzinfo=UTC)]


def test_quiet_hours_follow_the_setting(app):
    tz = ZoneInfo("Asia/Jakarta")
    ten_pm = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
    assert push_past_quiet_hours(ten_pm, tz, quiet_window("21:00-08:00")) == datetime(
        2026, 6, 11, 1, 0, tzinfo=UTC
    )
    assert push_past_quiet_hours(ten_pm, tz, quiet_window("")) == ten_pm
    assert push_past_quiet_hours(ten_pm, tz, quiet_window("12:00-14:00")) == ten_pm
    noon = datetime(2026, 6, 10, 5, 30, tzinfo=UTC)  # 12:30 local
    assert push_past_quiet_hours(noon, tz, quiet_window("12:00-14:00")) == noon + timedelta(
        minutes=90
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"repeat_days": 0}, "repeat_days"),
        ({"event": "lunch"}, "event must be one of"),
        ({"task": "no_such_task"}, "is not a task"),
        ({"audience": "coordinator", "channels": ["sms"]}, "by email only"),
        (
            {"anchor": "appointment", "appointment_kind": "follow_up", "event": "day"},
            "event appointment goes with anchor appointment",
        ),
        ({"anchor": "appointment"}, "needs appointment_kind"),
    ],
)
def test_bad_reminder_rules_are_refused_with_a_clear_message(templates, change, message):
    data = copy.deepcopy(templates["teld"].definition)
    data["stages"][4]["reminders"][0].update(change)
    with pytest.raises(TemplateError, match=message):
        validate_definition(data)


def test_messages_with_unknown_placeholders_are_refused(templates):
    data = copy.deepcopy(templates["teld"].definition)
    data["messages"]["pain_checkin"]["id"]["body"] = "Halo {nama}"
    with pytest.raises(TemplateError, match=r"unknown placeholder\(s\) \{nama\}"):
        validate_definition(data)
    data["messages"]["pain_checkin"]["id"] = {"subject": "Halo"}
    with pytest.raises(TemplateError, match="needs a subject and a body in id"):
        validate_definition(data)
