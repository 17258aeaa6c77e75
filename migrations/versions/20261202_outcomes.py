"""outcomes: questionnaire instruments, responses and answers, returns to theatre

Revision ID: 20261202_outcomes
Revises: 20261202_security
Create Date: 2026-12-02 10:00:00

"""

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = "20261202_outcomes"
down_revision = "20261202_security"
branch_labels = None
depends_on = None

UTC = tracker.db.UTCDateTime(timezone=True)
OPEN = sa.text("status = 'in_progress'")


def upgrade():
    op.create_table(
        "questionnaire_instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("loaded_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_instruments")),
        sa.UniqueConstraint("key", "checksum", name="uq_questionnaire_instruments_key_checksum"),
        sa.UniqueConstraint("key", "version", name="uq_questionnaire_instruments_key_version"),
    )
    op.create_table(
        "questionnaire_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("instrument_key", sa.String(length=40), nullable=False),
        sa.Column("timepoint", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("band", sa.String(length=30), nullable=True),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.String(length=10), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("completed_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("error_reason", sa.Text(), nullable=True),
        sa.Column("error_at", UTC, nullable=True),
        sa.Column("error_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(entered_by = 'staff') = (entered_by_id IS NOT NULL)",
            name=op.f("ck_questionnaire_responses_entered_by_staff"),
        ),
        sa.CheckConstraint(
            "entered_by IN ('patient', 'staff')", name=op.f("ck_questionnaire_responses_entered_by")
        ),
        sa.CheckConstraint(
            "source IN ('portal', 'paper', 'phone', 'api')",
            name=op.f("ck_questionnaire_responses_source"),
        ),
        sa.CheckConstraint(
            "status = 'in_progress' OR completed_at IS NOT NULL",
            name=op.f("ck_questionnaire_responses_completed_at"),
        ),
        sa.CheckConstraint(
            "status IN ('in_progress', 'completed', 'entered_in_error')",
            name=op.f("ck_questionnaire_responses_status"),
        ),
        sa.CheckConstraint(
            "timepoint IS NULL OR timepoint IN ('baseline', '2w', '6w', '3m', '12m')",
            name=op.f("ck_questionnaire_responses_timepoint"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["staff_users.id"],
            name=op.f("fk_questionnaire_responses_entered_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["error_by_id"],
            ["staff_users.id"],
            name=op.f("fk_questionnaire_responses_error_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["questionnaire_instruments.id"],
            name=op.f("fk_questionnaire_responses_instrument_id_questionnaire_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_questionnaire_responses_journey_id_journeys")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_questionnaire_responses_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_responses")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_questionnaire_responses_idempotency_key")
        ),
    )
    with op.batch_alter_table("questionnaire_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_responses_journey_id"), ["journey_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_questionnaire_responses_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            "uq_questionnaire_responses_open",
            ["journey_id", "instrument_key", "timepoint"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )

    op.create_table(
        "questionnaire_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("answered_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["questionnaire_responses.id"],
            name=op.f("fk_questionnaire_answers_response_id_questionnaire_responses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_answers")),
        sa.UniqueConstraint("response_id", "item_key", name="uq_questionnaire_answers_item"),
    )
    with op.batch_alter_table("questionnaire_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_answers_response_id"), ["response_id"], unique=False
        )

    op.create_table(
        "theatre_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("voided_at", UTC, nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_theatre_returns_journey_id_journeys")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_theatre_returns_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff_users.id"],
            name=op.f("fk_theatre_returns_recorded_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["voided_by_id"],
            ["staff_users.id"],
            name=op.f("fk_theatre_returns_voided_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theatre_returns")),
    )
    with op.batch_alter_table("theatre_returns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_theatre_returns_journey_id"), ["journey_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_theatre_returns_patient_id"), ["patient_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("theatre_returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_theatre_returns_patient_id"))
        batch_op.drop_index(batch_op.f("ix_theatre_returns_journey_id"))
    op.drop_table("theatre_returns")

    with op.batch_alter_table("questionnaire_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_answers_response_id"))
    op.drop_table("questionnaire_answers")

    with op.batch_alter_table("questionnaire_responses", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_questionnaire_responses_open", sqlite_where=OPEN, postgresql_where=OPEN
        )
        batch_op.drop_index(batch_op.f("ix_questionnaire_responses_patient_id"))
        batch_op.drop_index(batch_op.f("ix_questionnaire_responses_journey_id"))
    op.drop_table("questionnaire_responses")
    op.drop_table("questionnaire_instruments")
