"""Read models: frozen plain data handed to the UI and the command line (never ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from desktop.domain.callerid import friendly_name
from desktop.domain.clock import iso
from desktop.domain.phone import display
from desktop.domain.queue import QueueItem


@dataclass(frozen=True)
class QueueRow:
    id: int
    phone: str
    caller_name: str | None
    calls: int
    call_ids: tuple[str, ...]
    first_call_at: datetime
    last_call_at: datetime
    outcome: str | None
    transcript: str | None
    urgency: str
    state: str
    owner: str | None
    source: str | None
    disposition: str | None
    callback_attempts: int
    follow_up_at: datetime | None
    resolved_at: datetime | None
    lead_id: int | None
    reached_at: datetime | None = None  # a person talked to them after the missed call

    @property
    def phone_display(self) -> str:
        return display(self.phone)

    @property
    def display_name(self) -> str | None:
        return friendly_name(self.caller_name)

    def as_item(self) -> QueueItem:
        """A detached domain item, so lane and age come from the one set of rules."""
        return QueueItem(
            phone=self.phone, first_call_at=self.first_call_at, last_call_at=self.last_call_at,
            state=self.state, urgency=self.urgency, follow_up_at=self.follow_up_at,
            resolved_at=self.resolved_at, call_count=self.calls, id=self.id)

    def to_json(self, now: datetime, target: timedelta) -> dict:
        item = self.as_item()
        return {
            "id": self.id, "phone": self.phone, "caller_name": self.display_name,
            "caller_id": self.caller_name,  # the raw caller-ID (CNAM) text, as the line gave it
            "calls": self.calls, "call_ids": list(self.call_ids),
            "first_call_at": iso(self.first_call_at), "last_call_at": iso(self.last_call_at),
            "outcome": self.outcome, "transcript": self.transcript, "urgency": self.urgency,
            "lane": str(item.lane(now, target)), "state": self.state, "owner": self.owner,
            "source": self.source, "age_s": int(item.age(now).total_seconds()),
            "callback_attempts": self.callback_attempts, "disposition": self.disposition,
            "follow_up_at": iso(self.follow_up_at), "lead_id": self.lead_id,
        }


@dataclass(frozen=True)
class CallRow:
    provider_call_id: str
    direction: str
    outcome: str
    raw_status: str
    started_at: datetime
    duration_s: int
    transcript: str | None


@dataclass(frozen=True)
class HistoryRow:
    seq: int
    at: datetime
    actor: str
    action: str
    summary: str


@dataclass(frozen=True)
class TaskRow:
    """One step of the caller's follow-up plan."""

    id: int
    kind: str      # text, call, close
    state: str     # pending, done, skipped, failed, cancelled
    due_at: datetime
    finished_at: datetime | None
    finished_by: str | None
    note: str | None


@dataclass(frozen=True)
class ItemDetail:
    row: QueueRow
    calls: tuple[CallRow, ...]
    history: tuple[HistoryRow, ...]
    known_contact: str | None  # "Maria Gonzalez (customer since Mar 2024)"
    tasks: tuple[TaskRow, ...] = ()
    do_not_text: str | None = None  # "opted out on ... by text 'STOP'"

    def current_call(self) -> TaskRow | None:
        """The callback the plan is waiting on, if any."""
        return next((t for t in self.tasks if t.kind == "call" and t.state == "pending"), None)


@dataclass(frozen=True)
class HealthRow:
    connector: str
    level: str
    last_success_at: datetime | None
    last_error: str | None
    message: str


@dataclass(frozen=True)
class ChangeRow:
    seq: int
    at: datetime
    actor: str
    entity: str
    entity_id: str
    action: str
    before: dict | None
    after: dict | None
    reason: str | None
    hash: str

    def to_json(self) -> dict:
        return {"seq": self.seq, "at": iso(self.at), "actor": self.actor, "entity": self.entity,
                "entity_id": self.entity_id, "action": self.action, "before": self.before,
                "after": self.after, "reason": self.reason, "hash": self.hash}


@dataclass(frozen=True)
class LeadView:
    id: int
    name: str
    phone: str
    email: str | None
    service_address: str
    service_type: str
    urgency: str
    source: str
    notes: str | None
    queue_item_id: int | None
    contact_id: int | None
    created_by: str
    created_at: datetime
    idempotency_key: str
    delivery_state: str
    crm_provider: str | None
    crm_id: str | None
    crm_record_id: str | None
    delivered_at: datetime | None
    last_error: str | None
    attempts: int = 0
    next_attempt_at: datetime | None = None

    @classmethod
    def of(cls, lead, outbox=None) -> LeadView:
        own = {f.name: getattr(lead, f.name) for f in fields(cls)
               if f.name not in ("attempts", "next_attempt_at")}
        return cls(**own, attempts=outbox.attempts if outbox else 0,
                   next_attempt_at=outbox.next_attempt_at if outbox else None)

    def to_json(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.pop("idempotency_key")  # ours, for the CRM; not part of the command-line output
        data.update(created_at=iso(self.created_at), delivered_at=iso(self.delivered_at),
                    next_attempt_at=iso(self.next_attempt_at))
        return data
