"""Outbox rows: work to push to the outside world, written in the same transaction as the
change that caused it, so a crash can never lose it or do it twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(eq=False)
class OutboxMessage:
    kind: str            # "deliver_lead"
    entity_id: int
    created_at: datetime
    state: str = "pending"   # pending, done, failed
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    id: int | None = None
