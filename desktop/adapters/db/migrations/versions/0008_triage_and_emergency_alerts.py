"""triage on queue items, emergency alerts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 13:40:00
"""
from alembic import op
import sqlalchemy as sa
import desktop.adapters.db.tables


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('emergency_alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('queue_item_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('raised_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('notified_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notify_count', sa.Integer(), nullable=False),
    sa.Column('acknowledged_by', sa.String(length=80), nullable=True),
    sa.Column('acknowledged_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('decided_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('downgraded_to', sa.String(length=16), nullable=True),
    sa.Column('escalated_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalation', sa.String(length=16), nullable=True),
    sa.Column('escalated_to', sa.String(length=120), nullable=True),
    sa.Column('escalation_note', sa.Text(), nullable=True),
    sa.Column('closed_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['queue_item_id'], ['queue_items.id'],
                            name=op.f('fk_emergency_alerts_queue_item_id_queue_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_alerts'))
    )
    with op.batch_alter_table('emergency_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_emergency_alerts_queue_item_id', ['queue_item_id'],
                              unique=False)
        batch_op.create_index('uq_emergency_alerts_open_item', ['queue_item_id'], unique=True,
                              sqlite_where=sa.text('closed_at IS NULL'),
                              postgresql_where=sa.text('closed_at IS NULL'))
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('triage', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('urgency_set_by', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_column('urgency_set_by')
        batch_op.drop_column('triage')
    with op.batch_alter_table('emergency_alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_emergency_alerts_open_item',
                            sqlite_where=sa.text('closed_at IS NULL'),
                            postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index('ix_emergency_alerts_queue_item_id')
    op.drop_table('emergency_alerts')
