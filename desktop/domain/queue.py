"""Queue items: one per caller number while open, with lanes, ownership and resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from desktop.domain.calls import Call, Direction, Outcome


class ItemState(StrEnum):
    OPEN = "open"        # nobody has it yet
    CLAIMED = "claimed"  # one owner is on it
    WAITING = "waiting"  # called back, waiting for the caller (follow-up scheduled)
    DONE = "done"


class Lane(StrEnum):
    CALL_NOW = "call_now"
    TO_DO = "todo"
    WAITING = "waiting"
    DONE = "done"

    @property
    def label(self) -> str:
        return {"call_now": "Call now", "todo": "To do", "waiting": "Waiting", "done": "Done"}[self]


LANE_ORDER = (Lane.CALL_NOW, Lane.TO_DO, Lane.WAITING, Lane.DONE)


class Urgency(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"
    UNKNOWN = "unknown"


URGENCY_RANK = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.UNKNOWN: 2, Urgency.ROUTINE: 3}


class Disposition(StrEnum):
    BOOKED = "booked"
    LEAD_CREATED = "lead_created"
    NOT_A_LEAD = "not_a_lead"
    SPAM = "spam"
    WRONG_NUMBER = "wrong_number"
    NO_ANSWER = "no_answer"
    NO_RESPONSE = "no_response"  # the follow-up plan ran out (or hit the retry limit)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class AgeLevel(StrEnum):
    OK = "ok"
    AMBER = "amber"  # at the callback target
    RED = "red"      # at three times the target


# A "Called back" click and the outbound call the line reports are one attempt when this close.
SAME_CALLBACK = timedelta(minutes=10)


class QueueRuleError(ValueError):
    """An action that the item's state does not allow; the message says why in plain words."""


