"""The scale generator makes data the app's own rules would have made, quickly and repeatably."""

from collections import defaultdict
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tracker.db import db
from tracker.discharge import today
from tracker.discharge.models import DischargeDraft, DischargeSheet
from tracker.journeys.models import Journey, StageTransition, Task
from tracker.pathways.models import STAGES
from tracker.portal import alerts
from tracker.portal.models import Alert, CheckIn
from tracker.reminders.models import Reminder
from tracker.reminders.planning import plan_journey
from tracker.scale import ScaleError, load, make_context
from tracker.scale.context import TABLES, Rows
from tracker.scale.stories import generate_patient


def test_every_table_is_filled_and_every_reference_holds(generate):
    summary = generate(80)
    for table in TABLES:
        assert summary.rows[table] > 0, table
    orphans = {}
    for name in TABLES:
        table = db.metadata.tables[name]
        for fk in table.foreign_keys:
            parent = fk.column.table.alias("parent")
            query = (
                sa.select(sa.func.count())
                .select_from(table.outerjoin(parent, fk.parent == parent.c[fk.column.name]))
                .where(fk.parent.is_not(None), parent.c[fk.column.name].is_(None))
            )
            orphans[f"{name}.{fk.parent.name}"] = db.session.scalar(query)
    assert orphans == dict.fromkeys(orphans, 0)
    statuses = set(db.session.scalars(sa.select(Journey.status).distinct()))
    assert statuses == {"active", "completed", "cancelled"}


def test_journeys_are_at_every_stage_and_some_go_home_today(generate):
    generate(500, years=0.15)
    journeys = db.session.scalars(sa.select(Journey)).all()
    assert {j.stage for j in journeys if j.status == "active"} == set(STAGES)
    assert len({j.patient_id for j in journeys if j.status == "active"}) == sum(
        j.status == "active" for j in journeys
    )
    leaving = today.overview(NOW)
    assert leaving, "nobody goes home today in a clinic this busy"
    assert any(entry.signed for entry in leaving), "some of today's sheets are signed off"
    sheets = db.session.scalar(sa.select(sa.func.count()).select_from(DischargeSheet))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DischargeDraft)) >= sheets
    # Tasks of ended journeys are nobody's work; those of running ones are.
    for journey in journeys:
        assert {t.journey_active for t in journey.tasks} <= {journey.status == "active"}


def test_reminders_are_exactly_what_planning_makes(generate):
    generate(60, years=0.4)
    active = db.session.scalars(sa.select(Journey).where(Journey.status == "active")).all()
    assert len(active) > 5
    for journey in active:
        result = plan_journey(journey, now=NOW)
        assert not result.changed, (journey.id, result)
    statuses = set(db.session.scalars(sa.select(Reminder.status).distinct()))
    assert {"sent", "pending", "cancelled"} <= statuses
    sent = db.session.scalars(sa.select(Reminder).where(Reminder.status == "sent").limit(50))
    for reminder in sent:
        assert reminder.subject and reminder.body and reminder.recipient
        assert reminder.sent_at <= NOW
    db.session.rollback()


def test_the_daily_alert_job_finds_nothing_the_generator_missed(generate):
    generate(120, years=0.3)
    assert db.session.scalar(sa.select(sa.func.count()).where(Alert.kind == "missed_checkins")), (
        "some invited patients never check in"
    )
    assert alerts.run_daily_checks(now=NOW) == []
    db.session.rollback()


def _first_alerts(rows) -> dict:
    first = {}
    for journey_id, kind, check_in_id in rows:
        first.setdefault((journey_id, kind), check_in_id)
    return first


def test_check_in_alerts_are_the_ones_the_rules_raise(generate):
    generate(250, years=0.3)
    generated = db.session.execute(
        sa.select(Alert.journey_id, Alert.kind, Alert.check_in_id)
        .where(Alert.check_in_id.is_not(None))
        .order_by(Alert.created_at, Alert.id)
    ).all()
    assert generated, "a clinic this size has check-in alerts"
    journeys = {journey_id for journey_id, _, _ in generated}
    db.session.execute(sa.delete(Alert).where(Alert.journey_id.in_(journeys)))
    replayed = []
    check_ins = db.session.scalars(
        sa.select(CheckIn)
        .where(CheckIn.journey_id.in_(journeys))
        .order_by(CheckIn.recorded_at, CheckIn.id)
    ).all()
    for check_in in check_ins:
        for alert in alerts.evaluate_check_in(check_in, now=check_in.recorded_at):
            db.session.flush()
            replayed.append((check_in.journey_id, alert.kind, check_in.id))
    # The first alert of each kind: later ones depend on when people resolved the earlier ones.
    assert _first_alerts(replayed) == _first_alerts(generated)
    db.session.rollback()


