"""Follow-up plans: the steps every missed caller gets, as tasks with due times. Pure rules.

A plan is a list of steps the owner can change (`followup.plan`); the default is

    text-back at once -> callback now -> callback 2 h later -> callback next business
    morning -> close as "no response" 2 h after the last try

* Each step becomes a task on the queue item with a due time. The text and the first call
  are made when the item opens; each later call (and the close) is made when the call
  before it is finished, counting from that moment, so "2 h later" means two hours after
  the receptionist actually tried.
* A callback is due only while the shop is open (business hours, minus holidays): a step
  that falls outside them moves to the next opening.
* A task ends done, skipped or failed (recorded with who and why, for the Outcomes tab), or
  cancelled when the caller was settled some other way before it came due.
* The retry limit (callback attempts per item) ends the plan early: the remaining calls
  are skipped and the item closes as "no response".
* The text-back message comes only from the owner's template, with these fields only:
  {business}, {first_name}, {callback_window}.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from desktop.domain.oncall import OpeningHours, WEEKDAYS


class TaskKind(StrEnum):
    TEXT = "text"    # the missed-call text-back (sent by the follow-up worker)
    CALL = "call"    # a callback attempt (made by a person)
    CLOSE = "close"  # close the item as "no response" (done by the follow-up worker)

    @property
    def label(self) -> str:
        return {"text": "Text-back", "call": "Callback", "close": "Close"}[self]


class TaskState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the caller was settled before the task came due
    SENDING = "sending"      # a text-back claimed by one worker, on its way to the provider


FINISHED = frozenset((TaskState.DONE, TaskState.SKIPPED, TaskState.FAILED,
                      TaskState.CANCELLED))


class FollowUpError(ValueError):
    """A plan, template or task action that cannot be; the message says why."""


# -- the calendar --------------------------------------------------------------------------
@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours and holidays in the shop's zone."""

    hours: OpeningHours
    zone: ZoneInfo
    holidays: frozenset[date] = frozenset()

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.date() not in self.holidays and self.hours.is_open(moment, self.zone)

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself when the shop is open then, else when it next opens."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.zone)
        for offset in range(0, 370):
            day = local.date() + timedelta(days=offset)
            span = self.span(day)
            if span is None:
                continue
            opens = datetime.combine(day, span[0], tzinfo=self.zone)
            if opens > moment or (offset == 0 and local.time() < span[0]):
                return opens.astimezone(moment.tzinfo)
        raise FollowUpError("the shop is never open: set business.hours")

    def next_morning(self, moment: datetime) -> datetime:
        """The opening of the first business day after `moment`'s local date."""
        local = moment.astimezone(self.zone)
        for offset in range(1, 370):
            day = local.date() + timedelta(days=offset)
            span = self.span(day)
            if span is not None:
                return datetime.combine(day, span[0], tzinfo=self.zone).astimezone(moment.tzinfo)
        raise FollowUpError("the shop is never open: set business.hours")

    def span(self, day: date) -> tuple[time, time] | None:
        if day in self.holidays:
            return None
        return self.hours.spans.get(WEEKDAYS[day.weekday()])


def parse_holidays(values: Iterable[str]) -> frozenset[date]:
    days = set()
    for value in values:
        try:
            days.add(date.fromisoformat(str(value).strip()))
        except ValueError:
            raise FollowUpError(f"{value!r} is not a date like 2026-12-25") from None
    return frozenset(days)


# -- the plan ------------------------------------------------------------------------------
_DELAY = re.compile(r"^\s*(\d+)\s*(m|min|h|d)\s*$")
NEXT_MORNING = "next_morning"


