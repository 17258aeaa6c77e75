"""The questionnaire schedule of a journey: its dates and states, the patient's messages, and
how both follow a rescheduled operation."""

import copy
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tests.conftest import NOW
from tests.outcomes.conftest import ODI_28, ODI_60
from tracker.db import db
from tracker.journeys import services as journeys
from tracker.outcomes import schedule
from tracker.outcomes.services import Submission, record_submissions
from tracker.outcomes.status import journey_status, overdue
from tracker.pathways.services import load_definition
from tracker.reminders.dispatch import dispatch_due
from tracker.reminders.models import Reminder

# make_journey's operation: 10 December 2026, 08:30 in Jakarta
SURGERY_DAY = date(2026, 12, 10)


def by_key(statuses):
    return {s.key: s for s in statuses}


def questionnaire_rows(journey, rule: str, channel: str = "sms") -> Reminder:
    return db.session.scalar(
        sa.select(Reminder).where(
            Reminder.journey_id == journey.id,
            Reminder.rule_key == rule,
            Reminder.channel == channel,
        )
    )


def test_the_schedule_gives_each_timepoint_its_window(make_journey, instruments):
    journey = make_journey()
    statuses = by_key(journey_status(journey, now=NOW))
    assert list(statuses) == ["baseline", "2w", "6w", "3m", "12m"]
    six = statuses["6w"]
    assert (six.opens, six.due, six.closes) == (
        SURGERY_DAY + timedelta(35),
        SURGERY_DAY + timedelta(42),
        SURGERY_DAY + timedelta(49),
    )
    assert six.state == "upcoming" and six.instruments == (
        "odi",
        "back_pain",
        "leg_pain",
        "global_change",
    )
    baseline = statuses["baseline"]
    assert baseline.closes == SURGERY_DAY and baseline.state == "overdue"  # due at consultation
    assert baseline.due == date(2026, 11, 20)
    assert statuses["12m"].due == SURGERY_DAY + timedelta(365)


def test_the_patient_is_messaged_when_due_and_reminded_if_not_done(make_journey, instruments):
    journey = make_journey()
    due = questionnaire_rows(journey, "questionnaire_6w_due")
    reminder = questionnaire_rows(journey, "questionnaire_6w_reminder")
    # 10:00 Jakarta (03:00 UTC) on days 35 and 42 after the operation.
    assert due.due_at == datetime(2027, 1, 14, 3, 0, tzinfo=UTC)
    assert reminder.due_at == datetime(2027, 1, 21, 3, 0, tzinfo=UTC)
    assert (due.message_key, reminder.message_key) == (
        "questionnaire_due",
        "questionnaire_reminder",
    )
    # The message carries the personal link placeholder (and no clinical detail).
    texts = journey.template.definition["messages"]["questionnaire_due"]
    assert all("{portal_link}" in texts[lang]["body"] for lang in ("en", "id"))
    assert "ODI" not in texts["en"]["body"]


def test_the_schedule_follows_a_rescheduled_operation(make_journey, coordinator, instruments):
    journey = make_journey()
    before = by_key(journey_status(journey, now=NOW))
    due = questionnaire_rows(journey, "questionnaire_6w_due")
    task = next(t for t in journey.tasks if t.key == "outcome_6w")
    assert task.due_on == SURGERY_DAY + timedelta(42)

    later = journey.surgery_at + timedelta(days=7)
    journeys.reschedule_surgery(journey, later, actor=coordinator, now=NOW)
    db.session.commit()

    after = by_key(journey_status(journey, now=NOW))
    for key in ("6w", "3m", "12m"):
        assert after[key].opens == before[key].opens + timedelta(7)
        assert after[key].due == before[key].due + timedelta(7)
        assert after[key].closes == before[key].closes + timedelta(7)
    assert after["baseline"].closes == SURGERY_DAY + timedelta(7)
    db.session.refresh(due)
    assert due.status == "pending"
    assert due.due_at == datetime(2027, 1, 21, 3, 0, tzinfo=UTC)  # a week later, same hour
    assert task.due_on == SURGERY_DAY + timedelta(49)
    baseline = questionnaire_rows(journey, "questionnaire_baseline_due")
    assert baseline.due_at == datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # 7 days before
    assert baseline.expires_at == later


def test_answering_ticks_the_task_and_stops_the_reminder(make_journey, coordinator, instruments):
    journey = make_journey()
    at = journey.surgery_at + timedelta(days=36)
    values = {
        "odi": ODI_28,
        "back_pain": [3],
        "leg_pain": [2],
        "global_change": [2],
    }
    # The ODI alone is not the whole 6-week questionnaire: the task stays open.
    record_submissions(
        journey, [Submission("odi", ODI_28, at, "6w")], source="paper", actor=coordinator, now=at
    )
    task = next(t for t in journey.tasks if t.key == "outcome_6w")
    assert task.is_open
    rest = [Submission(key, v, at, "6w") for key, v in values.items() if key != "odi"]
    record_submissions(journey, rest, source="paper", actor=coordinator, now=at)
    db.session.commit()
    assert task.status == "done" and task.done_by_id == coordinator.id
    assert by_key(journey_status(journey, now=at))["6w"].state == "done"
    # The "not done yet" message on day 42 is skipped at its time.
    dispatch_due(now=journey.surgery_at + timedelta(days=42, hours=2))
    reminder = questionnaire_rows(journey, "questionnaire_6w_reminder")
    db.session.refresh(reminder)
    assert reminder.status == "skipped"
    assert "outcome_6w" in reminder.status_reason


