"""the outbox by status and the closed conversations, read in their order at a large clinic's size

Revision ID: 20261203_list_order_indexes
Revises: 20261203_sqlite_search
Create Date: 2026-12-03 21:40:00

The outbox filtered by one status (sent, skipped) is read newest first: with the index on
(status, due_at) alone, PostgreSQL walked the due-time index from the newest planned reminders
(pending ones, months ahead) and skipped 94,000 of them for a page of sent ones at 100,000
patients (170 ms). With the id in the index the whole order comes off it (2 to 4 ms). Closed
conversations are listed by their latest message, from their own index, rather than sorting
all of them after joining every patient (110 ms at 10,000 closed ones).
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "20261203_list_order_indexes"
down_revision = "20261203_sqlite_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminders_status_due_at_id", ["status", "due_at", "id"], unique=False
        )
        batch_op.drop_index("ix_reminders_status_due_at")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_status_last_message_at_id",
            ["status", "last_message_at", "id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_status_last_message_at_id")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index("ix_reminders_status_due_at", ["status", "due_at"], unique=False)
        batch_op.drop_index("ix_reminders_status_due_at_id")
