from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import UTCDateTime, db
from tracker.pathways.models import STAGES, PathwayTemplate
from tracker.patients.models import Patient

CONDITIONS = ("herniated_disc", "spinal_stenosis", "sciatica", "other")
SIDES = ("left", "right", "bilateral", "central")
APPROACHES = ("transforaminal", "interlaminar")
ANESTHESIA = ("general", "local_sedation")
JOURNEY_STATUSES = ("active", "completed", "cancelled")
TASK_STATUSES = ("open", "done", "skipped")
APPOINTMENT_KINDS = ("consultation", "pre_op", "surgery", "follow_up", "other")
APPOINTMENT_STATUSES = ("scheduled", "completed", "cancelled", "no_show")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Journey(db.Model):
    """One patient's way through a pathway template version."""

    __tablename__ = "journeys"
    __table_args__ = (
        sa.CheckConstraint(_in("condition", CONDITIONS), name="condition"),
        sa.CheckConstraint(_in("side", SIDES), name="side"),
        sa.CheckConstraint(_in("approach", APPROACHES), name="approach"),
        sa.CheckConstraint(_in("anesthesia", ANESTHESIA), name="anesthesia"),
        sa.CheckConstraint(_in("stage", STAGES), name="stage"),
        sa.CheckConstraint(_in("status", JOURNEY_STATUSES), name="status"),
        # At most one active journey per patient.
        sa.Index(
            "uq_journeys_active_patient",
            "patient_id",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
        # The running journeys by stage and surgery date: stage counts, board columns, lists.
        sa.Index(
            "ix_journeys_active_stage_surgery_at",
            "stage",
            "surgery_at",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    #: the template version the journey started with; later versions do not touch it
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("pathway_templates.id"))
    condition: Mapped[str] = mapped_column(sa.String(30))
    #: spinal level(s), e.g. "L4-L5" or "L4-L5, L5-S1"
    levels: Mapped[str] = mapped_column(sa.String(60))
    side: Mapped[str] = mapped_column(sa.String(12))
    approach: Mapped[str] = mapped_column(sa.String(20))
    anesthesia: Mapped[str] = mapped_column(sa.String(20))
    surgeon_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    consultation_date: Mapped[date]
    #: planned (then actual) start of surgery; empty until it is booked
    surgery_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: when the patient went home
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    stage: Mapped[str] = mapped_column(sa.String(20), default="consultation", index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="active", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why a journey was cancelled
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: the last change to the row (exports use it to send only what changed)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship()
    template: Mapped[PathwayTemplate] = relationship()
    surgeon: Mapped[StaffUser | None] = relationship(foreign_keys=[surgeon_id])
    tasks: Mapped[list["Task"]] = relationship(
        back_populates="journey", order_by="(Task.due_on, Task.id)"
    )
    appointments: Mapped[list["Appointment"]] = relationship(
        back_populates="journey", order_by="Appointment.starts_at"
    )
    transitions: Mapped[list["StageTransition"]] = relationship(
        back_populates="journey", order_by="StageTransition.id"
    )
    notes: Mapped[list["Note"]] = relationship(back_populates="journey", order_by="Note.id")

    @property
    def stage_index(self) -> int:
        return STAGES.index(self.stage)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def planned_stay_days(self) -> int:
        return int(self.template.definition.get("planned_stay_days", 0))

    def anchor_date(self, anchor: str, tz) -> date | None:
        """The local date an anchor falls on, or None while it is not known."""
        if anchor == "consultation":
            return self.consultation_date
        if self.surgery_at is None:
            return None
        surgery_day = self.surgery_at.astimezone(tz).date()
        if anchor == "surgery":
            return surgery_day
        if anchor == "discharge":
            if self.discharged_at is not None:
                return self.discharged_at.astimezone(tz).date()
            return surgery_day + timedelta(days=self.planned_stay_days)
        raise ValueError(f"unknown anchor {anchor!r}")


class StageTransition(db.Model):
    __tablename__ = "stage_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    #: empty for the start of the journey
    from_stage: Mapped[str | None] = mapped_column(sa.String(20))
    #: a stage, or "completed" / "cancelled" when the journey ends
    to_stage: Mapped[str] = mapped_column(sa.String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: True when the move went past unfinished required tasks
    override: Mapped[bool] = mapped_column(default=False)

    journey: Mapped[Journey] = relationship(back_populates="transitions")
    by: Mapped[StaffUser | None] = relationship()


class Task(db.Model):
    """A checklist item of one journey, copied from its template at the start."""

    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint(_in("status", TASK_STATUSES), name="status"),
        sa.CheckConstraint(_in("stage", STAGES), name="stage"),
        sa.UniqueConstraint("journey_id", "key", name="uq_tasks_journey_id_key"),
        # Work still to do: open tasks of running journeys, by due day (the overdue list).
        sa.Index(
            "ix_tasks_to_do_due_on",
            "due_on",
            "id",
            sqlite_where=sa.text("status = 'open' AND journey_active = 1"),
            postgresql_where=sa.text("status = 'open' AND journey_active"),
        ),
        # Open tasks of any journey by kind and due day: the overdue questionnaires (a 12-month
        # one comes after most journeys have ended) read the last weeks of their tasks' keys.
        sa.Index(
            "ix_tasks_open_due_on",
            "key",
            "due_on",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    stage: Mapped[str] = mapped_column(sa.String(20))
    #: the template's task key
    key: Mapped[str] = mapped_column(sa.String(60))
    #: ``{"en": …, "id": …}``
    titles: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    required: Mapped[bool] = mapped_column(default=True)
    anchor: Mapped[str] = mapped_column(sa.String(20))
    offset_days: Mapped[int] = mapped_column(default=0)
    #: local (clinic) date it is due; empty while its anchor is unknown
    due_on: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="open", index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    skip_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: the last change to the row (exports use it to send only what changed)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: False once the journey ended (completed or cancelled): its open tasks are nobody's work.
    #: A copy of the journey's status, so that the overdue list reads one index, not every
    #: open task the clinic ever left behind.
    journey_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    journey: Mapped[Journey] = relationship(back_populates="tasks")
    done_by: Mapped[StaffUser | None] = relationship()

    @property
    def title(self) -> str:
        """The title in the reader's language (English outside a page, e.g. in the API)."""
        locale = get_locale()
        language = locale.language if locale is not None else "en"
        return self.titles.get(language) or self.titles.get("en", self.key)

    def title_in(self, language: str) -> str:
        return self.titles.get(language) or self.title

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", APPOINTMENT_KINDS), name="kind"),
        sa.CheckConstraint(_in("status", APPOINTMENT_STATUSES), name="status"),
        sa.CheckConstraint("duration_minutes > 0 AND duration_minutes <= 1440", name="duration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    #: the template's appointment key; empty for one booked by hand
    key: Mapped[str | None] = mapped_column(sa.String(60))
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(default=30)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="scheduled", index=True)
    #: the anchor it was planned from; it moves when that anchor moves (empty: booked by hand)
    anchor: Mapped[str | None] = mapped_column(sa.String(20))
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: raised on every change, for calendar updates (RFC 5545 SEQUENCE)
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    journey: Mapped[Journey] = relationship(back_populates="appointments")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class Note(db.Model):
    """A free-text note on a journey. Notes are never edited; a correction is a new note."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    journey: Mapped[Journey] = relationship(back_populates="notes")
    author: Mapped[StaffUser | None] = relationship()


@sa.event.listens_for(Journey.status, "set")
def _tasks_follow_the_journey(journey: Journey, value, old, initiator) -> None:
    """A journey that ends takes its open tasks off everyone's list (``Task.journey_active``)."""
    if value == old:
        return
    session = object_session(journey)
    if session is None:
        tasks = journey.tasks
    else:
        with session.no_autoflush:
            tasks = journey.tasks
    for task in tasks:
        task.journey_active = value == "active"
