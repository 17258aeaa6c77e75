"""A realistic demo clinic: staff, about forty patients, journeys at every stage.

The demo is a list of :class:`Step` objects run in order by ``flask --app tracker demo``. Each
step knows whether its data is already there, so running the command again changes nothing,
and a feature added later appends its own step to :data:`STEPS` (an existing demo database
then gets just that step). Everything goes through the services with explicit ``now`` values,
so the history (transitions, task completions, the audit trail) reads like a real clinic's.
Choices are drawn from a seeded generator: the same day gives the same clinic.
"""

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tracker.audit.services import record_read
from tracker.auth.models import StaffUser
from tracker.auth.services import create_user, user_by_email
from tracker.db import db
from tracker.discharge import services as discharge
from tracker.discharge.models import DischargeSheet
from tracker.journeys import services as journeys
from tracker.journeys.models import Journey, Task
from tracker.messages.demo import create_messages, messages_done
from tracker.on_duty import services as on_duty
from tracker.on_duty.models import OnDutyContact
from tracker.outcomes import answering, catalogue
from tracker.outcomes import services as outcome_services
from tracker.outcomes import status as outcome_status
from tracker.outcomes.models import QuestionnaireResponse
from tracker.pathways.models import STAGES, PathwayTemplate
from tracker.pathways.services import latest_template, load_directory
from tracker.patients.models import Patient
from tracker.patients.services import create_patient
from tracker.portal import alerts as portal_alerts
from tracker.portal import links as portal_links
from tracker.portal import services as portal
from tracker.portal import sessions as portal_sessions
from tracker.portal.alerts import run_daily_checks
from tracker.portal.models import Alert, CheckIn, PortalSession
from tracker.reminders.notices import patient_channel
from tracker.timeutil import at_local, clinic_tz

#: every demo staff account signs in with this password
DEMO_PASSWORD = "demo-clinic-2026"
DEMO_SIGN_IN = "coordinator@demo.clinic"
#: the coordinator who works in Indonesian (every other demo account reads English)
DEMO_SIGN_IN_ID = "nadia@demo.clinic"
SEED = 2026

STAFF = (
    # key, email, name, role
    ("admin", "admin@demo.clinic", "Bayu Firmansyah", "admin"),
    ("citra", DEMO_SIGN_IN, "Citra Anggraini", "coordinator"),
    ("nadia", DEMO_SIGN_IN_ID, "Nadia Putri", "coordinator"),
    ("hartono", "hartono@demo.clinic", "dr. Hartono Wibisono, Sp.BS", "clinician"),
    ("maya", "maya@demo.clinic", "dr. Maya Anggraeni, Sp.OT", "clinician"),
    ("daniel", "daniel@demo.clinic", "dr. Daniel Tan, Sp.BS", "clinician"),
)
SURGEONS = {"teld": ("hartono", "daniel"), "il": ("maya", "hartono")}
TEMPLATE_SLUGS = {"teld": "teld", "il": "interlaminar-decompression"}
APPROACH = {"teld": "transforaminal", "il": "interlaminar"}
CLINICIAN_TASKS = {
    "history_exam",
    "imaging_reviewed",
    "candidacy_decided",
    "consent_signed",
    "fitness_for_anesthesia",
    "procedure_done",
    "discharge_sheet",
    "wound_checked",
    "review_6w",
    "outcome_3m",
}
SKIP_REASONS = (
    "Not needed for this patient.",
    "Patient declined.",
    "Done at the referring hospital.",
)
# Minutes from the start of surgery at which procedure-day tasks are usually ticked off.
PROCEDURE_TASK_MINUTES = {"checked_in": -80, "walked_after": 150, "ate_drank_voided": 180}


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    sex: str
    born: int
    language: str = "id"
    tz: str = "Asia/Jakarta"


@dataclass(frozen=True)
class Case:
    """Where one patient's journey stands today; day numbers count from today (clinic time)."""

    person: Person
    pathway: str  # "teld" or "il"
    condition: str
    levels: str
    side: str
    stage: str
    consult: int | None = None  # default: 14–35 days before surgery
    surgery: int | None = None
    surgery_time: str = "08:00"
    anesthesia: str | None = None  # default: local with sedation for TELD, general for IL
    #: task keys left open although due (what a real clinic has: overdue items)
    open_tasks: frozenset[str] = frozenset()
    #: days after surgery the patient went home, when it differs from the template's plan
    stay: int | None = None
    #: reason to advance past unfinished required tasks
    override: str | None = None
    #: (day, original surgery day, reason): surgery moved on that day
    reschedule: tuple[int, int, str] | None = None
    #: day the surgery was booked after the journey started without a date
    booked_on: int | None = None
    #: (day, reason, task key to reopen): moved back a stage
    back: tuple[int, str, str | None] | None = None
    #: (day, reason): journey cancelled
    cancel: tuple[int, str] | None = None
    completed: bool = False
    no_show: frozenset[str] = frozenset()
    #: (day, "HH:MM", staff key, text)
    notes: tuple[tuple[int, str, str, str], ...] = ()