@dataclass(frozen=True)
class Step:
    kind: TaskKind
    at: str  # "now", "90m", "2h", "1d" or "next_morning"

    def due(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """When this step is due, counting from `start` (the plan's start or the last try).
        Calls wait for the shop to be open; a text's own timing rules are the sender's."""
        if self.at == "now":
            moment = start
        elif self.at == NEXT_MORNING:
            moment = calendar.next_morning(start)
        else:
            amount, unit = _DELAY.match(self.at).groups()
            moment = start + {"m": timedelta(minutes=1), "min": timedelta(minutes=1),
                              "h": timedelta(hours=1), "d": timedelta(days=1)}[unit] * int(amount)
        return calendar.next_opening(moment) if self.kind == TaskKind.CALL else moment

    def describe(self) -> str:
        when = {"now": "at once", NEXT_MORNING: "next business morning"}.get(
            self.at, f"{self.at} later")
        return f"{self.kind.label} {when}"


DEFAULT_PLAN = [{"do": "text", "at": "now"}, {"do": "call", "at": "now"},
                {"do": "call", "at": "2h"}, {"do": "call", "at": NEXT_MORNING},
                {"do": "close", "at": "2h"}]


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]

    @classmethod
    def parse(cls, raw: list) -> Plan:
        """[{"do": "text"|"call"|"close", "at": "now"|"2h"|"30m"|"1d"|"next_morning"}, ...];
        raises FollowUpError naming the step and what is wrong."""
        if not isinstance(raw, list) or not raw:
            raise FollowUpError("a plan is a list of steps like {\"do\": \"call\", \"at\": \"2h\"}")
        steps = []
        for n, entry in enumerate(raw, start=1):
            if not isinstance(entry, Mapping) or set(entry) - {"do", "at"}:
                raise FollowUpError(f"step {n} must be an object with \"do\" and \"at\"")
            try:
                kind = TaskKind(str(entry.get("do", "")).strip().lower())
            except ValueError:
                raise FollowUpError(f"step {n}: \"do\" must be text, call or close, not "
                                    f"{entry.get('do')!r}") from None
            at = str(entry.get("at", "now")).strip().lower()
            if at not in ("now", NEXT_MORNING) and not _DELAY.match(at):
                raise FollowUpError(f"step {n}: \"at\" must be now, next_morning or a delay "
                                    f"like 30m, 2h or 1d, not {entry.get('at')!r}")
            steps.append(Step(kind, at))
        kinds = [s.kind for s in steps]
        if kinds.count(TaskKind.TEXT) > 1:
            raise FollowUpError("a plan has at most one text-back: a caller is texted once")
        if TaskKind.TEXT in kinds and kinds.index(TaskKind.TEXT) != 0:
            raise FollowUpError("the text-back must be the plan's first step")
        if TaskKind.CLOSE in kinds and kinds.index(TaskKind.CLOSE) != len(kinds) - 1:
            raise FollowUpError("closing must be the plan's last step")
        return cls(tuple(steps))

    def opening_steps(self) -> list[int]:
        """The steps made when an item opens: the text-back and the first call (or close)."""
        chosen = []
        for index, step in enumerate(self.steps):
            chosen.append(index)
            if step.kind != TaskKind.TEXT:
                break
        return chosen

    def after(self, index: int) -> int | None:
        """The step that follows step `index`, or None at the end of the plan."""
        return index + 1 if index + 1 < len(self.steps) else None

    def close_step(self) -> int | None:
        last = len(self.steps) - 1
        return last if self.steps[last].kind == TaskKind.CLOSE else None

    def describe(self) -> str:
        return "; ".join(step.describe() for step in self.steps)


# -- tasks ---------------------------------------------------------------------------------
@dataclass(eq=False)
class FollowUpTask:
    queue_item_id: int
    phone: str
    step: int
    kind: str
    due_at: datetime
    created_at: datetime
    state: str = TaskState.PENDING
    finished_at: datetime | None = None
    finished_by: str | None = None
    note: str | None = None
    id: int | None = None

    @property
    def pending(self) -> bool:
        return self.state == TaskState.PENDING

    @property
    def open(self) -> bool:
        return self.state in (TaskState.PENDING, TaskState.SENDING)

    def is_due(self, now: datetime) -> bool:
        return self.pending and self.due_at <= now

    def finish(self, state: TaskState, who: str, now: datetime, note: str | None = None) -> None:
        state = TaskState(state)
        if state not in FINISHED:
            raise FollowUpError("a task is finished as done, skipped, failed or cancelled")
        if not self.open:
            raise FollowUpError(f"this {TaskKind(self.kind).label.lower()} is already "
                                f"{self.state}")
        if state == TaskState.SKIPPED and not (note or "").strip() and not who.startswith("worker:"):
            raise FollowUpError("say why the task is skipped")
        self.state, self.finished_at, self.finished_by = state, now, who
        self.note = note or self.note

    def reschedule(self, due: datetime, note: str) -> None:
        """A send that may not go now moves to the next allowed moment, never dropped."""
        if not self.pending:
            raise FollowUpError(f"this task is already {self.state}")
        self.due_at, self.note = due, note

    def start_sending(self, now: datetime) -> None:
        if not (self.pending and self.kind == TaskKind.TEXT):
            raise FollowUpError(f"this task is {self.state}: it is not a text to send")
        self.state, self.finished_at = TaskState.SENDING, now

    def snapshot(self) -> dict:
        return {"kind": str(self.kind), "step": self.step, "state": str(self.state),
                "due_at": self.due_at, "note": self.note}


