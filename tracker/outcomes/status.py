"""Where each questionnaire of a journey stands today, and which are overdue clinic-wide."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.db import constant, db, dialect_name
from tracker.journeys.models import Journey, Task
from tracker.outcomes.models import QuestionnaireResponse
from tracker.outcomes.schedule import Timepoint, timepoints
from tracker.pathways.models import PathwayTemplate
from tracker.portal.alerts import patient_tz, surgery_day

#: states a timepoint can be in, in the words staff and patients see (translated in templates)
STATES = ("waiting", "upcoming", "open", "overdue", "missed", "skipped", "done")


@dataclass
class TimepointStatus:
    timepoint: Timepoint
    opens: date | None
    due: date | None
    closes: date | None
    state: str
    completed: set[str] = field(default_factory=set)
    started: bool = False
    task: Task | None = None

    @property
    def key(self) -> str:
        return self.timepoint.key

    @property
    def instruments(self) -> tuple[str, ...]:
        return self.timepoint.instruments

    @property
    def answerable(self) -> bool:
        """Whether the patient may answer it in the portal now."""
        return self.state in ("open", "overdue") and bool(self.instruments)


def journey_responses(journey: Journey) -> list[QuestionnaireResponse]:
    """The journey's responses that count (entered-in-error ones left out), oldest first."""
    return list(
        db.session.scalars(
            sa.select(QuestionnaireResponse)
            .where(
                QuestionnaireResponse.journey_id == journey.id,
                QuestionnaireResponse.status != "entered_in_error",
            )
            .order_by(QuestionnaireResponse.started_at, QuestionnaireResponse.id)
        )
    )


def patient_today(journey: Journey, now: datetime) -> date:
    return now.astimezone(patient_tz(journey)).date()


def journey_status(
    journey: Journey, *, now: datetime, responses: list[QuestionnaireResponse] | None = None
) -> list[TimepointStatus]:
    """Every timepoint of the journey's schedule with its dates (patient's calendar) and state."""
    if responses is None:
        responses = journey_responses(journey)
    operated_on = surgery_day(journey)
    today = patient_today(journey, now)
    tasks = {t.key: t for t in journey.tasks}
    out = []
    for tp in timepoints(journey.template.definition):
        mine = [
            r for r in responses if r.timepoint == tp.key and r.instrument_key in tp.instruments
        ]
        completed = {r.instrument_key for r in mine if r.is_completed}
        opens, due, closes = tp.window(operated_on)
        task = tasks.get(tp.task) if tp.task else None
        if task is not None and task.due_on is not None:
            due = task.due_on
        status = TimepointStatus(
            timepoint=tp,
            opens=opens,
            due=due,
            closes=closes,
            state="waiting",
            completed=completed,
            started=any(r.status == "in_progress" for r in mine),
            task=task,
        )
        status.state = _state(status, journey, today, now)
        out.append(status)
    return out


def _state(status: TimepointStatus, journey: Journey, today: date, now: datetime) -> str:
    tp = status.timepoint
    if tp.instruments and status.completed >= set(tp.instruments):
        return "done"
    if status.task is not None and status.task.status == "skipped":
        return "skipped"
    if tp.is_baseline:
        if journey.surgery_at is not None and now >= journey.surgery_at:
            return "missed"
        return "overdue" if status.due is not None and today > status.due else "open"
    if status.opens is None:
        return "waiting"
    if today < status.opens:
        return "upcoming"
    if today > status.closes:
        return "missed"
    return "overdue" if today > status.due else "open"


@dataclass
class OverdueQuestionnaire:
    journey: Journey
    timepoint: Timepoint
    task: Task


def _questionnaire_tasks() -> list[tuple[int, str, Timepoint]]:
    """(template id, task key, timepoint) of every scheduled questionnaire of every version."""
    pairs = []
    for template_id, definition in db.session.execute(
        sa.select(PathwayTemplate.id, PathwayTemplate.definition)
    ):
        for tp in timepoints(definition):
            if tp.task and tp.instruments:
                pairs.append((template_id, tp.task, tp))
    return pairs


def _candidates(pairs: list, today: date, window: int) -> sa.CompoundSelect:
    """SQL: the open questionnaire tasks due before ``today`` that can still be open, one index
    range of ``ix_tasks_open_due_on`` per task key (a baseline's: its journey still runs, or
    it was due lately)."""
    windows: dict[str, list[int | None]] = {}
    for _, key, tp in pairs:
        windows.setdefault(key, []).append(None if tp.is_baseline else tp.to_day - tp.day)
    parts = []
    for key, days in sorted(windows.items()):
        if None in days:
            since = sa.or_(Task.due_on >= today - timedelta(days=window), Task.journey_active)
        else:
            since = Task.due_on >= today - timedelta(days=max(days))
        parts.append(
            sa.select(Task.id).where(
                Task.status == constant("open"), Task.key == key, Task.due_on < today, since
            )
        )
    return sa.union_all(*parts)