_p = Person

F, M = "female", "male"
HD, SC, SS = "herniated_disc", "sciatica", "spinal_stenosis"

# One row per patient: person, pathway, condition, levels, side, stage today, consultation day,
# surgery day (days from today; None: derived / not booked) and surgery time, then the twists.
# fmt: off
CASES: tuple[Case, ...] = (
    # --- consultation: seen, deciding, some overdue for consent ---
    Case(_p("Dimas", "Saputra", M, 1995), "teld", HD, "L5-S1", "right", "consultation", 0),
    Case(_p("Nur", "Aini", F, 1993), "teld", SC, "L4-L5", "left", "consultation", -1, 27),
    Case(_p("Ahmad", "Fauzi", M, 1977), "teld", HD, "L4-L5", "right", "consultation", -2,
         notes=((-2, "15:10", "citra", "Wants to discuss surgery with his wife before booking."),)),
    Case(_p("Sulastri", "Hasibuan", F, 1953), "il", SS, "L3-L4, L4-L5", "bilateral",
         "consultation", -3, 30),
    Case(_p("Priya", "Raman", F, 1987, "en"), "teld", HD, "L5-S1", "left", "consultation", -6, 21,
         "09:30"),
    Case(_p("Teguh", "Santoso", M, 1946), "il", SS, "L4-L5", "central", "consultation", -9,
         notes=((-9, "14:20", "maya", "Cardiology clearance requested first (AF, on warfarin)."),)),
    Case(_p("Fajar", "Nugroho", M, 1989), "teld", SC, "L5-S1", "left", "consultation", -12),
    Case(_p("Kartini", "Simanjuntak", F, 1960), "il", SS, "L4-L5", "bilateral", "preparation",
         -20, 14,
         back=(-3, "New weakness in the right foot; repeat MRI requested.", "imaging_reviewed")),
    # --- preparation: surgery in the coming weeks, some this week ---
    Case(_p("Budi", "Santoso", M, 1968), "teld", HD, "L4-L5", "left", "preparation", -24, 1),
    Case(_p("Siti", "Rahmawati", F, 1975), "teld", SC, "L5-S1", "right", "preparation", -20, 2,
         "09:30"),
    Case(_p("Hendra", "Gunawan", M, 1958), "il", SS, "L4-L5", "bilateral", "preparation", -30, 3),
    Case(_p("Eko", "Prasetyo", M, 1987), "teld", HD, "L5-S1", "left", "preparation", -18, 4,
         "11:00", open_tasks=frozenset({"medicine_review", "preop_exercises"}),
         notes=((-5, "10:05", "nadia", "Left two messages about his blood thinner; no reply."),)),
    Case(_p("Maria", "Situmorang", F, 1971), "teld", HD, "L4-L5", "right", "preparation", -21, 6,
         reschedule=(-5, 13, "Earlier slot after a cancellation; patient accepted.")),
    Case(_p("Yusuf", "Hidayat", M, 1984), "teld", HD, "L4-L5", "left", "preparation", -25, 8,
         "09:30"),
    Case(_p("Sri", "Wahyuni", F, 1955), "il", SS, "L4-L5", "bilateral", "preparation", -16, 11),
    Case(_p("Lina", "Wijaya", F, 1985, "en"), "teld", HD, "L5-S1", "right", "preparation", -10,
         15, "13:00"),
    Case(_p("Rudi", "Hartono", M, 1962), "il", SS, "L3-L4, L4-L5", "central", "preparation", -8,
         20, booked_on=-6),
    Case(_p("Hiroshi", "Tanaka", M, 1972, "en"), "teld", SC, "L4-L5", "right", "preparation", -12,
         25, "09:30"),
    Case(_p("Indah", "Permatasari", F, 1988), "teld", HD, "L5-S1", "left", "preparation", -22, 12,
         cancel=(-2, "Leg pain settled with physiotherapy; patient prefers to wait. "
                     "Review in 3 months if symptoms return.")),
    # --- procedure day: today's list ---
    Case(_p("Agus", "Setiawan", M, 1982), "teld", HD, "L4-L5", "left", "procedure", -30, 0,
         "07:30"),
    Case(_p("Slamet", "Riyadi", M, 1944), "il", SS, "L4-L5", "bilateral", "procedure", -35, 0,
         "09:00", open_tasks=frozenset({"transport_arranged"}),
         override="Son confirmed by phone he will take him home tomorrow; form to follow."),
    Case(_p("Wulan", "Dari", F, 1981), "teld", SC, "L5-S1", "right", "procedure", -28, 0, "11:00"),
    Case(_p("Liam", "O'Connor", M, 1978, "en", "Australia/Perth"), "teld", HD, "L5-S1", "left",
         "procedure", -14, 0, "13:30",
         notes=((-14, "16:00", "nadia", "Travelling from Perth; hotel near the clinic booked."),)),
    # --- discharge: operated yesterday, going home today ---
    Case(_p("Ratna", "Sari", F, 1949), "il", SS, "L4-L5", "bilateral", "discharge", -33, -1),
    Case(_p("Joko", "Susanto", M, 1950), "il", SS, "L3-L4, L4-L5", "central", "discharge", -40,
         -1, "10:00"),
    Case(_p("Fitri", "Handayani", F, 1990), "teld", HD, "L4-L5", "right", "discharge", -26, -1,
         "13:00", stay=1, open_tasks=frozenset({"discharge_sheet", "followups_booked"}),
         notes=((-1, "19:30", "daniel", "Nauseous after sedation; kept overnight to observe."),)),
    Case(_p("I Wayan", "Sudarsana", M, 1970, "id", "Asia/Makassar"), "teld", HD, "L5-S1", "left",
         "discharge", -21, -1, "14:00", stay=1,
         notes=((-1, "18:00", "citra", "Late finish; stays tonight, flies back to Denpasar."),)),
    # --- follow-up: from a few days to three months after surgery ---
    Case(_p("Mega", "Puspitasari", F, 1983), "teld", HD, "L5-S1", "right", "follow_up", None, -3),
    Case(_p("Andi", "Pratama", M, 1991, "en"), "teld", SC, "L5-S1", "left", "follow_up", None,
         -6),
    Case(_p("Ni Made Ayu", "Wulandari", F, 1986, "id", "Asia/Makassar"), "teld", HD, "L4-L5",
         "left", "follow_up", None, -10),
    Case(_p("Bambang", "Susilo", M, 1952), "il", SS, "L4-L5", "bilateral", "follow_up", None, -13),
    Case(_p("Emily", "Clarke", F, 1984, "en", "Australia/Perth"), "teld", HD, "L5-S1", "left",
         "follow_up", None, -16),
    Case(_p("Yohanes", "Tanoto", M, 1974, "en"), "teld", HD, "L4-L5", "right", "follow_up", None,
         -20, open_tasks=frozenset({"wound_checked"}), no_show=frozenset({"wound_check"}),
         notes=((-5, "11:15", "citra", "Missed his wound check; called twice, no answer."),)),
    Case(_p("Hadi", "Kurniawan", M, 1957), "il", SS, "L4-L5", "central", "follow_up", None, -27),
    Case(_p("Sophie", "van den Berg", F, 1980, "en", "Europe/Amsterdam"), "teld", SC, "L5-S1",
         "right", "follow_up", None, -35,
         notes=((-19, "09:45", "nadia", "Flew home on day 16; 6-week review by video call."),)),
    Case(_p("Rina", "Kusumawati", F, 1966), "teld", HD, "L4-L5", "left", "follow_up", None, -44),
    Case(_p("Andi Arif", "Syamsuddin", M, 1963, "id", "Asia/Makassar"), "teld", HD, "L5-S1",
         "right", "follow_up", None, -50, open_tasks=frozenset({"review_6w"})),
    Case(_p("Graham", "Whitfield", M, 1951, "en", "Australia/Perth"), "il", SS, "L3-L4",
         "bilateral", "follow_up", None, -63),
    Case(_p("Dewi", "Lestari", F, 1979, "en"), "teld", HD, "L5-S1", "left", "follow_up", None, -80),
    # --- a finished journey ---
    Case(_p("Jan", "de Vries", M, 1965, "en", "Europe/Amsterdam"), "teld", HD, "L4-L5", "left",
         "follow_up", None, -110, completed=True),
)
# fmt: on


