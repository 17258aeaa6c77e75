"""FHIR export: last-change times of journeys and tasks, and asynchronous export jobs

Revision ID: 20261202_fhir_export
Revises: 20261123_portal
Create Date: 2026-12-02 10:00:00

"""

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = "20261202_fhir_export"
down_revision = "20261123_portal"
branch_labels = None
depends_on = None

UTC = tracker.db.UTCDateTime(timezone=True)


def upgrade():
    # Existing rows get the best time known: a journey's end or start, a task's completion.
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", UTC, nullable=True))
    op.execute("UPDATE journeys SET updated_at = COALESCE(ended_at, started_at)")
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=UTC, nullable=False)

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", UTC, nullable=True))
    op.execute(
        "UPDATE tasks SET updated_at = COALESCE(done_at, "
        "(SELECT started_at FROM journeys WHERE journeys.id = tasks.journey_id))"
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=UTC, nullable=False)

    op.create_table(
        "fhir_export_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("request_url", sa.Text(), nullable=False),
        sa.Column("since", UTC, nullable=True),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("heartbeat_at", UTC, nullable=True),
        sa.Column("transaction_time", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("current_type", sa.String(length=40), nullable=True),
        sa.Column("output", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'expired')",
            name=op.f("ck_fhir_export_jobs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["staff_users.id"],
            name=op.f("fk_fhir_export_jobs_requested_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_export_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_fhir_export_jobs_key")),
    )
    with op.batch_alter_table("fhir_export_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fhir_export_jobs_requested_by_id"), ["requested_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fhir_export_jobs_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("fhir_export_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fhir_export_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_fhir_export_jobs_requested_by_id"))
    op.drop_table("fhir_export_jobs")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
