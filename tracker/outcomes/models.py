"""Questionnaires (patient-reported outcome measures), the answers given, returns to theatre.

The shapes follow FHIR so they map one to one: an :class:`Instrument` version is a
Questionnaire, a :class:`QuestionnaireResponse` with its :class:`QuestionnaireAnswer` rows is a
QuestionnaireResponse (status, authored = ``completed_at``, author = ``entered_by``), an item's
``key`` is its ``linkId``.
"""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import StaffUser
from tracker.clock import utcnow
from tracker.db import UTCDateTime, db
from tracker.journeys.models import Journey

#: where a questionnaire's timepoint sits; the report's columns, the API's ``timepoint``
TIMEPOINTS = ("baseline", "2w", "6w", "3m", "12m")
#: FHIR QuestionnaireResponse.status, in our spelling
RESPONSE_STATUSES = ("in_progress", "completed", "entered_in_error")
ENTERED_BY = ("patient", "staff")
#: how the answers reached us: the portal, a paper form or a phone call typed in by staff, the API
SOURCES = ("portal", "paper", "phone", "api")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Instrument(db.Model):
    """One version of a questionnaire, loaded from a data file; versions never change."""

    __tablename__ = "questionnaire_instruments"
    __table_args__ = (
        sa.UniqueConstraint("key", "version", name="uq_questionnaire_instruments_key_version"),
        sa.UniqueConstraint("key", "checksum", name="uq_questionnaire_instruments_key_checksum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. ``odi``, ``leg_pain``
    key: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    #: sha256 of the canonical definition, so reloading an unchanged file is a no-op
    checksum: Mapped[str] = mapped_column(sa.String(64))
    #: the whole parsed data file: items, options, scoring, bands, texts, source and licence
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class QuestionnaireResponse(db.Model):
    """One instrument answered once by (or for) a patient at one timepoint of a journey."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        sa.CheckConstraint(_in("status", RESPONSE_STATUSES), name="status"),
        sa.CheckConstraint(
            f"timepoint IS NULL OR {_in('timepoint', TIMEPOINTS)}", name="timepoint"
        ),
        sa.CheckConstraint(_in("entered_by", ENTERED_BY), name="entered_by"),
        sa.CheckConstraint(_in("source", SOURCES), name="source"),
        sa.CheckConstraint(
            "(entered_by = 'staff') = (entered_by_id IS NOT NULL)", name="entered_by_staff"
        ),
        sa.CheckConstraint(
            "status = 'in_progress' OR completed_at IS NOT NULL", name="completed_at"
        ),
        # One open (being answered) response per instrument and timepoint: resuming finds it.
        sa.Index(
            "uq_questionnaire_responses_open",
            "journey_id",
            "instrument_key",
            "timepoint",
            unique=True,
            sqlite_where=sa.text("status = 'in_progress'"),
            postgresql_where=sa.text("status = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    #: the instrument version answered
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire_instruments.id"))
    #: the instrument's key, kept here so reports group without a join
    instrument_key: Mapped[str] = mapped_column(sa.String(40))
    #: one of TIMEPOINTS; empty for an answer given outside every window of the schedule
    timepoint: Mapped[str | None] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(20), default="in_progress")
    #: the instrument's score (one decimal for the ODI), empty when it cannot be scored
    score: Mapped[float | None]
    #: the score's band (ODI), or the chosen option's code (global change, MacNab)
    band: Mapped[str | None] = mapped_column(sa.String(30))
    #: items left unanswered when it was completed
    missing: Mapped[int] = mapped_column(default=0)
    entered_by: Mapped[str] = mapped_column(sa.String(10), default="patient")
    #: the staff user who typed in a paper or phone questionnaire, or sent it through the API
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    source: Mapped[str] = mapped_column(sa.String(10), default="portal")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the patient answered (FHIR ``authored``): the submit, or the date on a paper form
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a client's key (API ``Idempotency-Key``): sending the same request twice stores one
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    #: why it was marked entered in error (a correction; nothing is deleted)
    error_reason: Mapped[str | None] = mapped_column(sa.Text)
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))

    journey: Mapped[Journey] = relationship()
    instrument: Mapped[Instrument] = relationship()
    entered_by_user: Mapped[StaffUser | None] = relationship(foreign_keys=[entered_by_id])
    answers: Mapped[list["QuestionnaireAnswer"]] = relationship(
        back_populates="response", order_by="QuestionnaireAnswer.position"
    )

    @property
    def is_completed(self) -> bool:
        return self.status == "completed"


class QuestionnaireAnswer(db.Model):
    """The answer to one item; a skipped item has an empty value."""

    __tablename__ = "questionnaire_answers"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "item_key", name="uq_questionnaire_answers_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_responses.id"), index=True
    )
    #: the instrument's item key (FHIR ``linkId``)
    item_key: Mapped[str] = mapped_column(sa.String(40))
    #: the item's place in the instrument, from 1
    position: Mapped[int]
    #: the chosen option's value; empty when the patient skipped the item
    value: Mapped[int | None]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[QuestionnaireResponse] = relationship(back_populates="answers")


class TheatreReturn(db.Model):
    """A return to the operating theatre after the index operation, as the clinic records it."""

    __tablename__ = "theatre_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    patient_id: Mapped[int] = mapped_column(sa.ForeignKey("patients.id"), index=True)
    occurred_on: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    #: set when it was recorded by mistake (kept, never deleted)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    void_reason: Mapped[str | None] = mapped_column(sa.Text)

    recorded_by: Mapped[StaffUser | None] = relationship(foreign_keys=[recorded_by_id])


SNAPSHOT_STATUSES = ("new", "running", "ready", "failed")


class ReportSnapshot(db.Model):
    """The outcomes report of one set of filters as last made, for a cohort too large to sum up
    on every view (see :mod:`tracker.outcomes.snapshots`). The last good report stays while a
    newer one is made; ``viewed_at`` tells the scheduler which reports people still read."""

    __tablename__ = "outcome_report_snapshots"
    __table_args__ = (sa.CheckConstraint(_in("status", SNAPSHOT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the filters in canonical JSON
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filters: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: the report as plain JSON (see ``snapshots.encode``), and when it was made
    report: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(10), default="new")
    #: the last sign of life of whoever makes it; a refresh silent for long is taken over
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    error: Mapped[str | None] = mapped_column(sa.Text)
