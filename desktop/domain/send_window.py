"""When an automated text may go out: the recipient's local time, federal quiet hours, and
stricter state rules. Pure rules, no I/O.

* The recipient's zone comes from the number (phonenumbers' time-zone data, by area
  code); a number it cannot place falls back to the shop's zone. Where an area code spans
  zones (Alaska, parts of Florida and Texas...), a time must suit every one of them.
* No automated text outside 08:00-21:00 recipient time (the TCPA's calling hours).
* A state with a stricter "mini-TCPA" narrows that (table below; the state comes from the
  number's area code). Florida, Oklahoma and Maryland also allow at most 3 attempts per
  rolling 24 hours. The table is a starting point the owner should have checked by
  counsel; it errs on the strict side.
* A send that may not go now is moved to the next allowed moment, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers

from desktop.domain.address import STATE_CODES

FEDERAL = (time(8, 0), time(21, 0))


@dataclass(frozen=True)
class StateRule:
    state: str
    hours: tuple[time, time]
    sunday: tuple[time, time] | None = None   # a different window on Sundays
    per_24h: int | None = None                # attempts per rolling 24 hours
    law: str = ""


STATE_RULES = {rule.state: rule for rule in (
    StateRule("FL", (time(8), time(20)), per_24h=3, law="Florida Telephone Solicitation Act"),
    StateRule("OK", (time(8), time(20)), per_24h=3, law="Oklahoma Telephone Solicitation Act"),
    StateRule("MD", (time(8), time(20)), per_24h=3, law="Maryland Stop the Spam Calls Act"),
    StateRule("WA", (time(8), time(20)), law="RCW 80.36.390"),
    StateRule("TX", (time(9), time(21)), sunday=(time(12), time(21)),
              law="Texas Business & Commerce Code 301.051"),
)}



@dataclass(frozen=True)
class Recipient:
    number: str
    zones: tuple[ZoneInfo, ...]
    state: str | None

    @property
    def rule(self) -> StateRule | None:
        return STATE_RULES.get(self.state or "")

    def window(self, day_of_week: int) -> tuple[time, time]:
        """The allowed local window on a weekday (0 = Monday): federal, narrowed by the
        state's rule."""
        start, end = FEDERAL
        rule = self.rule
        if rule is not None:
            hours = rule.sunday if day_of_week == 6 and rule.sunday else rule.hours
            start, end = max(start, hours[0]), min(end, hours[1])
        return start, end


def recipient(number: str, fallback_zone: str) -> Recipient:
    """Where the number's owner probably is: zones from the area code, else the shop's."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return Recipient(number, (ZoneInfo(fallback_zone),), None)
    zones = []
    # Imported here: the geocoder's data takes ~0.3 s to load, which every start of the
    # app (and every command) would pay otherwise; only a text about to go needs it.
    from phonenumbers import geocoder
    from phonenumbers import timezone as number_zones
    for name in number_zones.time_zones_for_number(parsed):
        try:
            zones.append(ZoneInfo(name))
        except Exception:  # "Etc/Unknown" and the like
            continue
    place = geocoder.description_for_number(parsed, "en") or ""
    state = None
    if parsed.country_code == 1 and place:
        tail = place.rsplit(",", 1)[-1].strip()
        state = tail if len(tail) == 2 and tail.isupper() else STATE_CODES.get(place.lower())
    return Recipient(number, tuple(zones) or (ZoneInfo(fallback_zone),), state)


def is_allowed(moment: datetime, who: Recipient, sent: list[datetime] = ()) -> str | None:
    """None if a text may go at `moment`; else why not, in plain words."""
    for zone in who.zones:
        local = moment.astimezone(zone)
        start, end = who.window(local.weekday())
        if not start <= local.time() < end:
            return (f"{local:%H:%M} for the recipient ({zone.key}); texts only "
                    f"{start:%H:%M}-{end:%H:%M}" + (f" ({who.rule.law})" if who.rule else ""))
    rule = who.rule
    if rule is not None and rule.per_24h is not None:
        recent = [s for s in sent if moment - timedelta(hours=24) < s <= moment]
        if len(recent) >= rule.per_24h:
            return f"{len(recent)} texts in the last 24 hours: {rule.law} allows {rule.per_24h}"
    return None


def next_allowed(moment: datetime, who: Recipient, sent: list[datetime] = ()) -> datetime:
    """The first moment at or after `moment` when a text may go."""
    candidate = moment
    for _ in range(20):  # each step moves to a window's start or past a cap; few are needed
        if is_allowed(candidate, who, sent) is None:
            return candidate
        later = candidate
        for zone in who.zones:
            local = candidate.astimezone(zone)
            start, end = who.window(local.weekday())
            if local.time() < start:
                opens = datetime.combine(local.date(), start, tzinfo=zone)
            elif local.time() >= end:
                next_day = local.date() + timedelta(days=1)
                opens = datetime.combine(next_day, who.window(next_day.weekday())[0],
                                         tzinfo=zone)
            else:
                continue
            later = max(later, opens.astimezone(candidate.tzinfo))
        rule = who.rule
        if later == candidate and rule is not None and rule.per_24h is not None:
            recent = sorted(s for s in sent if candidate - timedelta(hours=24) < s <= candidate)
            if len(recent) >= rule.per_24h:
                later = recent[len(recent) - rule.per_24h] + timedelta(hours=24, seconds=1)
        if later == candidate:
            break
        candidate = later
    return candidate
