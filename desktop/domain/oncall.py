"""Opening hours, the on-call rota and the escalation text. Pure rules, no I/O.

* Opening hours: per weekday "08:00-17:00" (empty = closed all day), in the shop's zone.
* The rota: one on-call person per weekday, with date overrides (a holiday swap). A duty
  day runs from the handover time (default 07:00) to the next day's handover, so a call
  at 2 am on Tuesday belongs to Monday's on-call person.
* The escalation text is the owner's approved template with named fields only
  ({caller_name}, {caller_phone}, {address}, {transcript}, {business}, {reasons},
  {on_call}); nothing else can be put into a text to a technician.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from desktop.domain.phone import InvalidPhone, display, to_e164

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = {"mon": "08:00-17:00", "tue": "08:00-17:00", "wed": "08:00-17:00",
                 "thu": "08:00-17:00", "fri": "08:00-17:00", "sat": "", "sun": ""}
TEMPLATE_FIELDS = ("caller_name", "caller_phone", "address", "transcript", "business",
                   "reasons", "on_call")
DEFAULT_TEMPLATE = ("{business} EMERGENCY: {caller_name} {caller_phone}. {reasons}. "
                    "Address: {address}. Voicemail: \"{transcript}\" Call them now; reply "
                    "to the office when you have.")
SMS_LIMIT = 600  # characters: four SMS segments at most
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _clock_time(text: str, what: str) -> time:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text or "")
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{what} must be a time like 07:00, not {text!r}")
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class OpeningHours:
    spans: Mapping[str, tuple[time, time] | None]

    @classmethod
    def parse(cls, hours: Mapping[str, str]) -> OpeningHours:
        """{"mon": "08:00-17:00", ..., "sun": ""}; a missing day is closed. Raises
        ValueError naming the day and what is wrong."""
        odd = set(hours) - set(WEEKDAYS)
        if odd:
            raise ValueError(f"unknown day(s) {sorted(odd)}; use {', '.join(WEEKDAYS)}")
        spans: dict[str, tuple[time, time] | None] = {}
        for day in WEEKDAYS:
            text = str(hours.get(day) or "").strip()
            if not text or text.lower() == "closed":
                spans[day] = None
                continue
            match = _SPAN.match(text)
            if not match:
                raise ValueError(f"{day}: opening hours must look like 08:00-17:00 (or be "
                                 f"empty for closed), not {text!r}")
            opens = _clock_time(f"{match[1]}:{match[2]}", f"{day} opening")
            closes = _clock_time(f"{match[3]}:{match[4]}", f"{day} closing")
            if closes <= opens:
                raise ValueError(f"{day}: closes ({closes:%H:%M}) before it opens "
                                 f"({opens:%H:%M})")
            spans[day] = (opens, closes)
        return cls(spans)

    def is_open(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone)
        span = self.spans.get(WEEKDAYS[local.weekday()])
        return span is not None and span[0] <= local.time() < span[1]


@dataclass(frozen=True)
class OnCall:
    name: str
    phone: str  # E.164

    def label(self) -> str:
        return f"{self.name} {display(self.phone) or self.phone}"


def _person(value, where: str) -> OnCall | None:
    if value in (None, "", {}):
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: give {{\"name\": ..., \"phone\": ...}}")
    name = " ".join(str(value.get("name") or "").split())
    if not name:
        raise ValueError(f"{where}: the on-call person has no name")
    try:
        phone = to_e164(str(value.get("phone") or ""))
    except InvalidPhone as exc:
        raise ValueError(f"{where}: {name}'s phone: {exc}") from None
    return OnCall(name, phone)


@dataclass(frozen=True)
class Rota:
    weekly: Mapping[str, OnCall | None]
    overrides: Mapping[date, OnCall | None]
    handover: time = time(7, 0)

    @classmethod
    def parse(cls, weekly: Mapping, overrides: Mapping | None = None,
              handover: str = "07:00") -> Rota:
        odd = set(weekly) - set(WEEKDAYS)
        if odd:
            raise ValueError(f"unknown day(s) {sorted(odd)} in the rota; use "
                             f"{', '.join(WEEKDAYS)}")
        days = {day: _person(weekly.get(day), f"rota {day}") for day in WEEKDAYS}
        swaps: dict[date, OnCall | None] = {}
        for key, value in (overrides or {}).items():
            try:
                day = date.fromisoformat(str(key))
            except ValueError:
                raise ValueError(f"rota override {key!r}: give the date as 2026-12-25") \
                    from None
            swaps[day] = _person(value, f"rota override {key}")
        return cls(days, swaps, _clock_time(handover, "the rota handover"))

    def on_call(self, moment: datetime, zone: ZoneInfo) -> OnCall | None:
        """Who is on call at `moment`: the date override for the duty day, else the
        weekday's person; None when nobody is."""
        local = moment.astimezone(zone)
        duty = local.date() - timedelta(days=1) if local.time() < self.handover \
            else local.date()
        if duty in self.overrides:
            return self.overrides[duty]
        return self.weekly.get(WEEKDAYS[duty.weekday()])


def check_template(template: str) -> None:
    """Only the named fields; raises ValueError naming a field that is not one of them."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError as exc:
        raise ValueError(f"the escalation text is not a valid template: {exc}") from None
    odd = [f for f in fields if f not in TEMPLATE_FIELDS]
    if odd:
        raise ValueError(f"the escalation text may use only {', '.join(TEMPLATE_FIELDS)} "
                         f"in braces, not {', '.join(odd)}")
    if not template.strip():
        raise ValueError("the escalation text is empty")


def render_escalation(template: str, values: Mapping[str, str | None]) -> str:
    """The approved template filled in; a missing value reads "unknown", and the whole is
    cut to SMS_LIMIT characters (the transcript gives way first)."""
    check_template(template)
    filled = {k: (" ".join(str(values.get(k) or "").split()) or "unknown")
              for k in TEMPLATE_FIELDS}
    text = template.format(**filled)
    if len(text) > SMS_LIMIT and filled["transcript"] != "unknown":
        spare = len(text) - SMS_LIMIT + 1
        filled["transcript"] = filled["transcript"][:max(0, len(filled["transcript"]) - spare)
                                                    ].rstrip() + "…"
        text = template.format(**filled)
    return text[:SMS_LIMIT]
