"""The demo clinic: realistic, spread over every stage, and loaded once."""

from datetime import timedelta

import sqlalchemy as sa

from tracker.audit.models import AuditEvent
from tracker.auth.services import authenticate, user_by_email
from tracker.clock import clinic_today, utcnow
from tracker.db import db
from tracker.demo import DEMO_PASSWORD, DEMO_SIGN_IN, DEMO_SIGN_IN_ID, STEPS, Demo, pending_steps
from tracker.demo.cases import CASES, QUESTIONNAIRE_TASKS
from tracker.demo.outcomes import PAST_PATIENTS
from tracker.journeys.models import Appointment, Journey, Note, StageTransition, Task
from tracker.on_duty import services as on_duty
from tracker.outcomes.report import ReportFilters, build
from tracker.outcomes.status import overdue
from tracker.pathways.models import STAGES
from tracker.patients.models import Patient
from tracker.portal.models import Alert, CheckIn
from tracker.reminders.models import Reminder
from tracker.timeutil import clinic_tz


def test_demo_loads_a_clinic_then_changes_nothing(runner, row_counts):
    # Templates already loaded (as `make run` may find them): that step is not pending.
    assert runner.invoke(args=["pathways", "load"]).exit_code == 0
    pending = pending_steps(Demo(now=utcnow()))
    assert [step.name for step in pending] == [step.name for step in STEPS[1:]]

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert f"{DEMO_SIGN_IN} / {DEMO_PASSWORD}" in result.output
    assert f"In Indonesian: {DEMO_SIGN_IN_ID}" in result.output
    assert user_by_email(DEMO_SIGN_IN_ID).language == "id"
    assert user_by_email(DEMO_SIGN_IN).language == "en"
    loaded = row_counts()
    assert 35 <= loaded["patients"] - len(PAST_PATIENTS) <= 45
    assert loaded["journeys"] == loaded["patients"] == len(CASES) + len(PAST_PATIENTS)
    assert loaded["pathway_templates"] == 2

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "already loaded; nothing changed" in again.output
    assert row_counts() == loaded
    assert pending_steps(Demo(now=utcnow())) == []


def test_demo_covers_every_stage_and_both_pathways_with_a_real_history(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    journeys = db.session.scalars(sa.select(Journey)).all()
    active = [j for j in journeys if j.status == "active"]
    assert {j.stage for j in active} == set(STAGES)
    assert {j.template.slug for j in journeys} == {"teld", "interlaminar-decompression"}
    assert {j.status for j in journeys} == {"active", "completed", "cancelled"}
    assert {j.condition for j in journeys} >= {"herniated_disc", "sciatica", "spinal_stenosis"}
    assert {j.patient.timezone for j in journeys} == {
        "Asia/Jakarta",
        "Asia/Makassar",
        "Australia/Perth",
        "Europe/Amsterdam",
    }
    assert {j.patient.language for j in journeys} == {"en", "id"}
    assert sum(j.patient.timezone == "Asia/Jakarta" for j in journeys) > len(journeys) / 2
    # Interlaminar decompression is for stenosis; TELD for a herniated disc or sciatica.
    for journey in journeys:
        if journey.approach == "interlaminar":
            assert journey.condition == "spinal_stenosis"
        else:
            assert journey.condition in ("herniated_disc", "sciatica")

    today = utcnow().astimezone(clinic_tz()).date()
    surgery_days = [j.surgery_at.astimezone(clinic_tz()).date() for j in active if j.surgery_at]
    assert today in surgery_days
    assert any(today < day <= today + timedelta(days=7) for day in surgery_days)
    assert any(day < today for day in surgery_days)

    # The history reads like a clinic's: work done by people, in the past, some of it late.
    now = utcnow()
    overdue = db.session.scalars(
        sa.select(Task)
        .join(Journey)
        .where(Task.status == "open", Task.required, Journey.status == "active")
    ).all()
    today = now.astimezone(clinic_tz()).date()
    assert any(task.due_on and task.due_on < today for task in overdue)
    done = db.session.scalars(sa.select(Task).where(Task.status == "done")).all()
    assert len(done) > 100
    assert all(task.done_at <= now for task in done)
    # Staff tick tasks off; a questionnaire answered in the portal ticks its own task.
    assert all(task.done_by_id is not None or task.key in QUESTIONNAIRE_TASKS for task in done)
    steps = db.session.scalars(sa.select(StageTransition)).all()
    assert any(s.override and s.reason for s in steps)
    assert any(s.from_stage == "preparation" and s.to_stage == "consultation" for s in steps)
    assert max(s.at for s in steps) <= now
    assert min(s.at for s in steps) < now - timedelta(days=60)  # months of history
    events = db.session.scalars(sa.select(AuditEvent)).all()
    assert {"journey.reschedule", "journey.cancel", "journey.complete", "note.add"} <= {
        e.action for e in events
    }
    assert all(e.at <= now for e in events)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) >= 3
    statuses = set(db.session.scalars(sa.select(Appointment.status)))
    assert statuses == {"scheduled", "completed", "cancelled", "no_show"}
    past_open = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Appointment)
        .where(Appointment.status == "scheduled", Appointment.starts_at < now - timedelta(days=1))
    )
    assert past_open == 0
    assert authenticate(DEMO_SIGN_IN, DEMO_PASSWORD).role == "coordinator"


