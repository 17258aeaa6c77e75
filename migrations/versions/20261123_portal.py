"""patient portal: invitations, check-ins, milestones, alerts

Revision ID: 20261123_portal
Revises: 20261123_discharge
Create Date: 2026-11-23 22:00:00

"""

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = "20261123_portal"
down_revision = "20261123_discharge"
branch_labels = None
depends_on = None

UTC = tracker.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "portal_check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("back_pain", sa.Integer(), nullable=False),
        sa.Column("leg_pain", sa.Integer(), nullable=False),
        sa.Column("took_pain_medicine", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("flag_weakness", sa.Boolean(), nullable=False),
        sa.Column("flag_saddle", sa.Boolean(), nullable=False),
        sa.Column("flag_fever", sa.Boolean(), nullable=False),
        sa.Column("flag_wound", sa.Boolean(), nullable=False),
        sa.Column("entered_by", sa.String(length=10), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "(entered_by = 'staff') = (entered_by_id IS NOT NULL)",
            name=op.f("ck_portal_check_ins_entered_by_staff"),
        ),
        sa.CheckConstraint(
            "entered_by IN ('patient', 'staff')", name=op.f("ck_portal_check_ins_entered_by")
        ),
        sa.CheckConstraint(
            "back_pain BETWEEN 0 AND 10", name=op.f("ck_portal_check_ins_back_pain")
        ),
        sa.CheckConstraint("leg_pain BETWEEN 0 AND 10", name=op.f("ck_portal_check_ins_leg_pain")),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["staff_users.id"],
            name=op.f("fk_portal_check_ins_entered_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_portal_check_ins_journey_id_journeys")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_portal_check_ins_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_check_ins")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_portal_check_ins_idempotency_key")),
    )
    with op.batch_alter_table("portal_check_ins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portal_check_ins_journey_id_day", ["journey_id", "day"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_check_ins_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "portal_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("feed_key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_portal_invitations_created_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_portal_invitations_journey_id_journeys")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_portal_invitations_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["staff_users.id"],
            name=op.f("fk_portal_invitations_revoked_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_invitations")),
        sa.UniqueConstraint("feed_key_hash", name=op.f("uq_portal_invitations_feed_key_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_invitations_token_hash")),
    )
    with op.batch_alter_table("portal_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_invitations_journey_id"), ["journey_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_invitations_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "portal_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("reached_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("entered_by", sa.String(length=10), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "entered_by IN ('patient', 'staff')", name=op.f("ck_portal_milestones_entered_by")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["staff_users.id"],
            name=op.f("fk_portal_milestones_entered_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_portal_milestones_journey_id_journeys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_milestones")),
        sa.UniqueConstraint("journey_id", "key", name="uq_portal_milestones_journey_id_key"),
    )
    with op.batch_alter_table("portal_milestones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_milestones_journey_id"), ["journey_id"], unique=False
        )

    op.create_table(
        "portal_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("check_in_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("dedup_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('red_flag', 'pain_high', 'pain_rise', 'leg_pain_return', 'missed_checkins')",
            name=op.f("ck_portal_alerts_kind"),
        ),
        sa.CheckConstraint(
            "severity IN ('urgent', 'normal')", name=op.f("ck_portal_alerts_severity")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved')", name=op.f("ck_portal_alerts_status")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["staff_users.id"],
            name=op.f("fk_portal_alerts_acknowledged_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["check_in_id"],
            ["portal_check_ins.id"],
            name=op.f("fk_portal_alerts_check_in_id_portal_check_ins"),
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_portal_alerts_journey_id_journeys")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_portal_alerts_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["staff_users.id"],
            name=op.f("fk_portal_alerts_resolved_by_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_alerts")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_portal_alerts_dedup_key")),
    )
    with op.batch_alter_table("portal_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_alerts_journey_id"), ["journey_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_alerts_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            "ix_portal_alerts_status_created_at", ["status", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("portal_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_portal_alerts_status_created_at")
        batch_op.drop_index(batch_op.f("ix_portal_alerts_patient_id"))
        batch_op.drop_index(batch_op.f("ix_portal_alerts_journey_id"))

    op.drop_table("portal_alerts")
    with op.batch_alter_table("portal_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_milestones_journey_id"))

    op.drop_table("portal_milestones")
    with op.batch_alter_table("portal_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_invitations_patient_id"))
        batch_op.drop_index(batch_op.f("ix_portal_invitations_journey_id"))

    op.drop_table("portal_invitations")
    with op.batch_alter_table("portal_check_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_check_ins_patient_id"))
        batch_op.drop_index("ix_portal_check_ins_journey_id_day")

    op.drop_table("portal_check_ins")
