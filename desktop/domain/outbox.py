"""Outbox rows: work to push to the outside world, written in the same transaction as the
change that caused it, so a crash can never lose it or do it twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class OutboxState:
    PENDING = "pending"   # waiting for its next attempt
    FAILED = "failed"     # flagged: the retry limit was reached or a person must act
    DONE = "done"


DELIVER_LEAD = "deliver_lead"


@dataclass(eq=False)
class OutboxMessage:
    kind: str            # DELIVER_LEAD
    entity_id: int
    created_at: datetime
    state: str = OutboxState.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    error_kind: str | None = None
    failing_since: datetime | None = None
    alerted_at: datetime | None = None
    done_at: datetime | None = None
    locked_by: str | None = None
    locked_until: datetime | None = None
    id: int | None = None
