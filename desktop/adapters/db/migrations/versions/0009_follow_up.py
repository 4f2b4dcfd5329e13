"""follow-up tasks, texts sent and received, consent records, unclaimed alerts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 16:00:00
"""
from alembic import op
import sqlalchemy as sa
import desktop.adapters.db.tables

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UTC = desktop.adapters.db.tables.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'followup_tasks',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('queue_item_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('due_at', UTC, nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('finished_at', UTC, nullable=True),
        sa.Column('finished_by', sa.String(length=80), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['queue_item_id'], ['queue_items.id'],
                                name=op.f('fk_followup_tasks_queue_item_id_queue_items')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_tasks')))
    with op.batch_alter_table('followup_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_followup_tasks_state_due', ['state', 'due_at'])
        batch_op.create_index('ix_followup_tasks_queue_item_id', ['queue_item_id'])
        batch_op.create_index('uq_followup_tasks_one_text', ['queue_item_id'], unique=True,
                              sqlite_where=sa.text("kind = 'text'"),
                              postgresql_where=sa.text("kind = 'text'"))
    op.create_table(
        'text_messages',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('provider', sa.String(length=32), nullable=False),
        sa.Column('provider_message_id', sa.String(length=128), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('at', UTC, nullable=False),
        sa.Column('purpose', sa.String(length=24), nullable=False),
        sa.Column('automated', sa.Integer(), nullable=False),
        sa.Column('queue_item_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_text_messages')),
        sa.UniqueConstraint('provider', 'provider_message_id',
                            name='uq_text_messages_provider_id'))
    with op.batch_alter_table('text_messages', schema=None) as batch_op:
        batch_op.create_index('ix_text_messages_phone_at', ['phone', 'at'])
    op.create_table(
        'text_consent',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('at', UTC, nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('provider', sa.String(length=32), nullable=True),
        sa.Column('message_id', sa.String(length=128), nullable=True),
        sa.Column('recorded_by', sa.String(length=120), nullable=False),
        sa.Column('confirmation_sent_at', UTC, nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_text_consent')))
    with op.batch_alter_table('text_consent', schema=None) as batch_op:
        batch_op.create_index('ix_text_consent_phone', ['phone', 'id'])
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unclaimed_alerted_at', UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_column('unclaimed_alerted_at')
    op.drop_table('text_consent')
    op.drop_table('text_messages')
    with op.batch_alter_table('followup_tasks', schema=None) as batch_op:
        batch_op.drop_index('uq_followup_tasks_one_text', sqlite_where=sa.text("kind = 'text'"),
                            postgresql_where=sa.text("kind = 'text'"))
        batch_op.drop_index('ix_followup_tasks_queue_item_id')
        batch_op.drop_index('ix_followup_tasks_state_due')
    op.drop_table('followup_tasks')