def demo_mrn(index: int) -> str:
    return f"DEMO-{index + 1:04d}"


@dataclass
class Demo:
    """What every step shares: the moment the demo is made, its clinic day and a seeded RNG."""

    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    cases: tuple[Case, ...] = CASES

    @property
    def tz(self) -> ZoneInfo:
        return clinic_tz()

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def staff(self, key: str) -> StaffUser:
        email = next(s[1] for s in STAFF if s[0] == key)
        user = user_by_email(email)
        if user is None:
            raise RuntimeError(f"demo staff user {email} is missing")
        return user

    def at(self, day: int | date, clock: str, minutes: int = 0) -> datetime:
        """The UTC instant of a clinic wall-clock time ``day`` days from today."""
        if isinstance(day, int):
            day = self.today + timedelta(days=day)
        return at_local(day, time.fromisoformat(clock), self.tz) + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Step:
    """One part of the demo; ``run`` yields once per unit of work (for the progress bar)."""

    name: str
    is_done: Callable[[Demo], bool]
    size: Callable[[Demo], int]
    run: Callable[[Demo], Iterator[None]]


def _pathways_done(demo: Demo) -> bool:
    return all(latest_template(slug) is not None for slug in TEMPLATE_SLUGS.values())


def _load_pathways(demo: Demo) -> Iterator[None]:
    load_directory(now=demo.now)
    yield


