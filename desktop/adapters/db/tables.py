"""Table definitions. The domain dataclasses are mapped onto these in orm.py, so the domain
never imports SQLAlchemy (the cosmicpython "imperative mapping" pattern)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Float as sa_Float
from sqlalchemy import (JSON, BigInteger, Column, DateTime, ForeignKey, Index, Integer,
                        MetaData, String, Table, Text, UniqueConstraint, text)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=True)


calls = Table(
    "calls", metadata, _id(),
    Column("provider", String(32), nullable=False),
    Column("provider_call_id", String(128), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("from_number", String(32), nullable=False),
    Column("to_number", String(32), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Column("duration_s", Integer, nullable=False, default=0),
    Column("outcome", String(16), nullable=False),
    Column("raw_status", String(64), nullable=False),
    Column("caller_name", String(120)),
    Column("transcript", Text),
    Column("source", String(80)),
    Column("queue_item_id", Integer, ForeignKey("queue_items.id")),
    UniqueConstraint("provider", "provider_call_id", name="uq_calls_provider_call"),
    Index("ix_calls_started_at", "started_at"),
    Index("ix_calls_queue_item_id", "queue_item_id"),
)

# Inbound calls counted per UTC hour, source and outcome: the Outcomes report reads a year
# from these (about 9,000 hours) instead of scanning the year's calls. Kept by the sync in
# the transaction that stores or restates each call. `source` is '' for none.
HOUR_OUTCOMES = ("answered", "missed", "voicemail", "abandoned", "busy", "failed")
call_hours = Table(
    "call_hours", metadata,
    Column("hour", String(13), primary_key=True),     # 'YYYY-MM-DD HH', UTC
    Column("source", String(80), primary_key=True),
    *[Column(outcome, Integer, nullable=False, default=0) for outcome in HOUR_OUTCOMES],
    sqlite_with_rowid=False,
)

queue_items = Table(
    "queue_items", metadata, _id(),
    Column("phone", String(32), nullable=False),
    Column("caller_name", String(120)),
    Column("state", String(16), nullable=False),
    Column("owner", String(80)),
    Column("urgency", String(16), nullable=False),
    Column("call_count", Integer, nullable=False),
    Column("first_call_at", UTCDateTime, nullable=False),
    Column("last_call_at", UTCDateTime, nullable=False),
    Column("last_outcome", String(16)),
    Column("last_transcript", Text),
    Column("source", String(80)),
    Column("claimed_at", UTCDateTime),
    Column("callback_attempts", Integer, nullable=False, default=0),
    Column("last_callback_at", UTCDateTime),
    Column("hand_callback_at", UTCDateTime),
    Column("follow_up_at", UTCDateTime),
    Column("disposition", String(32)),
    Column("resolved_at", UTCDateTime),
    Column("resolved_by", String(80)),
    Column("lead_id", Integer),
    # Triage's answer ({"confidence", "reasons", "sentiment"}) and who set the urgency:
    # NULL = triage; a person's confirm or downgrade is never overruled by triage.
    Column("triage", JSON),
    Column("urgency_set_by", String(80)),
    # When "nobody has claimed this caller" was raised (once per item).
    Column("unclaimed_alerted_at", UTCDateTime),
    Column("first_callback_at", UTCDateTime),
    Column("callback_delay_s", Integer),
    Column("reached_at", UTCDateTime),
    Index("ix_queue_items_phone_state", "phone", "state"),
    # One open item per caller number, whatever two desks do at the same moment.
    Index("uq_queue_items_open_phone", "phone", unique=True,
          sqlite_where=text("state != 'done'"), postgresql_where=text("state != 'done'")),
    Index("ix_queue_items_state", "state"),
    Index("ix_queue_items_resolved_at", "resolved_at"),
    # The Outcomes' callers, read from the index alone.
    Index("ix_queue_items_first_call_at", "first_call_at", "callback_delay_s", "reached_at",
          "disposition", "lead_id"),
)

contacts = Table(
    "contacts", metadata, _id(),
    Column("name", String(120), nullable=False),
    Column("phone", String(32)),
    Column("email", String(254)),
    Column("address", String(250)),
    Column("crm_provider", String(32), nullable=False),
    Column("crm_id", String(128)),
    Column("external_id", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_contacts_phone", "phone"),
    Index("ix_contacts_email", "email"),
    Index("ix_contacts_updated_at", "updated_at"),
    UniqueConstraint("crm_provider", "crm_id", name="uq_contacts_crm"),
)

emergency_alerts = Table(
    "emergency_alerts", metadata, _id(),
    Column("queue_item_id", Integer, ForeignKey("queue_items.id"), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("raised_at", UTCDateTime, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("confidence", sa_Float, nullable=False),
    Column("notified_at", UTCDateTime),
    Column("notify_count", Integer, nullable=False, default=0),
    Column("acknowledged_by", String(80)),
    Column("acknowledged_at", UTCDateTime),
    Column("decision", String(16)),
    Column("decided_by", String(80)),
    Column("decided_at", UTCDateTime),
    Column("downgraded_to", String(16)),
    Column("escalated_at", UTCDateTime),
    Column("escalation", String(16)),
    Column("escalated_to", String(120)),
    Column("escalation_note", Text),
    Column("closed_at", UTCDateTime),
    Index("ix_emergency_alerts_queue_item_id", "queue_item_id"),
    # At most one open alert per queue item, whatever two desks do.
    Index("uq_emergency_alerts_open_item", "queue_item_id", unique=True,
          sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
)

# Follow-up plans: one row per step made so far (see domain/followup.py).
followup_tasks = Table(
    "followup_tasks", metadata, _id(),
    Column("queue_item_id", Integer, ForeignKey("queue_items.id"), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("step", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("finished_by", String(80)),
    Column("note", Text),
    Index("ix_followup_tasks_state_due", "state", "due_at"),
    Index("ix_followup_tasks_queue_item_id", "queue_item_id"),
    # One text-back per item, whatever two desks or workers do at once.
    Index("uq_followup_tasks_one_text", "queue_item_id", unique=True,
          sqlite_where=text("kind = 'text'"), postgresql_where=text("kind = 'text'")),
)

# Every text sent or received, by any provider: the record behind caps and opt-outs.
text_messages = Table(
    "text_messages", metadata, _id(),
    Column("direction", String(8), nullable=False),  # "in" or "out"
    Column("provider", String(32), nullable=False),
    Column("provider_message_id", String(128), nullable=False),
    Column("phone", String(32), nullable=False),     # the customer's (or technician's) number
    Column("body", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("purpose", String(24), nullable=False),   # textback, escalation, confirmation, reply
    Column("automated", Integer, nullable=False, default=1),
    Column("queue_item_id", Integer),
    Column("actor", String(120)),
    UniqueConstraint("provider", "provider_message_id", name="uq_text_messages_provider_id"),
    Index("ix_text_messages_phone_at", "phone", "at"),
)

# Consent records: each opt-out and opt-in, with its evidence; the latest one per number
# decides. Kept per number, not per provider: an opt-out holds on every line.
text_consent = Table(
    "text_consent", metadata, _id(),
    Column("phone", String(32), nullable=False),
    Column("status", String(16), nullable=False),    # opted_out, opted_in
    Column("at", UTCDateTime, nullable=False),
    Column("source", String(16), nullable=False),    # text, person
    Column("evidence", Text, nullable=False),        # the words, or who recorded it and why
    Column("provider", String(32)),
    Column("message_id", String(128)),
    Column("recorded_by", String(120), nullable=False),
    Column("confirmation_sent_at", UTCDateTime),
    Index("ix_text_consent_phone", "phone", "id"),
)

# A customer's other numbers (mobile, home, work...); `contacts.phone` is the main one.
# Indexed by number, so "is this caller a customer?" finds any of them.
contact_phones = Table(
    "contact_phones", metadata,
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("phone", String(32), primary_key=True),
    Index("ix_contact_phones_phone", "phone"),
)

leads = Table(
    "leads", metadata, _id(),
    Column("name", String(120), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("email", String(254)),
    Column("service_address", String(250), nullable=False),
    # The address as parsed (usaddress): for duplicate checks, CRM fields and reports.
    Column("service_street", String(200)),
    Column("service_unit", String(40)),
    Column("service_city", String(80)),
    Column("service_state", String(2)),
    Column("service_zip", String(10)),
    Column("service_type", String(80), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("source", String(80), nullable=False),
    Column("notes", Text),
    Column("queue_item_id", Integer, ForeignKey("queue_items.id")),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("created_by", String(80), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("delivery_state", String(16), nullable=False),
    Column("crm_provider", String(32)),
    Column("crm_id", String(128)),        # the CRM's id of the contact
    Column("crm_record_id", String(128)),  # the CRM's id of the note / request / lead
    Column("delivered_at", UTCDateTime),
    Column("last_error", Text),
    Index("ix_leads_phone", "phone"),
    # The Outcomes' leads of a period by source and delivery, from the index alone.
    Index("ix_leads_created_at", "created_at", "source", "delivery_state"),
)

jobs = Table(
    "jobs", metadata, _id(),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("lead_id", Integer, ForeignKey("leads.id")),
    Column("title", String(200), nullable=False),
    Column("status", String(32), nullable=False),
    Column("scheduled_at", UTCDateTime),
    Column("revenue_cents", BigInteger, nullable=False, default=0),
    Column("crm_provider", String(32), nullable=False),
    Column("crm_id", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("crm_provider", "crm_id", name="uq_jobs_crm"),
    Index("ix_jobs_lead_id", "lead_id"),  # booked-job attribution
)

settings = Table(
    "settings", metadata,
    Column("key", String(120), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

change_log = Table(
    "change_log", metadata, _id(),
    Column("seq", Integer, nullable=False, unique=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
    Column("reason", Text),
    # Unique: two writers racing for the same predecessor cannot both land (no fork).
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
    Index("ix_change_log_entity", "entity", "entity_id"),
)

outbox = Table(
    "outbox", metadata, _id(),
    Column("kind", String(32), nullable=False),
    Column("entity_id", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime),
    Column("last_error", Text),
    Column("error_kind", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("failing_since", UTCDateTime),
    Column("alerted_at", UTCDateTime),
    Column("done_at", UTCDateTime),
    # A lease: the desk process working on the row, and until when. A crashed process's
    # lease is taken over once it expires, or at once when its process is known dead.
    Column("locked_by", String(120)),
    Column("locked_until", UTCDateTime),
    UniqueConstraint("kind", "entity_id", name="uq_outbox_kind_entity"),
    Index("ix_outbox_state_next", "state", "next_attempt_at"),
)

# The lead form's autosave: what is typed, per desk user and queue item, until it is saved
# or cancelled; a crash brings it back.
lead_drafts = Table(
    "lead_drafts", metadata, _id(),
    Column("draft_key", String(140), nullable=False, unique=True),  # "<user>|<item or new>"
    Column("owner", String(80), nullable=False),
    Column("queue_item_id", Integer),
    Column("fields", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

connector_state = Table(
    "connector_state", metadata, _id(),
    Column("connector", String(64), nullable=False, unique=True),
    Column("cursor", UTCDateTime),
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("error_kind", String(32)),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("retry_after", UTCDateTime),
)

quarantine = Table(
    "quarantine", metadata, _id(),
    Column("source", String(64), nullable=False),
    Column("external_id", String(128)),
    Column("reason", String(500), nullable=False),
    Column("payload", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("source", "fingerprint", name="uq_quarantine_source_fingerprint"),
)
