"""discharge sheets: the clinician's draft and the issued versions

Revision ID: 20261123_discharge
Revises: 20261123_reminders
Create Date: 2026-11-23 22:00:00

"""
from alembic import op
import sqlalchemy as sa

import tracker.db


# revision identifiers, used by Alembic.
revision = '20261123_discharge'
down_revision = '20261123_reminders'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('discharge_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('medications', sa.JSON(), nullable=False),
    sa.Column('extra_instructions', sa.Text(), nullable=False),
    sa.Column('updated_at', tracker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("language IN ('en', 'id')", name=op.f('ck_discharge_drafts_language')),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_discharge_drafts_journey_id_journeys')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff_users.id'], name=op.f('fk_discharge_drafts_updated_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discharge_drafts')),
    sa.UniqueConstraint('journey_id', name=op.f('uq_discharge_drafts_journey_id'))
    )
    op.create_table('discharge_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('issued_at', tracker.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("language IN ('en', 'id')", name=op.f('ck_discharge_sheets_language')),
    sa.CheckConstraint('version > 0', name=op.f('ck_discharge_sheets_version')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['staff_users.id'], name=op.f('fk_discharge_sheets_issued_by_id_staff_users')),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_discharge_sheets_journey_id_journeys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discharge_sheets')),
    sa.UniqueConstraint('journey_id', 'version', name='uq_discharge_sheets_journey_id_version')
    )
    with op.batch_alter_table('discharge_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discharge_sheets_journey_id'), ['journey_id'], unique=False)


def downgrade():
    with op.batch_alter_table('discharge_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discharge_sheets_journey_id'))

    op.drop_table('discharge_sheets')
    op.drop_table('discharge_drafts')