def _staff_done(demo: Demo) -> bool:
    return user_by_email(STAFF[0][1]) is not None


def _create_staff(demo: Demo) -> Iterator[None]:
    opened = demo.now - timedelta(days=200)
    for _, email, name, role in STAFF:
        if user_by_email(email) is None:
            language = "id" if email == DEMO_SIGN_IN_ID else "en"
            user = create_user(email, name, role, DEMO_PASSWORD, language=language, now=opened)
            user.created_at = opened
        yield


def _patients_done(demo: Demo) -> bool:
    first = sa.select(Patient.id).where(Patient.mrn == demo_mrn(0))
    return db.session.scalar(first) is not None


def _create_patients(demo: Demo) -> Iterator[None]:
    templates = {key: latest_template(slug) for key, slug in TEMPLATE_SLUGS.items()}
    for index, case in enumerate(demo.cases):
        _Story(demo, case, index, templates[case.pathway]).tell()
        yield


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


class _Story:
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
                continue  # questionnaire tasks are ticked by the answers (_create_outcomes)
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


def _portal_done(demo: Demo) -> bool:
    first = sa.select(CheckIn.id).join(Patient, CheckIn.patient_id == Patient.id)
    return db.session.scalar(first.where(Patient.mrn.like("DEMO-%")).limit(1)) is not None


def _recovering_cases(demo: Demo) -> int:
    """How many demo patients are recovering at home (the size of the check-in step)."""
    return sum(1 for case in demo.cases if case.stage in ("discharge", "follow_up"))


def _recovering(demo: Demo) -> list[Journey]:
    """Active demo journeys whose surgery is over: the patients who log pain at home."""
    query = (
        sa.select(Journey)
        .join(Patient)
        .where(
            Patient.mrn.like("DEMO-%"),
            Journey.status == "active",
            Journey.stage.in_(("discharge", "follow_up")),
            Journey.surgery_at <= demo.now,
        )
        .order_by(Journey.surgery_at.desc())
    )
    return list(db.session.scalars(query))


def _create_portal_activity(demo: Demo) -> Iterator[None]:
    """Invite the recovering patients and let them log pain: a falling leg-pain curve for most,
    a fever yesterday for one, a painful setback for another, one who stopped checking in."""
    coordinator = demo.staff("citra")
    rng = random.Random(SEED + 5)
    recovering = _recovering(demo)
    days_out = {
        j.id: (demo.today - j.surgery_at.astimezone(demo.tz).date()).days for j in recovering
    }
    later = [j.id for j in recovering if days_out[j.id] >= 7]
    fever = next((j.id for j in recovering if days_out[j.id] >= 1), None)
    setback = later[0] if later else None
    stopped = later[1] if len(later) > 1 else None
    for journey in recovering:
        surgery_day = journey.surgery_at.astimezone(demo.tz).date()
        days = min(days_out[journey.id], 14)
        invited_at = min(journey.surgery_at + timedelta(hours=6), demo.now)
        channel = patient_channel(journey.patient)
        if journey.stage == "discharge" and channel:
            # Going home today: the link goes by their channel when the dispatcher next runs.
            portal_links.invite(
                journey, send_by=[channel], show_link=False, actor=coordinator, now=invited_at
            )
        else:
            portal.issue_invitation(journey, actor=coordinator, now=invited_at)
        baseline_leg, baseline_back = 7, rng.randint(4, 6)  # leg 7.6 before TELD (CLINICAL.md)
        consult = demo.at(journey.consultation_date, "10:30")
        _check_in(journey, consult, baseline_back, baseline_leg, True, staff=coordinator)
        last = days - 4 if journey.id == stopped else days
        for day in range(0, last + 1):
            at = min(
                demo.at(surgery_day + timedelta(days=day), "09:00", rng.randint(0, 240)), demo.now
            )
            leg = round(baseline_leg * 0.75 ** (day + 1) + rng.uniform(-0.5, 1))
            back = round(baseline_back * 0.85 ** (day + 1) + rng.uniform(-0.5, 1))
            flags = {"flag_fever"} if journey.id == fever and day == days - 1 else set()
            if journey.id == setback and day >= days - 1:
                leg += 5  # leg pain back after early relief
            if journey.id == stopped:
                leg += 2  # still sore when the check-ins stopped: not settled, so missed
            _check_in(journey, at, back, leg, day < 7, flags=flags)
        yield
    run_daily_checks(now=demo.now)


