"""Texts sent and received, and the consent record behind every automated text. Pure.

* Every text (out or in, any provider) is a `TextMessage`; caps are counted from them.
* Each opt-out and opt-in is a `ConsentRecord` with its evidence (the customer's words, or
  who recorded a spoken request). The latest record for a number decides, across every
  provider: a STOP sent to the Twilio line also holds when the shop moves to OpenPhone.
* After an opt-out, one confirmation text may go (carriers expect it); nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Purpose(StrEnum):
    TEXTBACK = "textback"          # the missed-call text-back
    ESCALATION = "escalation"      # an emergency sent to the on-call technician
    CONFIRMATION = "confirmation"  # "you are unsubscribed", once after an opt-out
    REPLY = "reply"                # an inbound text from a customer


class ConsentStatus(StrEnum):
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"


@dataclass(eq=False)
class TextMessage:
    direction: str  # "in" or "out"
    provider: str
    provider_message_id: str
    phone: str
    body: str
    at: datetime
    purpose: str
    automated: int = 1
    queue_item_id: int | None = None
    actor: str | None = None
    id: int | None = None


@dataclass(eq=False)
class ConsentRecord:
    phone: str
    status: str
    at: datetime
    source: str        # "text" or "person"
    evidence: str
    recorded_by: str
    provider: str | None = None
    message_id: str | None = None
    confirmation_sent_at: datetime | None = None
    id: int | None = None

    @property
    def opted_out(self) -> bool:
        return self.status == ConsentStatus.OPTED_OUT

    def describe(self) -> str:
        how = (f"by text \"{_short(self.evidence)}\"" + (f" ({self.provider})" if self.provider
                                                           else "")
               if self.source == "text" else f"recorded by {self.recorded_by}: "
               f"{_short(self.evidence)}")
        verb = "opted out" if self.opted_out else "opted back in"
        return f"{verb} on {self.at:%Y-%m-%d %H:%M} UTC {how}"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


CONFIRMATION_TEXT = ("{business}: you're unsubscribed and will get no more texts from us. "
                     "Reply START to resubscribe.")


class SendRefused(Exception):
    """A text the rules forbid; the message says which rule, in plain words."""

    def __init__(self, message: str, rule: str):
        super().__init__(message)
        self.rule = rule