@dataclass(eq=False)
class QueueItem:
    phone: str
    first_call_at: datetime
    last_call_at: datetime
    caller_name: str | None = None
    state: str = ItemState.OPEN
    owner: str | None = None
    urgency: str = Urgency.UNKNOWN
    call_count: int = 0
    last_outcome: str | None = None
    last_transcript: str | None = None
    source: str | None = None
    claimed_at: datetime | None = None
    callback_attempts: int = 0
    last_callback_at: datetime | None = None
    hand_callback_at: datetime | None = None  # a "Called back" click not yet seen on the line
    follow_up_at: datetime | None = None
    disposition: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    lead_id: int | None = None
    triage: dict | None = None         # {"confidence", "reasons", "sentiment"}
    urgency_set_by: str | None = None  # None: triage; else the person who decided
    unclaimed_alerted_at: datetime | None = None
    # For the Outcomes report: the first callback attempt (line or desk), and when a
    # callback on the line was answered (somebody talked to the caller).
    first_callback_at: datetime | None = None
    reached_at: datetime | None = None
    # Whole seconds from the first missed call to the first callback (kept beside it, so
    # a year's time-to-callback is read as numbers, not worked out from 40,000 dates).
    callback_delay_s: int | None = None
    id: int | None = None

    # -- what the sync service does ------------------------------------------------
    @classmethod
    def open_for(cls, call: Call) -> QueueItem:
        item = cls(phone=call.customer_number, first_call_at=call.started_at,
                   last_call_at=call.started_at)
        item.add_missed_call(call)
        return item

    def add_missed_call(self, call: Call) -> None:
        """Merge a missed inbound call from this caller: one item, however many calls."""
        self.call_count += 1
        if call.started_at >= self.last_call_at:
            self.last_call_at = call.started_at
            self.last_outcome = call.outcome
        self.first_call_at = min(self.first_call_at, call.started_at)
        self.last_transcript = call.transcript or self.last_transcript
        self.caller_name = self.caller_name or call.caller_name
        self.source = self.source or call.source
        if self.state == ItemState.WAITING:
            # The caller rang again while we waited for them: back to the working lanes.
            self.state = ItemState.CLAIMED if self.owner else ItemState.OPEN
            self.follow_up_at = None

    def restate_call(self, call: Call) -> None:
        """A merged call's outcome or transcript changed at the provider."""
        if call.started_at >= self.last_call_at:
            self.last_outcome = call.outcome
        self.last_transcript = call.transcript or self.last_transcript

    def add_callback_attempt(self, call: Call) -> bool:
        """An outbound call to this caller (placed from any phone on the shop's line).

        False when it is the callback a person already recorded with "Called back" (the
        same attempt, seen a second time through the phone line): it is not counted twice.
        """
        assert call.direction == Direction.OUTBOUND
        if call.outcome == Outcome.ANSWERED and (self.reached_at is None
                                                 or call.started_at < self.reached_at):
            self.reached_at = call.started_at
        if (self.hand_callback_at is not None
                and abs(call.started_at - self.hand_callback_at) <= SAME_CALLBACK):
            self.hand_callback_at = None  # matched: one click pairs with one call
            return False
        self.callback_attempts += 1
        if self.last_callback_at is None or call.started_at > self.last_callback_at:
            self.last_callback_at = call.started_at
        if self.first_callback_at is None or call.started_at < self.first_callback_at:
            self._first_callback(call.started_at)
        return True

    def _first_callback(self, at: datetime) -> None:
        self.first_callback_at = at
        delay = (at - self.first_call_at).total_seconds()
        self.callback_delay_s = round(delay) if delay >= 0 else None

    # -- what a person does ----------------------------------------------------------
    def claim(self, who: str, now: datetime) -> None:
        if self.state == ItemState.DONE:
            raise QueueRuleError("This caller is already resolved.")
        if self.owner and self.owner != who:
            raise QueueRuleError(f"{self.owner} already has this caller.")
        self.owner = who
        self.claimed_at = self.claimed_at or now
        if self.state == ItemState.OPEN:
            self.state = ItemState.CLAIMED

    def mark_called_back(self, who: str, now: datetime, follow_up_after: timedelta) -> None:
        """She called the customer and did not settle it: wait, then try again."""
        if self.state == ItemState.DONE:
            raise QueueRuleError("This caller is already resolved.")
        self.claim(who, now)
        self.callback_attempts += 1
        self.last_callback_at = self.hand_callback_at = now
        if self.first_callback_at is None:
            self._first_callback(now)
        self.state = ItemState.WAITING
        self.follow_up_at = now + follow_up_after

    def resolve(self, who: str, now: datetime, disposition: Disposition) -> None:
        if self.state == ItemState.DONE:
            raise QueueRuleError("This caller is already resolved.")
        disposition = Disposition(disposition)  # refuse a bad one before changing anything
        self.claim(who, now)
        self.state = ItemState.DONE
        self.disposition = disposition
        self.resolved_at = now
        self.resolved_by = who
        self.follow_up_at = None

    def close_no_response(self, actor: str, now: datetime) -> None:
        """The follow-up plan ran out: closed by the follow-up worker, whoever owned it."""
        if self.state == ItemState.DONE:
            raise QueueRuleError("This caller is already resolved.")
        self.state = ItemState.DONE
        self.disposition = Disposition.NO_RESPONSE
        self.resolved_at, self.resolved_by = now, actor
        self.follow_up_at = None

    def reassign(self, to: str, reason: str) -> None:
        """Hand the caller to someone else; the reason is required (and logged)."""
        if self.state == ItemState.DONE:
            raise QueueRuleError("This caller is already resolved.")
        if not to.strip():
            raise QueueRuleError("Say who takes this caller over.")
        if not (reason or "").strip():
            raise QueueRuleError("Say why this caller is reassigned.")
        if to == self.owner:
            raise QueueRuleError(f"{to} already has this caller.")
        self.owner = to.strip()
        if self.state == ItemState.OPEN:
            self.state = ItemState.CLAIMED

    def wait_until(self, moment: datetime | None) -> None:
        """A callback attempt was made: the caller waits (the lane) until the next step."""
        if self.state == ItemState.DONE or moment is None:
            return
        self.state = ItemState.WAITING
        self.follow_up_at = moment

    # -- how it shows ----------------------------------------------------------------
    def age(self, now: datetime) -> timedelta:
        """How long the caller has waited for us since their first missed call."""
        end = self.resolved_at if self.state == ItemState.DONE else now
        return max(end - self.first_call_at, timedelta(0))

    def age_level(self, now: datetime, target: timedelta) -> AgeLevel:
        return age_level(self.age(now), target)

    def lane(self, now: datetime, target: timedelta) -> Lane:
        return lane_at(self.state, self.urgency, self.first_call_at, self.follow_up_at, now,
                       target)

    def priority_key(self, now: datetime, target: timedelta) -> tuple:
        return priority_key(self.lane(now, target), self.urgency, self.call_count,
                            self.first_call_at)

    def snapshot(self) -> dict:
        """The fields a change-log entry records as before/after."""
        return {
            "state": str(self.state), "owner": self.owner, "urgency": str(self.urgency),
            "call_count": self.call_count, "disposition": _str(self.disposition),
            "follow_up_at": self.follow_up_at, "callback_attempts": self.callback_attempts,
            "lead_id": self.lead_id,
        }


def _str(value):
    return None if value is None else str(value)


# Plain functions of plain values, so a table of thousands of rows can ask every second
# without building an object per row.
LANE_RANK = {lane: rank for rank, lane in enumerate(LANE_ORDER)}
_PRESSING = frozenset((Urgency.EMERGENCY, Urgency.URGENT))


def lane_at(state: str, urgency: str, first_call_at: datetime, follow_up_at: datetime | None,
            now: datetime, target: timedelta) -> Lane:
    if state == ItemState.DONE:
        return Lane.DONE
    if state == ItemState.WAITING:
        # Waiting until the follow-up is due; then it is a callback to make now.
        return Lane.WAITING if follow_up_at and follow_up_at > now else Lane.CALL_NOW
    if urgency in _PRESSING or now - first_call_at >= target:
        return Lane.CALL_NOW
    return Lane.TO_DO


def priority_key(lane: Lane, urgency: str, call_count: int, first_call_at: datetime) -> tuple:
    """Sort key, most pressing first: lane, urgency, more calls, longest waiting."""
    return (LANE_RANK[lane], URGENCY_RANK[urgency], -call_count, first_call_at)


def age_level(age: timedelta, target: timedelta) -> AgeLevel:
    if age >= 3 * target:
        return AgeLevel.RED
    if age >= target:
        return AgeLevel.AMBER
    return AgeLevel.OK