def _check_in(journey, at, back, leg, medicine, *, flags=frozenset(), staff=None) -> None:
    values = portal.CheckInValues(
        back_pain=max(0, min(10, back)),
        leg_pain=max(0, min(10, leg)),
        took_pain_medicine=medicine,
        idempotency_key=f"demo-{journey.id}-{at:%Y%m%d%H%M}",
        flags=set(flags),
    )
    portal.record_check_in(journey, values, now=at, staff=staff)


def _records_done(demo: Demo) -> bool:
    first = sa.select(DischargeSheet.id).join(Journey).join(Patient)
    return db.session.scalar(first.where(Patient.mrn.like("DEMO-%")).limit(1)) is not None


def _records_size(demo: Demo) -> int:
    return sum(1 for case in demo.cases if case.stage in ("discharge", "follow_up"))


def _create_records(demo: Demo) -> Iterator[None]:
    """What a FHIR or research export carries beyond the journey: the discharge sheets handed
    out (one corrected the next day, so a version is superseded) and the pain scores taken by
    phone at the 6-week review."""
    rng = random.Random(SEED + 7)
    reissued = False
    for journey in _recovering(demo):
        given = next((t for t in journey.tasks if t.key == "discharge_sheet"), None)
        if given is not None and given.status == "done" and journey.surgeon is not None:
            medicines = [dict(MEDICINES[0]), dict(MEDICINES[1])]
            values = discharge.DraftValues(language=journey.patient.language, medications=medicines)
            discharge.save_draft(journey, values, actor=journey.surgeon, now=given.done_at)
            discharge.issue_sheet(journey, actor=journey.surgeon, now=given.done_at)
            if not reissued and given.done_at + timedelta(days=1) < demo.now:
                later = given.done_at + timedelta(days=1)
                values.medications.append(dict(MEDICINES[2]))
                discharge.save_draft(journey, values, actor=journey.surgeon, now=later)
                discharge.issue_sheet(journey, actor=journey.surgeon, now=later)
                reissued = True
        surgery_day = journey.surgery_at.astimezone(demo.tz).date()
        review = surgery_day + timedelta(days=42)
        if review < demo.today:
            at = demo.at(review, "09:30", rng.randint(0, 60))
            leg, back = rng.randint(0, 2), rng.randint(1, 3)
            _check_in(journey, at, back, leg, False, staff=demo.staff("nadia"))
        yield


MEDICINES = (
    {"name": "Paracetamol", "dose": "1 g", "frequency": "every 6 hours", "until": "5 days"},
    {"name": "Ibuprofen", "dose": "400 mg", "frequency": "3 times a day", "until": "7 days"},
    {"name": "Omeprazole", "dose": "20 mg", "frequency": "once a day", "until": "7 days"},
)

#: who hears about urgent alerts in the demo (the SMS stand-in or the outbox receives them),
#: and the language of their messages
ON_DUTY = (
    ("on_duty", "Surgeon on call (dr. Hartono)", "+6281100000001", "en"),
    ("on_duty", "Ward nurse station", "ward@demo.clinic", "id"),
    ("escalation", "Head of the spine service (dr. Maya)", "+6281100000009", "en"),
)


def _reach_done(demo: Demo) -> bool:
    return db.session.scalar(sa.select(OnDutyContact.id).limit(1)) is not None


def _create_reach(demo: Demo) -> Iterator[None]:
    """The on-duty list, the fever alert worked by a coordinator, and a red flag just now: a
    patient at home reported saddle numbness a few minutes ago, nobody has acknowledged it yet."""
    admin, coordinator = demo.staff("admin"), demo.staff("citra")
    opened = demo.now - timedelta(days=30)
    for tier, name, address, language in ON_DUTY:
        on_duty.add_contact(tier, name, address, actor=admin, now=opened, language=language)
    yield
    fever = db.session.scalar(
        sa.select(Alert).join(Patient).where(Patient.mrn.like("DEMO-%"), Alert.kind == "red_flag")
    )
    if fever is not None:
        seen = min(fever.created_at + timedelta(minutes=9), demo.now)
        portal_alerts.acknowledge(fever, actor=coordinator, now=seen)
        portal_alerts.resolve(
            fever,
            "Called: 38.2 °C, wound dry. Paracetamol, recheck tomorrow; call if above 38.5 °C.",
            actor=coordinator,
            now=min(seen + timedelta(minutes=12), demo.now),
        )
    recovering = [j for j in _recovering(demo) if j.stage == "follow_up"]
    if recovering:
        journey = recovering[len(recovering) // 2]
        _check_in(
            journey,
            demo.now - timedelta(minutes=4),
            3,
            4,
            True,
            flags={"flag_saddle"},
        )
    yield


def _reads_done(demo: Demo) -> bool:
    return db.session.scalar(sa.select(PortalSession.id).limit(1)) is not None


#: a phone and a laptop, as browsers name themselves
_DEVICES = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
)


