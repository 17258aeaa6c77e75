"""open tasks by kind and due day, for the dashboard's overdue questionnaires at a large clinic's size

Revision ID: 20261203_open_tasks_index
Revises: 20261203_report_snapshots
Create Date: 2026-12-03 07:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "20261203_open_tasks_index"
down_revision = "20261203_report_snapshots"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_open_due_on",
            ["key", "due_on"],
            unique=False,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )


def downgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_open_due_on")
