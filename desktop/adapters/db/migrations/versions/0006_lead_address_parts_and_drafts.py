"""lead address parts and drafts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 11:24:15.269367
"""
from alembic import op
import sqlalchemy as sa
import desktop.adapters.db.tables


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lead_drafts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('draft_key', sa.String(length=140), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('queue_item_id', sa.Integer(), nullable=True),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('updated_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_drafts')),
    sa.UniqueConstraint('draft_key', name=op.f('uq_lead_drafts_draft_key'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_updated_at', ['updated_at'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_street', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('service_unit', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('service_city', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('service_state', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('service_zip', sa.String(length=10), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('service_zip')
        batch_op.drop_column('service_state')
        batch_op.drop_column('service_city')
        batch_op.drop_column('service_unit')
        batch_op.drop_column('service_street')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_updated_at')

    op.drop_table('lead_drafts')
