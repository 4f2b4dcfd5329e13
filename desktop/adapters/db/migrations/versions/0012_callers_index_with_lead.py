"""the Outcomes' covering index of callers also holds their lead (missed callers who
became a lead, for the ROI model)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 19:20:00
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BEFORE = ['first_call_at', 'first_callback_at', 'reached_at', 'disposition']


def upgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_items_first_call_at')
        batch_op.create_index('ix_queue_items_first_call_at', BEFORE + ['lead_id'])


def downgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_items_first_call_at')
        batch_op.create_index('ix_queue_items_first_call_at', BEFORE)