def test_the_same_seed_makes_the_same_clinic(app, demo_staff):
    def patients(seed: int) -> dict:
        ctx = make_context(1000, seed=seed, years=5, now=NOW)
        rows = Rows()
        for index in (3, 500, 999):
            generate_patient(ctx, index, rows)
        return {table: [sorted(r.items()) for r in items] for table, items in rows.tables.items()}

    assert patients(11) == patients(11)
    assert patients(11)["patients"] != patients(12)["patients"]
    db.session.rollback()


def test_worker_processes_make_the_rows_the_command_process_makes(app, demo_staff, monkeypatch):
    monkeypatch.setattr(load, "CHUNK", 20)
    ctx = make_context(40, seed=5, years=1, now=NOW)
    dialect = db.session.connection().dialect.name
    config = {k: app.config[k] for k in ("CLINIC_TIMEZONE", "QUIET_HOURS")}

    def tables(chunks) -> dict[str, list[str]]:
        merged = defaultdict(list)
        for chunk in chunks:
            for table, payload in chunk.payloads.items():
                merged[table].extend(map(str, payload) if isinstance(payload, list) else [payload])
        return {table: sorted(items) for table, items in merged.items()}

    assert tables(load.chunks(ctx, 2, config, dialect)) == tables(
        load.chunks(ctx, 0, config, dialect)
    )
    db.session.rollback()


def test_a_second_generated_clinic_is_refused(generate):
    generate(10)
    with pytest.raises(ScaleError, match="already holds a generated clinic"):
        generate(10)


def test_the_demo_command_generates_a_clinic(runner):
    result = runner.invoke(args=["demo", "--patients", "30", "--years", "0.2", "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert "Generated 30 patients (seed 1)" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Journey)) >= 30 + 40
    again = runner.invoke(args=["demo", "--patients", "30", "--workers", "0"])
    assert again.exit_code == 1
    assert "already holds a generated clinic" in again.output


def test_generated_instants_are_utc_and_in_the_past_when_they_happened(generate):
    generate(40, years=0.3)
    latest = db.session.scalar(sa.select(sa.func.max(CheckIn.recorded_at)))
    assert latest <= NOW
    sent = db.session.scalar(
        sa.select(sa.func.max(Reminder.sent_at)).where(Reminder.status == "sent")
    )
    assert sent <= NOW
    upcoming = db.session.scalar(
        sa.select(sa.func.min(Reminder.due_at)).where(Reminder.status == "pending")
    )
    assert upcoming is None or upcoming > NOW - timedelta(minutes=1)


def test_stages_are_left_as_the_journey_services_allow(generate):
    """Past unfinished required tasks only with a reason; finished tasks say who and when."""
    generate(120, years=0.5)
    tasks = db.session.scalars(sa.select(Task)).all()
    by_journey = defaultdict(list)
    for task in tasks:
        by_journey[task.journey_id].append(task)
        if task.status == "open":
            assert task.done_at is None and task.done_by_id is None
        else:
            assert task.done_at is not None and task.done_by_id is not None
            assert task.done_at <= NOW
        if task.status == "skipped":
            assert task.skip_reason
    done = sum(t.status == "done" for t in tasks)
    assert done > len(tasks) / 2, "most tasks of a running clinic are done"
    moves = db.session.scalars(
        sa.select(StageTransition).where(
            StageTransition.from_stage.is_not(None), StageTransition.to_stage != "cancelled"
        )
    ).all()
    for move in moves:
        unfinished = [
            t
            for t in by_journey[move.journey_id]
            if t.stage == move.from_stage
            and t.required
            and (t.status == "open" or t.done_at > move.at)
        ]
        assert bool(unfinished) == move.override, (move.journey_id, move.from_stage)
        assert bool(move.reason) == move.override