def _create_reads_and_devices(demo: Demo) -> Iterator[None]:
    """Who opened which record over the last days (the audit trail counts reads), and the
    recovering patients' phones signed in to the portal (the journey page lists them)."""
    rng = random.Random(SEED + 12)
    staff = [demo.staff(key) for key in ("citra", "nadia", "hartono", "maya", "daniel")]
    journeys = db.session.scalars(
        sa.select(Journey).join(Patient).where(Patient.mrn.like("DEMO-%")).order_by(Journey.id)
    ).all()
    for journey in journeys:
        for _ in range(rng.randint(1, 3)):
            when = demo.now - timedelta(days=rng.randint(0, 6), minutes=rng.randint(0, 600))
            who = rng.choice(staff)
            action = rng.choice(("patient.view", "journey.view", "journey.view"))
            obj = journey.patient if action == "patient.view" else journey
            event = record_read(action, obj, actor=who, patient_id=journey.patient_id, now=when)
            event.ip_address = f"10.20.0.{rng.randint(20, 60)}"
        invitation = portal.active_invitation(journey, now=demo.now)
        if invitation is not None:
            first = min(invitation.created_at + timedelta(hours=2), demo.now)
            device, _token = portal_sessions.start(
                invitation, now=first, user_agent=rng.choice(_DEVICES), ip="182.253.14.7"
            )
            device.last_seen_at = max(first, demo.now - timedelta(hours=rng.randint(1, 30)))
        yield


# ---- outcomes: questionnaires before and after surgery, a year of past patients --------------

# Patients operated 4 to 15 months ago (journeys completed after the 3-month review), so the
# outcomes report has every timepoint: most improve past the MCID, two do not, one had a
# recurrence and went back to theatre, one never returned the 3-month questionnaire.
# (person, pathway, condition, levels, side, surgery day, profile)
# fmt: off
PAST_PATIENTS = (
    (_p("Agung", "Wicaksono", M, 1976), "teld", HD, "L4-L5", "left", -430, "good"),
    (_p("Yanti", "Susilawati", F, 1969), "teld", HD, "L5-S1", "right", -405, "good"),
    (_p("Ricky", "Halim", M, 1983, "en"), "teld", SC, "L5-S1", "left", -388, "good"),
    (_p("Suparmi", "Wijayanti", F, 1957), "il", SS, "L4-L5", "bilateral", -377, "partial"),
    (_p("Dedi", "Kurniadi", M, 1972), "teld", HD, "L4-L5", "right", -360, "partial"),
    (_p("Melati", "Ramadhani", F, 1990), "teld", HD, "L5-S1", "left", -331, "recurrence"),
    (_p("Bonifasius", "Siregar", M, 1961), "il", SS, "L3-L4, L4-L5", "central", -300, "good"),
    (_p("Putu", "Ardana", M, 1979, "id", "Asia/Makassar"), "teld", HD, "L4-L5", "left", -268,
     "good"),
    (_p("Anisa", "Rahmadani", F, 1986), "teld", SC, "L5-S1", "right", -241, "good"),
    (_p("Samuel", "Wenas", M, 1954, "en"), "il", SS, "L4-L5", "bilateral", -222, "good"),
    (_p("Lestari", "Handoko", F, 1974), "teld", HD, "L4-L5", "right", -199, "missing"),
    (_p("Fransiska", "Manurung", F, 1967), "il", SS, "L4-L5", "central", -176, "good"),
    (_p("Gilang", "Permana", M, 1992), "teld", HD, "L5-S1", "left", -150, "good"),
    (_p("Intan", "Maharani", F, 1981), "teld", HD, "L4-L5", "left", -131, "good"),
)
# fmt: on
#: the first index of their MRNs (DEMO-0201…), away from the clinic's current patients
PAST_INDEX = 200
#: ODI, leg and back pain by timepoint for each profile (the leg curve after TELD: 7.6 -> 1.7
#: at 6 weeks -> 0.8 at a year, ODI 67 -> 16 -> 8.5, PMC6283221); a little noise is added
PROFILES = {
    "good": {"baseline": (62, 8, 6), "6w": (24, 2, 3), "3m": (16, 1, 2), "12m": (10, 1, 1)},
    "partial": {"baseline": (56, 7, 6), "6w": (52, 6, 6), "3m": (50, 6, 5), "12m": (50, 6, 5)},
    "recurrence": {"baseline": (64, 8, 5), "6w": (22, 2, 3), "3m": (58, 7, 5), "12m": (34, 4, 4)},
    "missing": {"baseline": (60, 7, 6), "6w": (30, 3, 3)},
}
#: global rating of change and MacNab (option values) by profile
VERDICTS = {"good": (2, 1), "partial": (3, 3), "recurrence": (4, 4), "missing": (2, 2)}
#: the clinic's current follow-up patients: their score at 6 weeks and 3 months (ODI, leg, back)
CURRENT = {"6w": (26, 2, 3), "3m": (18, 1, 2)}
#: the patient who shows the walk-through: baseline ODI exactly 60, 6 weeks still to answer
WALK_THROUGH = ("Rina", "Kusumawati")
QUESTIONNAIRE_TASKS = frozenset({"baseline_scores", "outcome_6w", "outcome_12m"})
#: past TELD patients who stayed a night (nausea, a late finish)
OVERNIGHT = frozenset({"Susilawati", "Kurniadi"})


