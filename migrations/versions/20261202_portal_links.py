"""portal links: a personal link is made when the message that carries it is sent

The invitation becomes the patient's access (expiry, withdrawal); each link under it is its own
row holding only the token's hash. Links issued before this change keep working: their hashes
move to portal_links, and the calendar feed keys stay the same (feed_nonce takes the old hash,
from which the feed key was derived).

Revision ID: 20261202_portal_links
Revises: 20261202_fhir_export
Create Date: 2026-12-02 10:00:00

"""

from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = "20261202_portal_links"
down_revision = "20261202_fhir_export"
branch_labels = None
depends_on = None

UTC = tracker.db.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "portal_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=12), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.CheckConstraint(
            "via IN ('sms', 'email', 'in_person')", name=op.f("ck_portal_links_via")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["portal_invitations.id"],
            name=op.f("fk_portal_links_invitation_id_portal_invitations"),
        ),
        sa.ForeignKeyConstraint(
            ["reminder_id"], ["reminders.id"], name=op.f("fk_portal_links_reminder_id_reminders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_links_token_hash")),
    )
    with op.batch_alter_table("portal_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_links_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_links_reminder_id"), ["reminder_id"], unique=False
        )
    # Earlier links were shown to staff to hand over: they keep working.
    op.execute(
        "INSERT INTO portal_links (invitation_id, token_hash, via, created_at, last_used_at) "
        "SELECT id, token_hash, 'in_person', created_at, last_used_at FROM portal_invitations"
    )
    with op.batch_alter_table("portal_invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_nonce", sa.String(length=64), nullable=True))
    op.execute("UPDATE portal_invitations SET feed_nonce = token_hash")
    with op.batch_alter_table("portal_invitations", schema=None) as batch_op:
        batch_op.alter_column("feed_nonce", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_portal_invitations_token_hash"), type_="unique")
        batch_op.drop_column("token_hash")


def downgrade():
    with op.batch_alter_table("portal_invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    # Invitations from before the upgrade get their own hash back; later ones a value no token
    # hashes to (their links lived in portal_links only).
    op.execute("UPDATE portal_invitations SET token_hash = feed_nonce")
    with op.batch_alter_table("portal_invitations", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_portal_invitations_token_hash"), ["token_hash"]
        )
        batch_op.drop_column("feed_nonce")
    with op.batch_alter_table("portal_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_links_reminder_id"))
        batch_op.drop_index(batch_op.f("ix_portal_links_invitation_id"))
    op.drop_table("portal_links")
