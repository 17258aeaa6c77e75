"""One generated patient's journeys as a clinic lives them: dates, stages, tasks, appointments.

A journey's whole life is decided up front from the patient's random generator (when the
consultation was, when the surgery is, whether it is cancelled or completed), then cut at the
generator's ``now``: what lies before it has happened, with the rows and audit events the
services write (the same times the demo clinic uses); what lies after it is still to come.
"""

import random
from datetime import date, datetime, timedelta

from tracker.demo.cases import CLINICIAN_TASKS, PROCEDURE_TASK_MINUTES, SKIP_REASONS
from tracker.pathways.models import STAGES
from tracker.scale import messages, people, portal
from tracker.scale.context import (
    Context,
    Ledger,
    Life,
    Person,
    Rows,
    audit,
    audit_block,
    titles_json,
)

SURGERY_SLOTS = ("07:30", "08:00", "08:30", "09:00", "09:30", "11:00", "13:00", "13:30", "14:00")
LEVELS = {
    "teld": ("L4-L5", "L4-L5", "L5-S1", "L5-S1", "L3-L4"),
    "il": ("L4-L5", "L4-L5", "L3-L4, L4-L5", "L3-L4", "L4-L5, L5-S1"),
}
CANCEL_REASONS = (
    "Leg pain settled with physiotherapy; patient prefers to wait.",
    "Patient chose to have the operation closer to home.",
    "Not fit for anaesthesia yet; cardiology review first.",
    "Patient withdrew consent after discussing with family.",
    "Insurance did not approve the procedure.",
)
OVERRIDE_REASONS = (
    "Confirmed by phone; form to follow.",
    "Done at the referring hospital; report requested.",
    "Surgeon decided to go ahead; see note.",
)
NOTES = (
    "Prefers calls after 16:00.",
    "Daughter accompanies the patient; she has the phone.",
    "Travelling from out of town; hotel near the clinic booked.",
    "Asked about returning to work; advised as per the sheet.",
    "Allergic to penicillin (noted in the hospital record).",
    "Called to confirm the follow-up time; all clear.",
)


