"""One demo case played through the journey services, in the order a clinic would have lived
it: registered, started on its pathway, tasks ticked, appointments closed, stages passed, with
the case's twists (a moved surgery, a step back, a cancellation, notes)."""

import random
import re
from datetime import date, datetime, timedelta

from tracker.demo.cases import (
    APPROACH,
    CLINICIAN_TASKS,
    PROCEDURE_TASK_MINUTES,
    QUESTIONNAIRE_TASKS,
    SKIP_REASONS,
    SURGEONS,
    Case,
    demo_mrn,
)
from tracker.demo.context import Demo
from tracker.journeys import services as journeys
from tracker.journeys.models import Journey, Task
from tracker.pathways.models import STAGES, PathwayTemplate
from tracker.patients.models import Patient
from tracker.patients.services import create_patient


class _Clock:
    """Hands out instants that never go backwards and never pass the demo's ``now``."""

    def __init__(self, now: datetime):
        self.now = now
        self.last: datetime | None = None

    def __call__(self, wanted: datetime) -> datetime:
        at = min(wanted, self.now)
        if self.last is not None:
            at = max(at, self.last)
        self.last = at
        return at


class Story:
    """Play one case through the services, in the order a clinic would have lived it."""

    def __init__(self, demo: Demo, case: Case, index: int, template: PathwayTemplate):
        self.demo, self.case, self.index, self.template = demo, case, index, template
        self.rng = demo.rng
        self.clock = _Clock(demo.now)
        self.coordinator = demo.staff(self.rng.choice(("citra", "nadia")))
        self.surgeon = demo.staff(self.rng.choice(SURGEONS[case.pathway]))
        if case.consult is not None:
            self.consult_day = case.consult
        else:
            self.consult_day = case.surgery - self.rng.randint(14, 35)
        # Consent and booking a few days after the consultation, but before the medicine review.
        latest = case.surgery - 11 if case.surgery is not None else self.consult_day + 5
        consent = min(self.consult_day + self.rng.randint(1, 5), latest)
        self.consent_day = max(self.consult_day, consent)
        self.journey: Journey | None = None

    # What happened, in order.

    def tell(self) -> None:
        case = self.case
        patient = self._register()
        self._start(patient)
        target = STAGES.index(case.stage)
        for stage in STAGES[: target + 1]:
            if stage == "preparation":
                self._book_or_move_surgery()
            passed = stage != case.stage or case.completed
            self._work_tasks(stage, passed)
            self._finish_appointments(stage)
            if passed:
                self._advance(stage)
        if case.back:
            day, reason, reopen = case.back
            when = self.clock(self.demo.at(day, "10:30"))
            journeys.move_back(self.journey, reason=reason, actor=self.surgeon, now=when)
            if reopen:
                task = self._task(reopen)
                journeys.reopen_task(task, reason=reason, actor=self.surgeon, now=when)
        for day, clock, who, text in case.notes:
            when = min(self.demo.at(day, clock), self.demo.now)
            journeys.add_note(self.journey, text, actor=self.demo.staff(who), now=when)
        if case.cancel:
            day, reason = case.cancel
            when = self.clock(self.demo.at(day, "14:00"))
            journeys.cancel(self.journey, reason=reason, actor=self.coordinator, now=when)

    def _register(self) -> Patient:
        person, rng = self.case.person, self.rng
        birth = date(person.born, 1, 1) + timedelta(days=rng.randint(0, 364))
        email = None
        if person.born >= 1955 or rng.random() < 0.3:
            local = re.sub(r"[^a-z]+", ".", f"{person.given} {person.family}".lower()).strip(".")
            email = f"{local}@{rng.choice(('example.com', 'example.net'))}"
        values = {
            "mrn": demo_mrn(self.index),
            "given_name": person.given,
            "family_name": person.family,
            "birth_date": birth,
            "sex": person.sex,
            "phone": _phone(person.tz, rng),
            "email": email,
            "language": person.language,
            "timezone": person.tz,
            "consent_email": email is not None and rng.random() < 0.9,
            "consent_sms": rng.random() < 0.85,
        }
        first_call = self.consult_day - rng.randint(3, 14)
        registered = self.demo.at(first_call, "10:00", rng.randint(0, 300))
        return create_patient(values, actor=self.coordinator, now=self.clock(registered))

    def _start(self, patient: Patient) -> None:
        case = self.case
        surgery_at = None
        if case.surgery is not None and case.booked_on is None:
            surgery_day = case.reschedule[1] if case.reschedule else case.surgery
            surgery_at = self.demo.at(surgery_day, case.surgery_time)
        anesthesia = case.anesthesia or (
            "local_sedation" if case.pathway == "teld" and self.rng.random() < 0.8 else "general"
        )
        details = journeys.JourneyDetails(
            condition=case.condition,
            levels=case.levels,
            side=case.side,
            approach=APPROACH[case.pathway],
            anesthesia=anesthesia,
            consultation_date=self.demo.today + timedelta(days=self.consult_day),
            surgery_at=surgery_at,
            surgeon=self.surgeon,
        )
        started = self.demo.at(self.consult_day, "11:30", self.rng.randint(0, 90))
        self.journey = journeys.start_journey(
            patient, self.template, details, actor=self.coordinator, now=self.clock(started)
        )

    def _book_or_move_surgery(self) -> None:
        case = self.case
        if case.booked_on is not None:
            when = self.clock(self.demo.at(case.booked_on, "15:00"))
            new = self.demo.at(case.surgery, case.surgery_time)
            journeys.reschedule_surgery(
                self.journey, new, actor=self.coordinator, now=when, reason="Surgery booked."
            )
        if case.reschedule:
            day, _, reason = case.reschedule
            when = self.clock(self.demo.at(day, "09:40"))
            new = self.demo.at(case.surgery, case.surgery_time)
            journeys.reschedule_surgery(
                self.journey, new, actor=self.coordinator, now=when, reason=reason
            )

    def _exit_time(self, stage: str) -> datetime:
        """When the journey left ``stage`` for the next one."""
        surgery = self.journey.surgery_at
        minutes = int(self.template.definition.get("procedure_minutes", 90))
        arrival = int(self.template.definition.get("arrival_minutes_before", 90))
        if stage == "consultation":
            return self.demo.at(self.consent_day, "14:00", self.rng.randint(0, 90))
        if stage == "preparation":
            return surgery - timedelta(minutes=arrival - 5)
        if stage == "procedure":
            return surgery + timedelta(minutes=minutes + 200)
        if stage == "discharge":
            return self._went_home()
        outcome = self._task("outcome_3m")
        return self.demo.at(outcome.due_on, "10:15")

    def _went_home(self) -> datetime:
        surgery = self.journey.surgery_at
        stay = self.case.stay if self.case.stay is not None else self.journey.planned_stay_days
        if stay == 0:
            minutes = int(self.template.definition.get("procedure_minutes", 90))
            return surgery + timedelta(minutes=minutes + 240)
        day = surgery.astimezone(self.demo.tz).date() + timedelta(days=stay)
        return self.demo.at(day, "10:00")

    def _done_time(self, task: Task) -> datetime:
        """When a clinic would usually tick ``task`` off."""
        surgery = self.journey.surgery_at
        if task.stage == "consultation":
            if task.key == "consent_signed":
                return self.demo.at(self.consent_day, "13:30")
            return self.demo.at(self.consult_day, "11:00")
        if task.stage == "procedure":
            if task.key == "procedure_done":
                minutes = int(self.template.definition.get("procedure_minutes", 90))
                return surgery + timedelta(minutes=minutes)
            return surgery + timedelta(minutes=PROCEDURE_TASK_MINUTES.get(task.key, 60))
        if task.stage == "discharge":
            return self._went_home() - timedelta(minutes=40)
        return self.demo.at(task.due_on, "09:00", self.rng.randint(15, 420))

    def _work_tasks(self, stage: str, passed: bool) -> None:
        exit_at = self._exit_time(stage) if passed else None
        for task in [t for t in self.journey.tasks if t.stage == stage]:
            if task.key in self.case.open_tasks or task.key in QUESTIONNAIRE_TASKS:
                continue  # questionnaire tasks are ticked by the answers (create_outcomes)
            if not task.required and self.rng.random() < 0.2:
                if passed:  # optional items are sometimes not needed
                    when = self.clock(exit_at - timedelta(minutes=10))
                    reason = self.rng.choice(SKIP_REASONS)
                    journeys.skip_task(task, reason=reason, actor=self.coordinator, now=when)
                continue
            if task.stage == "consultation" and task.key == "consent_signed" and not passed:
                continue  # still deciding: that is why they are in consultation
            if task.due_on is None:
                continue
            when = self._done_time(task)
            if exit_at is not None:
                when = min(when, exit_at - timedelta(minutes=5))
            elif when > self.demo.now:
                continue  # not yet
            actor = self.surgeon if task.key in CLINICIAN_TASKS else self.coordinator
            journeys.complete_task(task, actor=actor, now=self.clock(when))

    def _finish_appointments(self, stage: str) -> None:
        keys = {
            a["key"]
            for s in self.template.definition["stages"]
            if s["key"] == stage
            for a in s.get("appointments", [])
        }
        if stage == "procedure":
            keys.add("surgery")
        for appt in self.journey.appointments:
            if appt.key not in keys or appt.status != "scheduled" or appt.ends_at > self.demo.now:
                continue
            status = "no_show" if appt.key in self.case.no_show else "completed"
            # Not through the clock: an appointment is closed when it ends, whatever came before.
            journeys.update_appointment(
                appt, {"status": status}, actor=self.coordinator, now=appt.ends_at
            )

    def _advance(self, stage: str) -> None:
        when = self.clock(self._exit_time(stage))
        override = self.case.override if journeys.unfinished_required(self.journey) else None
        actor = self.surgeon if stage == "procedure" else self.coordinator
        journeys.advance(self.journey, actor=actor, now=when, override_reason=override)

    def _task(self, key: str) -> Task:
        return next(t for t in self.journey.tasks if t.key == key)


def _phone(tz: str, rng: random.Random) -> str:
    if tz == "Australia/Perth":
        return f"+614{rng.randint(10_000_000, 99_999_999)}"
    if tz == "Europe/Amsterdam":
        return f"+316{rng.randint(10_000_000, 99_999_999)}"
    prefix = rng.choice(("811", "812", "813", "821", "822", "852", "857", "878", "896"))
    return f"+62{prefix}{rng.randint(1_000_000, 99_999_999)}"
