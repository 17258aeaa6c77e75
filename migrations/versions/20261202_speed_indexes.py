"""speed at a clinic's size: indexes for every list page, and tasks that know their journey ended

Revision ID: 20261202_speed_indexes
Revises: 20261202_discharge_batches
Create Date: 2026-12-02 06:00:00

Each index serves one page's query (see the models); the partial ones hold only the rows the
page reads. ``tasks.journey_active`` copies the journey's status onto its tasks so that the
overdue list need not look past the open tasks of journeys that ended long ago. On PostgreSQL
the patient search gets a trigram index (the ``pg_trgm`` extension, trusted since PostgreSQL 13,
so the database owner may create it); downgrading leaves the extension in place.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "20261202_speed_indexes"
down_revision = "20261202_discharge_batches"
branch_labels = None
depends_on = None

TRIGRAM_OPS = {"family_name": "gin_trgm_ops", "given_name": "gin_trgm_ops", "mrn": "gin_trgm_ops"}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("journey_active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.execute(
        "UPDATE tasks SET journey_active = false "
        "WHERE journey_id IN (SELECT id FROM journeys WHERE status <> 'active')"
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_to_do_due_on",
            ["due_on", "id"],
            unique=False,
            sqlite_where=sa.text("status = 'open' AND journey_active = 1"),
            postgresql_where=sa.text("status = 'open' AND journey_active"),
        )

    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.create_index("ix_journeys_discharged_at", ["discharged_at"], unique=False)
        batch_op.create_index(
            "ix_journeys_active_stage_surgery_at",
            ["stage", "surgery_at"],
            unique=False,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index("ix_reminders_status_due_at", ["status", "due_at"], unique=False)
    with op.batch_alter_table("portal_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portal_alerts_status_severity_created_at",
            ["status", "severity", "created_at"],
            unique=False,
        )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_patient_id_at", ["patient_id", "at"], unique=False)
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patients_search",
            ["family_name", "given_name", "mrn"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops=TRIGRAM_OPS,
        )


def downgrade():
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_search")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_patient_id_at")
    with op.batch_alter_table("portal_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_portal_alerts_status_severity_created_at")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_status_due_at")
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.drop_index("ix_journeys_active_stage_surgery_at")
        batch_op.drop_index("ix_journeys_discharged_at")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_to_do_due_on")
        batch_op.drop_column("journey_active")
