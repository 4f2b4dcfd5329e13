"""crm delivery

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:06:47.137899
"""
from alembic import op
import sqlalchemy as sa
import desktop.adapters.db.tables


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_email', ['email'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crm_record_id', sa.String(length=128), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('failing_since', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('alerted_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('done_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('locked_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('locked_until', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_index(batch_op.f('ix_outbox_state'))
        batch_op.create_index('ix_outbox_state_next', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_unique_constraint('uq_outbox_kind_entity', ['kind', 'entity_id'])



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('uq_outbox_kind_entity', type_='unique')
        batch_op.drop_index('ix_outbox_state_next')
        batch_op.create_index(batch_op.f('ix_outbox_state'), ['state'], unique=False)
        batch_op.drop_column('locked_until')
        batch_op.drop_column('locked_by')
        batch_op.drop_column('done_at')
        batch_op.drop_column('alerted_at')
        batch_op.drop_column('failing_since')
        batch_op.drop_column('error_kind')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('crm_record_id')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_email')

