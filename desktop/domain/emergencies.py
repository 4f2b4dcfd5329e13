"""An emergency alert's life: raised by triage, repeated until a person acknowledges it,
confirmed or downgraded by a person, escalated to the on-call technician when confirmed or
when nobody acknowledged it within the escalation window. Pure rules, no I/O.

    raised ──acknowledge──> acknowledged ──confirm──> confirmed ──> escalated
      │  └──confirm──────────────────────────────────────┘             ▲
      │  └──downgrade (closed; urgency becomes urgent/routine)         │
      └── no acknowledgement within the window ──────────────────────┘
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from desktop.domain.queue import Urgency


class Decision(StrEnum):
    CONFIRMED = "confirmed"
    DOWNGRADED = "downgraded"


class Escalation(StrEnum):
    SENDING = "sending"            # claimed by a desk, the provider's answer not recorded yet
    TEXTED = "texted"              # the on-call person got the text
    NOT_ALLOWED = "not_allowed"    # phone:send_sms not granted: the banner says whom to call
    NOBODY = "nobody_on_call"      # no one on the rota right now
    FAILED = "failed"              # the provider refused or was down: call them


class AlertRuleError(ValueError):
    """An action that does not fit the alert's state; the message says why."""


@dataclass(eq=False)
class EmergencyAlert:
    queue_item_id: int
    phone: str
    raised_at: datetime
    reasons: list[str] = field(default_factory=list)
    confidence: float = 0.0
    notified_at: datetime | None = None
    notify_count: int = 0
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    decision: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    downgraded_to: str | None = None
    escalated_at: datetime | None = None
    escalation: str | None = None      # an Escalation
    escalated_to: str | None = None    # "Sam (312) 555-0100"
    escalation_note: str | None = None  # the provider's words, or whom to call
    closed_at: datetime | None = None
    id: int | None = None

    # -- what it needs ---------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def needs_notification(self, now: datetime, every: timedelta) -> bool:
        """Raised and nobody has acknowledged it: notify now, and again every `every`."""
        if not self.is_open or self.acknowledged_at is not None:
            return False
        return self.notified_at is None or now - self.notified_at >= every

    def needs_escalation(self, now: datetime, window: timedelta) -> bool:
        """Confirmed by a person, or left unacknowledged for the whole window; once."""
        if not self.is_open or self.escalated_at is not None:
            return False
        if self.decision == Decision.CONFIRMED:
            return True
        return self.acknowledged_at is None and now - self.raised_at >= window

    def send_unanswered(self, now: datetime, timeout: timedelta) -> bool:
        """Claimed for texting longer than `timeout` ago with no outcome recorded: the
        sending desk stopped mid-send, and nobody knows whether the text went."""
        return (self.is_open and self.escalation == Escalation.SENDING
                and now - self.escalated_at > timeout)

    # -- what people do ----------------------------------------------------------------------
    def notified(self, now: datetime) -> None:
        self.notified_at, self.notify_count = now, self.notify_count + 1

    def acknowledge(self, who: str, now: datetime) -> None:
        if not self.is_open:
            raise AlertRuleError("This alert is already closed.")
        if self.acknowledged_at is None:
            self.acknowledged_by, self.acknowledged_at = who, now

    def confirm(self, who: str, now: datetime) -> None:
        if not self.is_open:
            raise AlertRuleError("This alert was downgraded; it cannot be confirmed now.")
        if self.decision == Decision.CONFIRMED:
            return
        self.acknowledge(who, now)
        self.decision, self.decided_by, self.decided_at = Decision.CONFIRMED, who, now

    def downgrade(self, who: str, now: datetime, to: Urgency | str) -> None:
        to = Urgency(to)
        if to not in (Urgency.URGENT, Urgency.ROUTINE):
            raise AlertRuleError("An emergency is downgraded to urgent or routine.")
        if not self.is_open:
            raise AlertRuleError("This alert is already closed.")
        if self.decision == Decision.CONFIRMED:
            raise AlertRuleError(f"{self.decided_by} confirmed this emergency (the on-call "
                                 "person may be on the way): talk to them before standing "
                                 "it down.")
        self.acknowledge(who, now)
        self.decision, self.decided_by, self.decided_at = Decision.DOWNGRADED, who, now
        self.downgraded_to, self.closed_at = str(to), now

    def escalated(self, now: datetime, how: Escalation, to: str | None,
                  note: str | None) -> None:
        self.escalated_at, self.escalation = now, str(how)
        self.escalated_to, self.escalation_note = to, note

    def close(self, now: datetime) -> None:
        """The caller's item was resolved: nothing more to alert about."""
        self.closed_at = self.closed_at or now

    def snapshot(self) -> dict:
        return {"queue_item_id": self.queue_item_id, "phone": self.phone,
                "reasons": list(self.reasons), "confidence": self.confidence,
                "acknowledged_by": self.acknowledged_by, "decision": self.decision,
                "decided_by": self.decided_by, "downgraded_to": self.downgraded_to,
                "escalation": self.escalation, "escalated_to": self.escalated_to,
                "closed": self.closed_at is not None}
