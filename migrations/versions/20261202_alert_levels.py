"""alert levels and on-duty contacts: urgent, high and normal alerts; who is told, escalation

Revision ID: 20261202_alert_levels
Revises: 20261202_portal_links
Create Date: 2026-12-02 10:10:00

"""

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = "20261202_alert_levels"
down_revision = "20261202_portal_links"
branch_labels = None
depends_on = None

UTC = tracker.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "on_duty_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", UTC, nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f("ck_on_duty_contacts_channel")),
        sa.CheckConstraint(
            "tier IN ('on_duty', 'escalation')", name=op.f("ck_on_duty_contacts_tier")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_on_duty_contacts_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["staff_users.id"],
            name=op.f("fk_on_duty_contacts_removed_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_on_duty_contacts")),
    )

    with op.batch_alter_table("portal_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalated_at", UTC, nullable=True))
        batch_op.drop_constraint(op.f("ck_portal_alerts_severity"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_portal_alerts_severity"), "severity IN ('urgent', 'high', 'normal')"
        )
    # Possible re-herniation and pain of 8 or more are high, no longer normal.
    op.execute(
        "UPDATE portal_alerts SET severity = 'high' "
        "WHERE kind IN ('pain_high', 'leg_pain_return') AND severity = 'normal'"
    )

    with op.batch_alter_table("portal_check_ins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("flag_both_legs", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("portal_check_ins", schema=None) as batch_op:
        batch_op.alter_column("flag_both_legs", existing_type=sa.Boolean(), server_default=None)

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patient_alert_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_reminders_patient_alert_id"), ["patient_alert_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reminders_patient_alert_id_portal_alerts"),
            "portal_alerts",
            ["patient_alert_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f("ck_reminders_audience"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_reminders_audience"), "audience IN ('patient', 'coordinator', 'on_duty')"
        )


def downgrade():
    # On-duty messages have no place in the older outbox: they go, with the links they carried.
    op.execute("DELETE FROM reminders WHERE audience = 'on_duty'")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_reminders_audience"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_reminders_audience"), "audience IN ('patient', 'coordinator')"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_reminders_patient_alert_id_portal_alerts"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_reminders_patient_alert_id"))
        batch_op.drop_column("patient_alert_id")

    with op.batch_alter_table("portal_check_ins", schema=None) as batch_op:
        batch_op.drop_column("flag_both_legs")

    op.execute("UPDATE portal_alerts SET severity = 'normal' WHERE severity = 'high'")
    with op.batch_alter_table("portal_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_portal_alerts_severity"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_portal_alerts_severity"), "severity IN ('urgent', 'normal')"
        )
        batch_op.drop_column("escalated_at")

    op.drop_table("on_duty_contacts")