def _outcomes_done(demo: Demo) -> bool:
    from_demo = sa.select(QuestionnaireResponse.id).join(
        Patient, QuestionnaireResponse.patient_id == Patient.id
    )
    return db.session.scalar(from_demo.where(Patient.mrn.like("DEMO-%")).limit(1)) is not None


def _odi_answers(score: float, rng: random.Random) -> list[int]:
    """Ten ODI answers (0-5) whose sum gives ``score`` (sum / 50 x 100)."""
    total = max(0, min(50, round(score / 2)))
    answers = [total // 10] * 10
    for index in rng.sample(range(10), total % 10):
        answers[index] += 1
    return answers


def _answer_portal(journey: Journey, timepoint: str, values: dict, at: datetime) -> None:
    """Answer a timepoint in the portal, item by item, as the patient would."""
    status = answering.timepoint_status(journey, timepoint, now=at)
    for step in answering.steps(status, now=at):
        key = step.instrument.key
        value = values[key][step.position - 1] if key == "odi" else values.get(key)
        answering.save_answer(journey, timepoint, step.number, value, now=at)
    answering.submit(journey, timepoint, now=at)


def _scores(profile: dict, timepoint: str, rng: random.Random, verdict=(2, 1)) -> dict:
    odi, leg, back = profile[timepoint]
    noise = rng.randint(-4, 4) if timepoint != "baseline" else rng.randint(-6, 6)
    return {
        "odi": _odi_answers(odi + noise, rng),
        "leg_pain": max(0, min(10, leg + rng.choice((-1, 0, 0, 1)))),
        "back_pain": max(0, min(10, back + rng.choice((-1, 0, 0, 1)))),
        "global_change": verdict[0],
        "macnab": verdict[1],
    }


def _baseline(journey: Journey, values: dict, demo: Demo, staff: StaffUser) -> None:
    """The baseline questionnaire, filled in on paper at the consultation."""
    at = demo.at(journey.consultation_date, "11:00")
    submissions = [
        outcome_services.Submission(key, value if key == "odi" else [value], at, "baseline")
        for key, value in values.items()
        if key in ("odi", "leg_pain", "back_pain")
    ]
    outcome_services.record_submissions(journey, submissions, source="paper", actor=staff, now=at)


def _past_cases() -> list[tuple[int, Case, str]]:
    out = []
    for n, (person, pathway, condition, levels, side, surgery, profile) in enumerate(PAST_PATIENTS):
        keep_open = QUESTIONNAIRE_TASKS | ({"outcome_3m"} if profile == "missing" else set())
        case = Case(
            person,
            pathway,
            condition,
            levels,
            side,
            "follow_up",
            None,
            surgery,
            open_tasks=frozenset(keep_open),
            stay=1 if person.family in OVERNIGHT else None,
        )
        out.append((PAST_INDEX + n, case, profile))
    return out


def _create_outcomes(demo: Demo) -> Iterator[None]:
    """Questionnaires: a baseline for every follow-up patient, their answers so far; and a
    year of past patients with every timepoint (their journeys completed after 3 months)."""
    catalogue.load_directory(now=demo.now)
    rng = random.Random(SEED + 13)
    staff = demo.staff("citra")
    for journey in _current(demo):
        recent = journey.consultation_date >= demo.today - timedelta(days=1)
        if journey.stage == "consultation" and recent:
            continue  # seen today or yesterday: the baseline is still to come
        walk_through = (journey.patient.given_name, journey.patient.family_name) == WALK_THROUGH
        values = _scores(PROFILES["good"], "baseline", rng)
        if walk_through:
            values["odi"] = [3] * 10  # ODI 60
        _baseline(journey, values, demo, staff)
        if journey.stage != "follow_up" or walk_through:
            yield
            continue
        for status in outcome_status.journey_status(journey, now=demo.now):
            if status.key in CURRENT and status.state == "missed":
                at = min(demo.at(status.due - timedelta(days=rng.randint(0, 4)), "19:30"), demo.now)
                _answer_portal(journey, status.key, _scores(CURRENT, status.key, rng), at)
        yield
    past = replace(demo, rng=random.Random(SEED + 17))
    templates = {key: latest_template(slug) for key, slug in TEMPLATE_SLUGS.items()}
    coordinator = demo.staff("nadia")
    for index, case, profile in _past_cases():
        story = _Story(past, case, index, templates[case.pathway])
        story.tell()
        journey = story.journey
        plan = PROFILES[profile]
        _baseline(journey, _scores(plan, "baseline", rng), demo, staff)
        surgery_day = journey.surgery_at.astimezone(demo.tz).date()
        invited = journey.surgery_at + timedelta(hours=5)
        portal.issue_invitation(journey, actor=coordinator, now=invited)
        for day in range(0, 15, 2):
            at = demo.at(surgery_day + timedelta(days=day), "08:30", rng.randint(0, 300))
            leg = round(plan["baseline"][1] * 0.8 ** (day + 1) + rng.uniform(0, 1.5))
            back = round(plan["baseline"][2] * 0.85 ** (day + 1) + rng.uniform(0, 1.5))
            _check_in(journey, at, back, leg, day < 7)
        if profile == "recurrence":
            day = surgery_day + timedelta(days=71)
            outcome_services.record_theatre_return(
                journey,
                day,
                "Recurrent disc herniation at the same level; revision discectomy.",
                actor=demo.staff("hartono"),
                now=demo.at(day, "16:00"),
            )
        for timepoint in ("6w", "3m", "12m"):
            if timepoint == "12m":
                # The journey closes after the 3-month window; the 12-month answers come later.
                reason = None
                if journeys.unfinished_required(journey):
                    reason = "3-month questionnaire not returned; unreachable by phone."
                closed = demo.at(surgery_day + timedelta(days=105), "10:00")
                journeys.advance(journey, actor=coordinator, now=closed, override_reason=reason)
            if timepoint not in plan:
                continue
            statuses = outcome_status.journey_status(journey, now=demo.now)
            status = next(s for s in statuses if s.key == timepoint)
            day = status.due - timedelta(days=rng.randint(0, 5))
            at = demo.at(day, "20:00", rng.randint(0, 90))
            if at <= demo.now:
                values = _scores(plan, timepoint, rng, VERDICTS[profile])
                _answer_portal(journey, timepoint, values, at)
        yield


def _current(demo: Demo) -> list[Journey]:
    """The clinic's own demo journeys that were not cancelled, first consulted first."""
    query = (
        sa.select(Journey)
        .join(Patient)
        .where(Patient.mrn.like("DEMO-%"), Journey.status != "cancelled")
        .order_by(Journey.consultation_date, Journey.id)
    )
    return list(db.session.scalars(query))


#: the demo, in order; a later feature appends its own step here
STEPS: list[Step] = [
    Step("pathway templates", _pathways_done, lambda demo: 1, _load_pathways),
    Step("staff", _staff_done, lambda demo: len(STAFF), _create_staff),
    Step("patients and journeys", _patients_done, lambda demo: len(demo.cases), _create_patients),
    Step(
        "pain check-ins",
        _portal_done,
        lambda demo: _recovering_cases(demo),
        _create_portal_activity,
    ),
    Step(
        "questionnaires and outcomes",
        _outcomes_done,
        lambda demo: len(demo.cases) + len(PAST_PATIENTS),
        _create_outcomes,
    ),
    Step("discharge sheets and 6-week scores", _records_done, _records_size, _create_records),
    Step("on-duty contacts and urgent alerts", _reach_done, lambda demo: 2, _create_reach),
    Step(
        "record views and portal devices",
        _reads_done,
        lambda demo: len(demo.cases),
        _create_reads_and_devices,
    ),
    Step("messages, a wound photo and a caregiver", messages_done, lambda demo: 3, create_messages),
]


def pending_steps(demo: Demo) -> list[Step]:
    return [step for step in STEPS if not step.is_done(demo)]
