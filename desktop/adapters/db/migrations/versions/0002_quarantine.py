"""quarantine

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 08:30:46.946422
"""
from alembic import op
import sqlalchemy as sa
import desktop.adapters.db.tables


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('received_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine')),
    sa.UniqueConstraint('source', 'fingerprint', name='uq_quarantine_source_fingerprint')
    )


def downgrade() -> None:
    op.drop_table('quarantine')