def _load(now) -> list[tuple]:
    demo = Demo(now=now, cases=CASES[::4])  # every fourth case: each stage, and quicker
    for step in pending_steps(demo):
        for _ in step.run(demo):
            pass
    db.session.commit()
    rows = db.session.execute(
        sa.select(
            Journey.patient_id,
            Journey.stage,
            Journey.surgery_at,
            Journey.anesthesia,
            Task.key,
            Task.status,
            Task.done_at,
        ).join(Task)
    )
    patients = {p.id: (p.mrn, p.phone, p.birth_date, p.email) for p in _patients()}
    return sorted((patients[r[0]], *r[1:]) for r in rows)


def _patients():
    return db.session.scalars(sa.select(Patient))


def test_demo_is_the_same_clinic_for_the_same_moment(app, now):
    first = _load(now)
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    assert _load(now) == first


def test_demo_refuses_a_production_database(runner, monkeypatch, row_counts):
    monkeypatch.setenv("TRACKER_CONFIG", "production")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "not for a production database" in result.output
    assert row_counts()["patients"] == 0


def test_demo_recovering_patients_log_pain_and_raise_alerts(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    recovering = db.session.scalars(
        sa.select(Journey).where(
            Journey.status == "active", Journey.stage.in_(("discharge", "follow_up"))
        )
    ).all()
    with_check_ins = set(db.session.scalars(sa.select(CheckIn.journey_id)))
    assert {j.id for j in recovering} <= with_check_ins
    kinds = set(db.session.scalars(sa.select(Alert.kind)))
    assert {"red_flag", "pain_rise", "missed_checkins"} <= kinds
    urgent = db.session.scalar(sa.select(Alert).where(Alert.kind == "red_flag"))
    assert urgent.severity == "urgent"


def test_demo_shows_who_is_told_about_an_urgent_alert(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert [c.tier for c in on_duty.contacts("on_duty")] == ["on_duty", "on_duty"]
    open_urgent = db.session.scalars(
        sa.select(Alert).where(Alert.severity == "urgent", Alert.status == "open")
    ).all()
    assert len(open_urgent) == 1 and "saddle" in open_urgent[0].summary
    told = on_duty.told([open_urgent[0].id])[open_urgent[0].id]
    assert {r.recipient for r in told} == {"+6281100000001", "ward@demo.clinic"}
    resolved = db.session.scalar(sa.select(Alert).where(Alert.status == "resolved"))
    assert resolved is not None and resolved.kind == "red_flag"
    invitations = db.session.scalars(
        sa.select(Reminder).where(Reminder.message_key == "portal_invitation")
    ).all()
    assert invitations and {r.status for r in invitations} == {"pending"}
    assert all(r.body is None for r in invitations)  # the link is made when it is sent


def test_demo_outcomes_make_the_report_meaningful(runner, clock):
    assert runner.invoke(args=["demo"]).exit_code == 0
    now = utcnow()
    report = build(ReportFilters(pathway="teld"), now=now, today=clinic_today(now))
    rows = {row.timepoint: row for row in report.rows}
    # Baselines and follow-ups; most past the MCID, a few not; one questionnaire missing.
    assert rows["baseline"].stats["odi"].n >= 10
    six = rows["6w"].mcid["odi"]
    assert six.of >= 8 and 0.6 < six.count / six.of < 1
    assert rows["12m"].stats["odi"].n >= 2
    leg = [rows[tp].stats["leg_pain"].median for tp in ("baseline", "2w", "6w", "3m")]
    assert leg[0] > max(leg[1:])  # leg pain falls after the operation
    assert rows["3m"].completion.count < rows["3m"].completion.of  # one never answered
    assert report.theatre_returns == 1
    # The walk-through patient: baseline ODI 60, six weeks overdue on the dashboard.
    items, _ = overdue(clinic_today(now), now)
    assert "Rina Kusumawati" in {q.journey.patient.full_name for q in items}