# -- the text-back template ----------------------------------------------------------------
TEXTBACK_FIELDS = ("business", "first_name", "callback_window")
DEFAULT_TEXTBACK = ("Hi{first_name}, this is {business}. Sorry we missed your call. We'll "
                    "call you back {callback_window}. Reply STOP to opt out.")
TEXT_LIMIT = 320  # characters: two SMS segments


def check_textback(template: str) -> None:
    """Only the approved fields; must say how to opt out; short enough for two segments."""
    if not template.strip():
        raise FollowUpError("the text-back template is empty")
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise FollowUpError(f"the template has a stray brace: {exc}") from None
    odd = sorted(n for n in used if n not in TEXTBACK_FIELDS)
    if odd:
        raise FollowUpError(f"unknown field(s) {', '.join('{' + n + '}' for n in odd)}; "
                            f"use only {', '.join('{' + f + '}' for f in TEXTBACK_FIELDS)}")
    if "stop" not in template.lower():
        raise FollowUpError("the text must tell the customer how to opt out (e.g. \"Reply "
                            "STOP to opt out\")")
    sample = render_textback(template, business="X" * 40, caller_name="Maximilian Example",
                             callback_window="tomorrow morning after 08:00", check=False)
    if len(sample) > TEXT_LIMIT:
        raise FollowUpError(f"the text is too long ({len(sample)} characters with long "
                            f"values; at most {TEXT_LIMIT})")


def render_textback(template: str, *, business: str, caller_name: str | None,
                    callback_window: str, check: bool = True) -> str:
    if check:
        check_textback(template)
    first = first_name(caller_name)
    return template.format(business=business, first_name=f" {first}" if first else "",
                           callback_window=callback_window)


_NOT_A_NAME = re.compile(r"(wireless|caller|unknown|private|unavailable|cell phone|\d)",
                         re.IGNORECASE)


def first_name(caller_name: str | None) -> str:
    """A first name fit to greet someone with, or "": caller ID is often "WIRELESS CALLER",
    a city, or "SMITH JOHN" in capitals; a wrong greeting is worse than none."""
    if not caller_name or _NOT_A_NAME.search(caller_name):
        return ""
    words = caller_name.replace(",", " ").split()
    if not words or caller_name.isupper():
        return ""  # "SMITH JOHN": which one is the first name is a guess
    word = words[0]
    return word if word.isalpha() and len(word) > 1 else ""


def callback_window(now: datetime, calendar: BusinessCalendar) -> str:
    """What the text promises: within the hour while open, else the next opening."""
    if calendar.is_open(now) and calendar.is_open(now + timedelta(minutes=60)):
        return "within the hour"
    local = now.astimezone(calendar.zone)
    after = now
    if calendar.is_open(now):  # closing within the hour: promise the next opening
        closes = calendar.span(local.date())[1]
        after = datetime.combine(local.date(), closes, tzinfo=calendar.zone)
    opens = calendar.next_opening(after).astimezone(calendar.zone)
    if opens.date() == local.date():
        day = "today"
    elif opens.date() == local.date() + timedelta(days=1):
        day = "tomorrow morning" if opens.hour < 12 else "tomorrow"
    else:
        day = f"on {opens:%A}"
    return f"{day} after {opens.strftime('%I:%M %p').lstrip('0')}"


# -- ownership -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Staffing:
    """Who covers whom: an away owner's callers go to their backup."""

    away: frozenset[str] = frozenset()
    backups: Mapping[str, str] = field(default_factory=dict)

    def cover(self, owner: str | None) -> str | None:
        """Who works `owner`'s callers now: the owner, or their backup while they are away
        (following the chain if the backup is away too)."""
        seen = set()
        while owner in self.away:
            if owner in seen:
                return None  # everyone in the chain is away: the item is everyone's
            seen.add(owner)
            backup = self.backups.get(owner)
            if not backup:
                return None  # away with nobody named: the item is everyone's
            owner = backup
        return owner