def test_states_over_time(make_journey, instruments):
    journey = make_journey()
    day = journey.surgery_at

    def state(days: int) -> str:
        return by_key(journey_status(journey, now=day + timedelta(days=days)))["6w"].state

    assert state(10) == "upcoming"
    assert state(35) == "open"
    assert state(42) == "open"
    assert state(43) == "overdue"
    assert state(50) == "missed"
    assert by_key(journey_status(journey, now=day + timedelta(hours=1)))["baseline"].state == (
        "missed"
    )
    no_date = make_journey(surgery_at=None)
    statuses = by_key(journey_status(no_date, now=NOW))
    assert statuses["6w"].state == "waiting"
    assert statuses["baseline"].state in ("open", "overdue")


def test_a_skipped_task_takes_the_questionnaire_off_the_overdue_list(
    make_journey, coordinator, instruments
):
    journey = make_journey()
    on_day_44 = journey.surgery_at + timedelta(days=44)
    today = (on_day_44 + timedelta(hours=7)).date()
    listed, total = overdue(today, on_day_44)
    assert total == 1 and listed[0].timepoint.key == "6w" and listed[0].journey.id == journey.id
    # After the window closes it is a missed timepoint, no longer an action.
    on_day_50 = journey.surgery_at + timedelta(days=50)
    assert overdue((on_day_50 + timedelta(hours=7)).date(), on_day_50)[1] == 0
    task = next(t for t in journey.tasks if t.key == "outcome_6w")
    journeys.skip_task(task, reason="Patient declined", actor=coordinator, now=on_day_44)
    db.session.commit()
    assert overdue(today, on_day_44) == ([], 0)
    assert by_key(journey_status(journey, now=on_day_44))["6w"].state == "skipped"


def test_an_answer_without_a_timepoint_is_placed_by_its_date(
    make_journey, coordinator, instruments
):
    journey = make_journey()
    plan = schedule.timepoints(journey.template.definition)
    surgery_day = SURGERY_DAY

    def infer(at: datetime) -> str | None:
        local_day = (at + timedelta(hours=7)).date()
        return schedule.infer(plan, at, journey.surgery_at, surgery_day, local_day)

    assert infer(journey.surgery_at - timedelta(minutes=5)) == "baseline"
    assert infer(journey.surgery_at + timedelta(days=35)) == "6w"
    assert infer(journey.surgery_at + timedelta(days=49)) == "6w"
    assert infer(journey.surgery_at + timedelta(days=60)) is None  # between windows
    assert infer(journey.surgery_at + timedelta(days=390)) == "12m"
    assert infer(journey.surgery_at + timedelta(days=400)) is None
    assert schedule.infer(plan, NOW, None, None, NOW.date()) == "baseline"  # not booked yet
    response, _ = record_submissions(
        journey,
        [Submission("odi", ODI_60, journey.surgery_at - timedelta(days=2))],
        source="api",
        actor=coordinator,
        now=journey.surgery_at,
    )
    assert response[0].timepoint == "baseline"


def test_late_questionnaires_of_ended_journeys_and_long_waiting_baselines_stay_listed(
    make_journey, operated, coordinator, instruments
):
    today = (NOW + timedelta(hours=7)).date()
    # Operated 370 days ago and since completed: the 12-month questionnaire (day 365, open until
    # day 395) is overdue all the same.
    a_year_ago = operated(370)
    journeys.complete(a_year_ago, actor=coordinator, now=NOW, override_reason="Discharged to GP")
    # Waiting a year for a surgery date: the baseline, due long ago, is still to be answered.
    waiting = make_journey(surgery_at=None, consultation_date=today - timedelta(days=365))
    # Operated 500 days ago and never answered: missed months ago, no longer an action.
    operated(500)
    db.session.commit()
    assert not a_year_ago.tasks[0].journey_active
    listed, total = overdue(today, NOW)
    assert {(item.journey.id, item.timepoint.key) for item in listed} == {
        (a_year_ago.id, "12m"),
        (waiting.id, "baseline"),
    }
    assert total == 2


def test_each_pathway_version_lists_its_overdue_questionnaires_by_its_own_windows(
    make_journey, templates, instruments
):
    first = make_journey()
    # A later version closes the six-week window a day after its due day; another only words a
    # task differently (its questionnaires are the first version's, and are listed as those).
    shorter = copy.deepcopy(templates["teld"].definition)
    next(tp for tp in shorter["outcomes"]["timepoints"] if tp["key"] == "6w")["to_day"] = 43
    reworded = copy.deepcopy(templates["teld"].definition)
    reworded["name"] = {**reworded["name"], "en": reworded["name"]["en"] + " (reworded)"}
    for label, definition in (("shorter", shorter), ("reworded", reworded)):
        templates[label], new = load_definition(definition, now=NOW)
        assert new
    db.session.commit()
    second, third = make_journey(template="shorter"), make_journey(template="reworded")

    def listed_on(day: int) -> set:
        now = first.surgery_at + timedelta(days=day)
        items, total = overdue((now + timedelta(hours=7)).date(), now)
        assert total == len(items)
        return {(item.journey.id, item.timepoint.key, item.timepoint.to_day) for item in items}

    assert listed_on(43) == {(first.id, "6w", 49), (second.id, "6w", 43), (third.id, "6w", 49)}
    assert listed_on(45) == {(first.id, "6w", 49), (third.id, "6w", 49)}
