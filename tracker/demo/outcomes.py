"""The demo's questionnaires and outcomes: a baseline for every current patient and their
answers so far, and a year of past patients (journeys completed after the 3-month review)
with every timepoint, so the outcomes report has something to show. One step."""

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from tracker.auth.models import StaffUser
from tracker.db import db
from tracker.demo.cases import (
    HD,
    QUESTIONNAIRE_TASKS,
    SC,
    SEED,
    SS,
    TEMPLATE_SLUGS,
    Case,
    F,
    M,
    Person,
)
from tracker.demo.context import Demo
from tracker.demo.portal import check_in
from tracker.demo.story import Story
from tracker.journeys import services as journeys
from tracker.journeys.models import Journey
from tracker.outcomes import answering, catalogue
from tracker.outcomes import services as outcome_services
from tracker.outcomes import status as outcome_status
from tracker.outcomes.models import QuestionnaireResponse
from tracker.pathways.services import latest_template
from tracker.patients.models import Patient
from tracker.portal import services as portal

_p = Person

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
#: past TELD patients who stayed a night (nausea, a late finish)
OVERNIGHT = frozenset({"Susilawati", "Kurniadi"})


def outcomes_done(demo: Demo) -> bool:
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


def create_outcomes(demo: Demo) -> Iterator[None]:
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
        story = Story(past, case, index, templates[case.pathway])
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
            check_in(journey, at, back, leg, day < 7)
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