def _not_answered(tp: Timepoint):
    """SQL: the task's journey has not completed every instrument of ``tp``."""
    answered = (
        sa.select(sa.func.count(sa.distinct(QuestionnaireResponse.instrument_key)))
        .where(
            QuestionnaireResponse.journey_id == Task.journey_id,
            QuestionnaireResponse.timepoint == tp.key,
            QuestionnaireResponse.status == "completed",
            QuestionnaireResponse.instrument_key.in_(tp.instruments),
        )
        .scalar_subquery()
    )
    return answered < len(set(tp.instruments))


def _still_open(tp: Timepoint, today: date, now: datetime):
    """SQL: the timepoint's window has not closed (answers can still come in time)."""
    if tp.is_baseline:
        return sa.or_(Journey.surgery_at.is_(None), Journey.surgery_at > now)
    # The task is due on the timepoint's day (checked when the template loads).
    return Task.due_on >= today - timedelta(days=tp.to_day - tp.day)


def overdue(today: date, now: datetime, limit: int = 50) -> tuple[list[OverdueQuestionnaire], int]:
    """Questionnaires past their due day, not answered, window still open; and how many.

    One statement (the count is a window over the same rows): a questionnaire's due day is its
    task's, which moves with the surgery; skipping the task (e.g. "patient declined") takes it
    off the list, and so does the window closing (then it is a missed timepoint, counted in the
    report's completion). Completed journeys stay in: the 12-month questionnaire comes after
    most journeys close.
    """
    pairs = _questionnaire_tasks()
    if not pairs:
        return [], 0
    # One condition per distinct questionnaire, naming every version that has it: pathway
    # versions mostly share their questionnaires, and each condition counts the journey's answers
    # in a subquery. With one per version the planner priced those so high that, at 100k patients,
    # it hashed every journey operated in the last year (16 ms) rather than look up the few
    # hundred tasks' journeys by key (2 ms).
    versions: dict[tuple, list[int]] = {}
    for template_id, key, tp in pairs:
        versions.setdefault((key, tp), []).append(template_id)
    which = sa.or_(
        *(
            sa.and_(
                Task.key == key,
                Journey.template_id.in_(ids),
                _still_open(tp, today, now),
                _not_answered(tp),
            )
            for (key, tp), ids in versions.items()
        )
    )
    # Bounds the indexes can use, whatever the clinic's age (implied by ``which``): only the
    # questionnaires' tasks (``ix_tasks_open_due_on``, open tasks by key and due day); a follow-up
    # questionnaire is open for at most the longest window after its due day, which is its
    # timepoint's day after the surgery; a baseline only while the journey runs, before its
    # surgery. Without them every missed questionnaire of years past is looked at.
    follow_ups = [tp for _, _, tp in pairs if not tp.is_baseline]
    window = max((tp.to_day - tp.day for tp in follow_ups), default=0)
    after = max((tp.to_day for tp in follow_ups), default=0) + 7  # a week to spare (time zones)
    if dialect_name() == "sqlite":
        # SQLite reads the keys' index ranges up to today and cannot narrow them by the OR's
        # lower bounds (16,000 tasks at 100k patients, 39 ms); each key's own range: 4 ms.
        bounds = (Task.id.in_(_candidates(pairs, today, window)),)
    else:
        # PostgreSQL narrows the ranges by ``which`` itself, on the index (a BitmapOr).
        bounds = (
            Task.status == constant("open"),
            Task.due_on < today,
            Task.key.in_(sorted({key for _, key, _ in pairs})),
            sa.or_(Task.due_on >= today - timedelta(days=window), Task.journey_active),
        )
    where = (
        *bounds,
        Journey.status.in_(("active", "completed")),
        sa.or_(Journey.surgery_at.is_(None), Journey.surgery_at >= now - timedelta(days=after)),
        which,
    )
    rows = db.session.execute(
        sa.select(Task, sa.func.count().over())
        .join(Task.journey)
        .where(*where)
        .options(joinedload(Task.journey).joinedload(Journey.patient))
        .order_by(Task.due_on, Task.id)
        .limit(limit)
    ).all()
    by_task = {(template_id, key): tp for template_id, key, tp in pairs}
    items = [
        OverdueQuestionnaire(t.journey, by_task[(t.journey.template_id, t.key)], t)
        for t, _count in rows
    ]
    return items, (rows[0][1] if rows else 0)
