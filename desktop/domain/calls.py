"""Calls: the one outcome set every provider maps onto, and the stored call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    ANSWERED = "answered"
    MISSED = "missed"
    VOICEMAIL = "voicemail"
    ABANDONED = "abandoned"
    BUSY = "busy"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    Outcome.ANSWERED: "Answered",
    Outcome.MISSED: "Missed",
    Outcome.VOICEMAIL: "Voicemail",
    Outcome.ABANDONED: "Hung up",
    Outcome.BUSY: "Busy",
    Outcome.FAILED: "Failed",
}

# A customer call is missed when nobody at the shop talked to the caller.
MISSED_OUTCOMES = frozenset(Outcome) - {Outcome.ANSWERED}


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


@dataclass(frozen=True)
class ProviderCall:
    """One customer call as a PhoneProvider reports it, its legs already merged.

    Numbers are E.164. `raw_status` keeps the provider's own word for what happened.
    """

    provider_call_id: str
    direction: Direction
    from_number: str
    to_number: str
    started_at: datetime
    outcome: Outcome
    raw_status: str
    ended_at: datetime | None = None
    duration_s: int = 0
    caller_name: str | None = None
    transcript: str | None = None
    source: str | None = None

    @property
    def customer_number(self) -> str:
        """The outside party: the caller for inbound calls, the callee for outbound."""
        return self.from_number if self.direction == Direction.INBOUND else self.to_number

    @property
    def needs_callback(self) -> bool:
        return self.direction == Direction.INBOUND and self.outcome in MISSED_OUTCOMES


# Column sizes in the database: a longer value is hostile or broken, not a call.
_LIMITS = {"provider_call_id": 128, "from_number": 32, "to_number": 32,
           "caller_name": 120, "source": 80}
RAW_STATUS_LIMIT = 64  # the provider's own words are kept, cut to fit (a ring group's legs add up)


def check_provider_call(pc: ProviderCall) -> None:
    """Raise ValueError naming what makes a provider's record unusable (before it is stored)."""
    if not isinstance(pc.provider_call_id, str) or not pc.provider_call_id.strip():
        raise ValueError("the call has no provider id")
    Direction(pc.direction)
    Outcome(pc.outcome)
    for name in ("from_number", "to_number", "raw_status"):
        if not isinstance(getattr(pc, name), str):
            raise ValueError(f"{name} is missing")
    for name, limit in _LIMITS.items():
        value = getattr(pc, name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise ValueError(f"{name} is not text of at most {limit} characters")
    if not isinstance(pc.duration_s, int) or isinstance(pc.duration_s, bool) or pc.duration_s < 0:
        raise ValueError(f"duration_s is not a number of seconds: {pc.duration_s!r}")
    if pc.transcript is not None and not isinstance(pc.transcript, str):
        raise ValueError("transcript is not text")
    for name in ("started_at", "ended_at"):
        moment = getattr(pc, name)
        if moment is None and name == "ended_at":
            continue
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise ValueError(f"{name} is not a time with a time zone: {moment!r}")


@dataclass(eq=False)
class Call:
    """A stored call, unique by (provider, provider_call_id)."""

    provider: str
    provider_call_id: str
    direction: str
    from_number: str
    to_number: str
    started_at: datetime
    outcome: str
    raw_status: str
    ended_at: datetime | None = None
    duration_s: int = 0
    caller_name: str | None = None
    transcript: str | None = None
    source: str | None = None
    queue_item_id: int | None = None
    id: int | None = None

    _SYNCED = (
        "direction", "from_number", "to_number", "started_at", "outcome", "raw_status",
        "ended_at", "duration_s", "caller_name", "transcript", "source",
    )

    @classmethod
    def from_provider(cls, provider: str, pc: ProviderCall) -> Call:
        return cls(provider=provider, provider_call_id=pc.provider_call_id,
                   **{name: _stored(name, getattr(pc, name)) for name in cls._SYNCED})

    def update_from(self, pc: ProviderCall) -> bool:
        """Take the provider's newer view of this call; True when anything changed."""
        changed = False
        for name in self._SYNCED:
            new = _stored(name, getattr(pc, name))
            if new is None and name in ("caller_name", "transcript", "source"):
                continue  # a later listing without the optional field keeps what we had
            if getattr(self, name) != new:
                setattr(self, name, new)
                changed = True
        return changed

    @property
    def customer_number(self) -> str:
        return self.from_number if self.direction == Direction.INBOUND else self.to_number


def _stored(name: str, value):
    if isinstance(value, StrEnum):
        return str(value)
    if name == "raw_status":
        return value[:RAW_STATUS_LIMIT]
    return value
