"""a customer's other phone numbers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 13:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact_phones',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_contact_phones_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'phone', name=op.f('pk_contact_phones'))
    )
    with op.batch_alter_table('contact_phones', schema=None) as batch_op:
        batch_op.create_index('ix_contact_phones_phone', ['phone'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contact_phones', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_phones_phone')
    op.drop_table('contact_phones')
