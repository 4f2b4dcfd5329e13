"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 07:49:18.218772
"""
from alembic import op
import sqlalchemy as sa
import desktop.adapters.db.tables


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('change_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_log')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_change_log_prev_hash')),
    sa.UniqueConstraint('seq', name=op.f('uq_change_log_seq'))
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index('ix_change_log_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('connector_state',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('connector', sa.String(length=64), nullable=False),
    sa.Column('cursor', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error_kind', sa.String(length=32), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('retry_after', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_state')),
    sa.UniqueConstraint('connector', name=op.f('uq_connector_state_connector'))
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('address', sa.String(length=250), nullable=True),
    sa.Column('crm_provider', sa.String(length=32), nullable=False),
    sa.Column('crm_id', sa.String(length=128), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('crm_provider', 'crm_id', name='uq_contacts_crm')
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_phone', ['phone'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_state', ['state'], unique=False)

    op.create_table('queue_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('caller_name', sa.String(length=120), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=True),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('call_count', sa.Integer(), nullable=False),
    sa.Column('first_call_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_call_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_outcome', sa.String(length=16), nullable=True),
    sa.Column('last_transcript', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=80), nullable=True),
    sa.Column('claimed_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('callback_attempts', sa.Integer(), nullable=False),
    sa.Column('last_callback_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('follow_up_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('disposition', sa.String(length=32), nullable=True),
    sa.Column('resolved_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=80), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_items'))
    )
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.create_index('ix_queue_items_phone_state', ['phone', 'state'], unique=False)
        batch_op.create_index('ix_queue_items_resolved_at', ['resolved_at'], unique=False)
        batch_op.create_index('ix_queue_items_state', ['state'], unique=False)

    op.create_table('settings',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('calls',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('provider_call_id', sa.String(length=128), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('from_number', sa.String(length=32), nullable=False),
    sa.Column('to_number', sa.String(length=32), nullable=False),
    sa.Column('started_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('raw_status', sa.String(length=64), nullable=False),
    sa.Column('caller_name', sa.String(length=120), nullable=True),
    sa.Column('transcript', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=80), nullable=True),
    sa.Column('queue_item_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['queue_item_id'], ['queue_items.id'], name=op.f('fk_calls_queue_item_id_queue_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('provider', 'provider_call_id', name='uq_calls_provider_call')
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_queue_item_id', ['queue_item_id'], unique=False)
        batch_op.create_index('ix_calls_started_at', ['started_at'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('service_address', sa.String(length=250), nullable=False),
    sa.Column('service_type', sa.String(length=80), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('queue_item_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('delivery_state', sa.String(length=16), nullable=False),
    sa.Column('crm_provider', sa.String(length=32), nullable=True),
    sa.Column('crm_id', sa.String(length=128), nullable=True),
    sa.Column('delivered_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_leads_contact_id_contacts')),
    sa.ForeignKeyConstraint(['queue_item_id'], ['queue_items.id'], name=op.f('fk_leads_queue_item_id_queue_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_leads_idempotency_key'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_leads_phone', ['phone'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('scheduled_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revenue_cents', sa.BigInteger(), nullable=False),
    sa.Column('crm_provider', sa.String(length=32), nullable=False),
    sa.Column('crm_id', sa.String(length=128), nullable=True),
    sa.Column('created_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', desktop.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_jobs_contact_id_contacts')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_jobs_lead_id_leads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('crm_provider', 'crm_id', name='uq_jobs_crm')
    )


def downgrade() -> None:
    op.drop_table('jobs')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_phone')
        batch_op.drop_index('ix_leads_created_at')

    op.drop_table('leads')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_started_at')
        batch_op.drop_index('ix_calls_queue_item_id')

    op.drop_table('calls')
    op.drop_table('settings')
    with op.batch_alter_table('queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_items_state')
        batch_op.drop_index('ix_queue_items_resolved_at')
        batch_op.drop_index('ix_queue_items_phone_state')

    op.drop_table('queue_items')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_state')

    op.drop_table('outbox')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_phone')

    op.drop_table('contacts')
    op.drop_table('connector_state')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_entity')

    op.drop_table('change_log')
