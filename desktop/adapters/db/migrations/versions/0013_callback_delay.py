"""each caller's time to first callback kept as whole seconds, in the callers' covering
index (filled from the stored first callbacks); the period's leads by source and delivery
from a covering index

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 20:05:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BEFORE = ['first_call_at', 'first_callback_at', 'reached_at', 'disposition', 'lead_id']
AFTER = ['first_call_at', 'callback_delay_s', 'reached_at', 'disposition', 'lead_id']


def upgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_delay_s', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        delay = "CAST(ROUND((julianday(first_callback_at) - julianday(first_call_at)) * 86400) AS INTEGER)"
    else:
        delay = "CAST(ROUND(EXTRACT(EPOCH FROM first_callback_at - first_call_at)) AS INTEGER)"
    op.execute(f"UPDATE queue_items SET callback_delay_s = {delay} "
               "WHERE first_callback_at IS NOT NULL AND first_callback_at >= first_call_at")
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_items_first_call_at')
        batch_op.create_index('ix_queue_items_first_call_at', AFTER)
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_created_at')
        batch_op.create_index('ix_leads_created_at', ['created_at', 'source', 'delivery_state'])


def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_created_at')
        batch_op.create_index('ix_leads_created_at', ['created_at'])
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_items_first_call_at')
        batch_op.create_index('ix_queue_items_first_call_at', BEFORE)
        batch_op.drop_column('callback_delay_s')
