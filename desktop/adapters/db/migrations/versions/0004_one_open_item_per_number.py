"""one open item per number

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 08:53:15.350067
"""
from alembic import op
import sqlalchemy as sa
import desktop.adapters.db.tables


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.create_index('uq_queue_items_open_phone', ['phone'], unique=True, sqlite_where=sa.text("state != 'done'"), postgresql_where=sa.text("state != 'done'"))



def downgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('uq_queue_items_open_phone', sqlite_where=sa.text("state != 'done'"), postgresql_where=sa.text("state != 'done'"))

