"""the Outcomes report: callers' first callback and when they were reached (filled from
the calls already stored), callers by first call, jobs by lead

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 16:40:00
"""
from alembic import op
import sqlalchemy as sa
import desktop.adapters.db.tables

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

UTC = desktop.adapters.db.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_callback_at', UTC, nullable=True))
        batch_op.add_column(sa.Column('reached_at', UTC, nullable=True))
        batch_op.create_index('ix_queue_items_first_call_at', [
            'first_call_at', 'first_callback_at', 'reached_at', 'disposition'])
    # The callbacks the line already reported (a desk's "Called back" click before this
    # version left no time of its own but the last one: the line's calls are the record).
    op.execute("""
        UPDATE queue_items SET
          first_callback_at = (SELECT min(c.started_at) FROM calls c
                               WHERE c.queue_item_id = queue_items.id
                                 AND c.direction = 'outbound'),
          reached_at = (SELECT min(c.started_at) FROM calls c
                        WHERE c.queue_item_id = queue_items.id
                          AND c.direction = 'outbound' AND c.outcome = 'answered')""")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_lead_id', ['lead_id'])


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_lead_id')
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_items_first_call_at')
        batch_op.drop_column('reached_at')
        batch_op.drop_column('first_callback_at')
