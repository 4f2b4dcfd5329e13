"""hand callback

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 08:38:27.246917
"""
from alembic import op
import sqlalchemy as sa
import desktop.adapters.db.tables


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hand_callback_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_column('hand_callback_at')