def generate_patient(ctx: Context, index: int, rows: Rows) -> None:
    """All rows of generated patient ``index``: the person, one or two journeys, their life."""
    rng = random.Random(f"{ctx.seed}:{index}")
    first = (
        ctx.today
        - timedelta(days=ctx.span_days)
        + timedelta(days=index * ctx.span_days // max(ctx.patients, 1))
    )
    key = "il" if rng.random() < 0.35 else "teld"
    registered = ctx.at(first - timedelta(days=rng.randint(3, 14)), "10:00", rng.randint(0, 300))
    patient = people.person(
        index, rng, stenosis=key == "il", registered_at=registered, today=ctx.today
    )
    patient["id"] = pid = ctx.patient_id(index)
    rows.add("patients", **patient)
    block = audit_block(ctx, index)
    coordinator = rng.choice(ctx.coordinators)
    audit(
        rows, block, registered, "patient.create", "Patient", pid,
        actor=coordinator, patient_id=pid, details={"mrn": patient["mrn"]},
    )  # fmt: skip
    ledger = Ledger(ctx, index, 0, block)
    life = journey_life(ctx, rng, ledger, patient, key, first, coordinator)
    write_journey(ctx, rng, life, ledger, rows)
    # A few come back: a recurrence after a completed journey, or a second try after cancelling.
    if life.ended_at is not None and rng.random() < 0.04:
        again = life.ended_at.astimezone(ctx.tz).date() + timedelta(days=rng.randint(60, 400))
        if again <= ctx.today:
            ledger = Ledger(ctx, index, 1, block)
            second = journey_life(ctx, rng, ledger, patient, key, again, coordinator)
            second.previous_invitation = life.invitation
            write_journey(ctx, rng, second, ledger, rows)


def journey_life(
    ctx: Context,
    rng: random.Random,
    ledger: Ledger,
    patient: dict,
    key: str,
    consult_day: date,
    coordinator: Person,
) -> Life:
    pathway = ctx.pathways[key]
    life = Life(
        id=ledger.journey_id,
        patient_id=patient["id"],
        patient=patient,
        pathway=pathway,
        coordinator=coordinator,
        surgeon=rng.choice(ctx.surgeons[key]),
        consult_day=consult_day,
        started_at=min(ctx.at(consult_day, "11:30", rng.randint(0, 90)), ctx.now),
        tz=ctx.tz,
    )
    definition = pathway.definition
    undecided = consult_day >= ctx.today - timedelta(days=10) and rng.random() < 0.4
    surgery_day = consult_day + timedelta(days=rng.randint(14, 35))
    # Consent a few days after the consultation, and before the medicine review.
    consent = consult_day + timedelta(days=rng.randint(1, 5))
    consent_day = max(consult_day, min(consent, surgery_day - timedelta(days=11)))
    surgery_at = ctx.at(surgery_day, rng.choice(SURGERY_SLOTS))
    if not undecided:
        booked_at = life.started_at
        if rng.random() < 0.15:  # started without a date, booked once consent was signed
            booked_at = max(ctx.at(consent_day, "13:00"), life.started_at)
        if booked_at <= ctx.now:
            life.surgery_at, life.booked_at = surgery_at, booked_at
    planned = int(definition.get("planned_stay_days", 0))
    life.stay = planned + (rng.random() < (0.08 if planned == 0 else 0.05))
    cancel_at = None
    if not undecided and rng.random() < 0.05:
        days = max(1, (surgery_day - consult_day).days - 1)
        cancel_at = ctx.at(consult_day + timedelta(days=rng.randint(1, days)), "14:00")
    arrival = int(definition.get("arrival_minutes_before", 90))
    if life.stay == 0:
        went_home = surgery_at + timedelta(minutes=life.minutes + 240)
    else:
        # After the morning round: from mid-morning into the afternoon.
        went_home = ctx.at(surgery_day + timedelta(days=life.stay), "09:30", rng.randint(0, 300))
    exits = [
        ("consultation", "preparation", ctx.at(consent_day, "14:00", rng.randint(0, 90))),
        ("preparation", "procedure", surgery_at - timedelta(minutes=arrival - 5)),
        ("procedure", "discharge", surgery_at + timedelta(minutes=life.minutes + 200)),
        ("discharge", "follow_up", went_home),
    ]
    if rng.random() > 0.01:  # a few journeys are never closed: they linger in follow-up
        done_day = surgery_day + timedelta(days=90 + rng.randint(0, 10))
        exits.append(("follow_up", "completed", ctx.at(done_day, "10:15")))
    cutoff = min(ctx.now, cancel_at) if cancel_at else ctx.now
    for from_stage, to_stage, at in exits:
        if undecided or at > cutoff:
            break  # still deciding, or not yet
        if from_stage != "consultation" and life.surgery_at is None:
            break  # no procedure day before the surgery is booked
        by = life.surgeon if from_stage == "procedure" else coordinator
        life.transitions.append((from_stage, to_stage, at, by, None, False))
        if to_stage == "completed":
            life.status, life.ended_at = "completed", at
        else:
            life.stage = to_stage
        if to_stage == "follow_up":
            life.discharged_at = life.went_home = at
    if life.went_home is None and life.surgery_at is not None:
        life.went_home = went_home  # still ahead
    if cancel_at is not None and cancel_at <= ctx.now:
        reason = rng.choice(CANCEL_REASONS)
        life.transitions.append((life.stage, "cancelled", cancel_at, coordinator, reason, False))
        life.status, life.ended_at, life.cancel_reason = "cancelled", cancel_at, reason
    return life


def write_journey(ctx: Context, rng: random.Random, life: Life, ledger: Ledger, rows: Rows):
    """The journey's rows: the journey, tasks, appointments, transitions, notes and messages."""
    pathway = life.pathway
    _tasks(ctx, rng, life, ledger, rows)
    _appointments(ctx, rng, life, ledger, rows)
    pid = life.patient_id
    audit(
        rows, ledger.audit, life.started_at, "journey.start", "Journey", life.id,
        actor=life.coordinator, patient_id=pid,
        details={
            "template": f"{pathway.slug} v{pathway.version}",
            "surgery_at": life.surgery_at if life.booked_at == life.started_at else None,
        },
    )  # fmt: skip
    if life.booked_at is not None and life.booked_at != life.started_at:
        moved = sum(1 for t in life.tasks if t["anchor"] != "consultation")
        audit(
            rows, ledger.audit, life.booked_at, "journey.reschedule", "Journey", life.id,
            actor=life.coordinator, patient_id=pid,
            details={"surgery_at": [None, life.surgery_at], "reason": "Surgery booked.",
                     "moved": moved},
        )  # fmt: skip
    rows.add(
        "stage_transitions",
        id=ledger.id("stage_transitions"),
        journey_id=life.id,
        from_stage=None,
        to_stage="consultation",
        at=life.started_at,
        by_id=life.coordinator.id,
        reason=None,
        override=False,
    )
    for from_stage, to_stage, at, by, reason, override in life.transitions:
        rows.add(
            "stage_transitions",
            id=ledger.id("stage_transitions"),
            journey_id=life.id,
            from_stage=from_stage,
            to_stage=to_stage,
            at=at,
            by_id=by.id,
            reason=reason,
            override=override,
        )
        if to_stage == "cancelled":
            action, details = "journey.cancel", {"reason": reason}
        elif to_stage == "completed":
            action, details = "journey.complete", {"override_reason": reason}
        else:
            action = "journey.advance"
            details = {"stage": [from_stage, to_stage], "override_reason": reason}
        audit(
            rows, ledger.audit, at, action, "Journey", life.id,
            actor=by, patient_id=pid, details=details,
        )  # fmt: skip
    if rng.random() < 0.08:
        end = min(life.ended_at or ctx.now, ctx.now)
        at = life.started_at + (end - life.started_at) * rng.random()
        note_id = ledger.id("notes")
        rows.add(
            "notes",
            id=note_id,
            journey_id=life.id,
            author_id=life.coordinator.id,
            body=rng.choice(NOTES),
            created_at=at,
        )
        audit(
            rows, ledger.audit, at, "note.add", "Note", note_id,
            actor=life.coordinator, patient_id=pid,
        )  # fmt: skip
    portal.activity(ctx, rng, life, ledger, rows)
    messages.plan(ctx, rng, life, ledger, rows)
    _sheet_work(ctx, rng, life, rows)
    # Last changed (FHIR's meta.lastUpdated): a task when it was done, else when it was made.
    for task in life.tasks:
        task["updated_at"] = task["done_at"] or life.started_at
    changes = [life.started_at, life.booked_at, life.discharged_at, life.ended_at]
    changes += [at for _, _, at, *_ in life.transitions]
    changed = max(at for at in changes if at is not None and at <= ctx.now)
    rows.add(
        "journeys",
        updated_at=changed,
        id=life.id,
        patient_id=pid,
        template_id=pathway.id,
        condition=_condition(rng, life.pathway.key),
        levels=rng.choice(LEVELS[pathway.key]),
        side=_side(rng, pathway.key),
        approach=pathway.definition.get("approach", "transforaminal"),
        anesthesia="general" if pathway.key == "il" or rng.random() < 0.2 else "local_sedation",
        surgeon_id=life.surgeon.id,
        consultation_date=life.consult_day,
        surgery_at=life.surgery_at,
        discharged_at=life.discharged_at,
        stage=life.stage,
        status=life.status,
        started_at=life.started_at,
        started_by_id=life.coordinator.id,
        ended_at=life.ended_at,
        cancel_reason=life.cancel_reason,
    )


def _condition(rng: random.Random, key: str) -> str:
    if key == "il":
        return "spinal_stenosis"
    return "sciatica" if rng.random() < 0.25 else "herniated_disc"


def _side(rng: random.Random, key: str) -> str:
    if key == "il":
        return "bilateral" if rng.random() < 0.6 else "central"
    return rng.choice(("left", "right"))


def _stage_state(life: Life, stage: str) -> tuple[bool, datetime | None]:
    """Whether the journey went past ``stage``, and when it left it."""
    left = life.stage_exit(stage)
    passed = left is not None and stage != life.stage
    return passed or (life.status == "completed" and stage == "follow_up"), left


def _done_time(ctx: Context, rng: random.Random, life: Life, task: dict) -> datetime:
    """When a clinic would usually tick ``task`` off (the demo clinic's habits)."""
    stage, key = task["stage"], task["key"]
    if stage == "consultation":
        if key == "consent_signed":
            left = life.stage_exit("consultation")
            return (left - timedelta(minutes=30)) if left else ctx.now
        return life.started_at + timedelta(minutes=rng.randint(5, 60))
    if stage == "procedure":
        if key == "procedure_done":
            return life.surgery_at + timedelta(minutes=life.minutes)
        return life.surgery_at + timedelta(minutes=PROCEDURE_TASK_MINUTES.get(key, 60))
    if stage == "discharge":
        home = life.stage_exit("discharge")
        return (home - timedelta(minutes=40)) if home else ctx.now - timedelta(minutes=20)
    return ctx.at(task["due_on"], "09:00", rng.randint(15, 420))


def _sheet_window(ctx: Context, life: Life) -> bool:
    """Whether the journey goes home in the days that get real discharge sheets."""
    day = life.anchor_day("discharge")
    if life.discharged_at is not None:
        day = life.discharged_at.astimezone(ctx.tz).date()
    return (
        life.status == "active"
        and day is not None
        and ctx.today - timedelta(days=ctx.sheet_days) <= day <= ctx.today
        and life.stage in ("discharge", "follow_up")
    )


def _tasks(ctx: Context, rng: random.Random, life: Life, ledger: Ledger, rows: Rows) -> None:
    sheet_later = _sheet_window(ctx, life)
    last_day = life.ended_at.astimezone(ctx.tz).date() if life.ended_at else ctx.today
    for stage in life.definition["stages"]:
        passed, left = _stage_state(life, stage["key"])
        current = stage["key"] == life.stage
        for spec in stage.get("tasks", []):
            anchor = life.anchor_day(spec["anchor"])
            due = anchor + timedelta(days=spec["offset_days"]) if anchor else None
            task = {
                "id": ledger.id("tasks"),
                "journey_id": life.id,
                "stage": stage["key"],
                "key": spec["key"],
                "titles": titles_json(spec["title"]),
                "_titles": spec["title"],  # for the reminders' texts; not a column
                "required": bool(spec.get("required", True)),
                "anchor": spec["anchor"],
                "offset_days": spec["offset_days"],
                "due_on": due,
                "status": "open",
                "done_at": None,
                "done_by_id": None,
                "skip_reason": None,
                "journey_active": life.status == "active",
            }
            rows.keep("tasks", task)  # the same dict: finishing it below updates the row
            life.tasks.append(task)
            if spec["key"] == "discharge_sheet" and sheet_later:
                continue  # the discharge services tick it when the sheet is issued
            if spec["key"] == "portal_invited":
                continue  # the portal ticks it when the patient is invited
            if passed:
                _finish(ctx, rng, life, ledger, rows, task, left)
            elif (
                current
                and due is not None
                and due <= last_day
                and spec["key"] != "consent_signed"  # still deciding: why they are here
                and rng.random() < 0.88  # most of what fell due is done, some is overdue
            ):
                _finish(ctx, rng, life, ledger, rows, task, life.ended_at, skip=False)
    # Past a stage with a required task still open, the move needed a reason.
    for n, (from_stage, to_stage, at, by, _, _) in enumerate(life.transitions):
        if to_stage == "cancelled":
            continue
        open_required = [
            t for t in life.tasks if t["stage"] == from_stage and t["required"]
            and (t["status"] == "open" and not (t["key"] == "discharge_sheet" and sheet_later))
        ]  # fmt: skip
        if open_required:
            life.transitions[n] = (from_stage, to_stage, at, by, rng.choice(OVERRIDE_REASONS), True)


def _finish(
    ctx: Context,
    rng: random.Random,
    life: Life,
    ledger: Ledger,
    rows: Rows,
    task: dict,
    left: datetime | None,
    skip: bool | None = None,
) -> None:
    """Mark ``task`` done (or skipped) as the services would, with its audit event."""
    if skip is None:
        if task["required"]:
            if rng.random() < 0.02:
                return  # left open: the stage was passed with a reason
            skip = False
        else:
            skip = rng.random() < 0.2
    when = _done_time(ctx, rng, life, task)
    if left is not None:
        when = min(when, left - timedelta(minutes=5))
    when = max(when, life.started_at + timedelta(minutes=1))
    if when > ctx.now:
        return
    actor = life.surgeon if task["key"] in CLINICIAN_TASKS else life.coordinator
    task["status"] = "skipped" if skip else "done"
    task["done_at"], task["done_by_id"] = when, actor.id
    details = {"task": task["key"], "status": ["open", "done"]}
    if skip:
        task["skip_reason"] = rng.choice(SKIP_REASONS)
        details = {"task": task["key"], "reason": task["skip_reason"]}
    audit(
        rows, ledger.audit, when, "task.skip" if skip else "task.complete", "Task",
        task["id"], actor=actor, patient_id=life.patient_id, details=details,
    )  # fmt: skip


def _appointments(ctx: Context, rng: random.Random, life: Life, ledger: Ledger, rows: Rows) -> None:
    if life.surgery_at is None:
        return
    specs = [
        {
            "key": "surgery",
            "kind": "surgery",
            "title": f"Surgery: {life.pathway.name}",
            "starts_at": life.surgery_at,
            "duration_minutes": life.minutes,
            "location": _english(life.definition.get("surgery_location")) or "Operating theatre",
            "anchor": "surgery",
            "stage": "procedure",
        }
    ]
    for stage in life.definition["stages"]:
        for spec in stage.get("appointments", []):
            day = life.anchor_day(spec["anchor"]) + timedelta(days=spec["offset_days"])
            specs.append(
                {
                    "key": spec["key"],
                    "kind": spec["kind"],
                    "title": spec["title"]["en"],
                    "starts_at": ctx.at(day, spec["time"]),
                    "duration_minutes": spec["duration_minutes"],
                    "location": _english(spec.get("location")) or "",
                    "anchor": spec["anchor"],
                    "stage": stage["key"],
                }
            )
    reached = STAGES.index(life.stage)
    for spec in specs:
        stage = spec.pop("stage")
        appt = {
            **spec,
            "id": ledger.id("appointments"),
            "journey_id": life.id,
            "status": "scheduled",
            "cancel_reason": None,
            "sequence": 0,
            "created_at": life.booked_at,
            "updated_at": life.booked_at,
        }
        ends = appt["starts_at"] + timedelta(minutes=appt["duration_minutes"])
        if life.status == "cancelled" and appt["starts_at"] > life.ended_at:
            appt.update(
                status="cancelled",
                cancel_reason=f"Journey cancelled: {life.cancel_reason}",
                sequence=1,
                updated_at=life.ended_at,
            )
        elif ends <= ctx.now and STAGES.index(stage) <= reached:
            no_show = appt["kind"] == "follow_up" and rng.random() < 0.04
            status = "no_show" if no_show else "completed"
            appt.update(status=status, sequence=1, updated_at=ends)
            audit(
                rows, ledger.audit, ends, "appointment.update", "Appointment", appt["id"],
                actor=life.coordinator, patient_id=life.patient_id,
                details={"status": ["scheduled", status]},
            )  # fmt: skip
        life.appointments.append(appt)
        rows.add("appointments", **appt)


def _sheet_work(ctx: Context, rng: random.Random, life: Life, rows: Rows) -> None:
    """Recent discharges get real sheets afterwards; a few of today's are still drafts or none."""
    if not _sheet_window(ctx, life):
        return
    home = life.stage_exit("discharge")
    if home is not None:
        rows.sheets.append((life.id, "issue", home - timedelta(minutes=60)))
        return
    roll = rng.random()
    at = max(ctx.now - timedelta(minutes=rng.randint(5, 90)), life.started_at)
    if roll < 0.6:
        rows.sheets.append((life.id, "issue", at))
    elif roll < 0.85:
        rows.sheets.append((life.id, "draft", at))


def _english(place) -> str | None:
    """Staff pages keep the English of a place the template gives in both languages."""
    return place.get("en") if isinstance(place, dict) else place
