"""The owner's metrics: each one defined here, once, in words and in code. Pure.

A period is whole local days in the shop's time zone: [first day 00:00, last day + 1
00:00). Calls count in the period they started in; a caller (a queue item) in the period
of their first missed call; a lead in the period it was saved.

* inbound_calls: customer calls to the shop that started in the period (a forwarded call's
  legs are one call).
* answered: inbound calls a person at the shop talked on.
* missed: inbound calls nobody at the shop talked on; `missed_by_reason` splits them into
  missed (rang out), voicemail, abandoned (hung up while ringing), busy and failed.
* answer_rate: answered / inbound_calls (null when there were none).
* missed_callers: callers whose (first) missed call of a queue item fell in the period:
  repeat calls while the item is open count once.
* callers_reached: of those, the ones a person talked to afterwards: an answered callback
  on the phone line, or the item resolved as booked, lead created, not a lead or wrong
  number (each of which means somebody spoke to them).
* time_to_callback_median_s / _p90_s: for missed callers who got a callback, seconds from
  their first missed call to the first callback attempt (an outbound call the line
  reports, answered or not, or "Called back" clicked at the desk, whichever came first);
  median, and 90th percentile (linear between ranks).
* qualified_leads: leads saved in the period (the lead form only saves a lead with every
  required field, so each saved lead is a qualified one).
* leads_delivered / delivery_failures: of those leads, the ones now in the CRM, and the
  ones flagged failed (waiting for a person).
* followup_completion: of the follow-up tasks due in the period (up to now), the share
  done; skipped, failed and still-pending overdue tasks count against it, tasks cancelled
  because the caller was settled otherwise do not count at all (null when none were due).
* booked_jobs / booked_revenue: jobs (from the CRM, or the built-in one) attributed to a
  lead of the period: made for that lead's customer within the attribution window
  (`outcomes.attribution_days`, default 30) after the lead. A job counts for one lead only
  (the latest before it). Cancelled jobs do not count. Revenue is in the shop's currency.
* booking_rate: the share of the period's qualified leads that booked at least one such
  job (null when there were no leads); a lead that booked two jobs counts once.
* callers_to_leads: of the missed callers, the ones whose queue item became a lead (the
  ROI model's "share of missed callers that are real leads" comes from it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

MISSED_REASONS = ("missed", "voicemail", "abandoned", "busy", "failed")
REACHED_DISPOSITIONS = ("booked", "lead_created", "not_a_lead", "wrong_number")
CANCELLED_JOBS = ("cancelled", "canceled", "archived", "lost")
NAMED_PERIODS = ("today", "yesterday", "this_week", "last_7_days", "last_30_days",
                 "this_month", "last_month", "this_year")


class PeriodError(ValueError):
    """A period that cannot be; the message says why in plain words."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date      # inclusive
    zone: ZoneInfo

    def __post_init__(self):
        if self.last < self.first:
            raise PeriodError(f"the period ends ({self.last}) before it starts ({self.first})")

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=self.zone).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        after = self.last + timedelta(days=1)
        return datetime.combine(after, time(0), tzinfo=self.zone).astimezone(timezone.utc)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def label(self) -> str:
        if self.first == self.last:
            return f"{self.first:%a %b %d, %Y}"
        return f"{self.first:%b %d, %Y} – {self.last:%b %d, %Y}"

    @classmethod
    def named(cls, name: str, today: date, zone: ZoneInfo) -> Period:
        if name == "today":
            return cls(today, today, zone)
        if name == "yesterday":
            return cls(today - timedelta(days=1), today - timedelta(days=1), zone)
        if name == "this_week":  # Monday to today
            return cls(today - timedelta(days=today.weekday()), today, zone)
        if name == "last_7_days":
            return cls(today - timedelta(days=6), today, zone)
        if name == "last_30_days":
            return cls(today - timedelta(days=29), today, zone)
        if name == "this_month":
            return cls(today.replace(day=1), today, zone)
        if name == "last_month":
            end = today.replace(day=1) - timedelta(days=1)
            return cls(end.replace(day=1), end, zone)
        if name == "this_year":
            return cls(today.replace(month=1, day=1), today, zone)
        raise PeriodError(f"unknown period '{name}'; use one of {', '.join(NAMED_PERIODS)} "
                          "or two dates")


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise PeriodError(f"{what} must be a date like 2026-11-01, not {text!r}") from None


def ratio(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between closest ranks (NumPy's default);
    None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _tenths(seconds: float | None) -> float | None:
    """To a tenth of a second: enough, and it hides the database's float arithmetic."""
    return None if seconds is None else round(seconds, 1)


@dataclass
class SourceRow:
    """One marketing source's share (calls by the call's source, leads and bookings by
    the lead's source)."""

    inbound_calls: int = 0
    answered: int = 0
    missed: int = 0
    qualified_leads: int = 0
    booked_jobs: int = 0
    booked_leads: int = 0
    booked_revenue: float = 0.0

    def to_json(self) -> dict:
        return {"inbound_calls": self.inbound_calls, "answered": self.answered,
                "missed": self.missed, "answer_rate": ratio(self.answered, self.inbound_calls),
                "qualified_leads": self.qualified_leads, "booked_jobs": self.booked_jobs,
                "booked_revenue": round(self.booked_revenue, 2),
                "booking_rate": ratio(self.booked_leads, self.qualified_leads)}


@dataclass
class Outcomes:
    period: Period
    inbound_calls: int = 0
    answered: int = 0
    missed_by_reason: dict[str, int] = field(default_factory=dict)
    missed_callers: int = 0
    callers_reached: int = 0
    callers_to_leads: int = 0
    callback_delays_s: list[float] = field(default_factory=list)
    qualified_leads: int = 0
    leads_delivered: int = 0
    delivery_failures: int = 0
    tasks_done: int = 0
    tasks_due: int = 0
    booked_jobs: int = 0
    booked_leads: int = 0  # leads with at least one booked job
    booked_revenue: float = 0.0
    by_source: dict[str, SourceRow] = field(default_factory=dict)
    # Local calendar: answered and missed per day; missed per (weekday 0=Mon, hour).
    per_day: dict[date, list[int]] = field(default_factory=dict)
    missed_by_hour: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])

    @property
    def missed(self) -> int:
        return sum(self.missed_by_reason.values())

    @property
    def answer_rate(self) -> float | None:
        return ratio(self.answered, self.inbound_calls)

    @property
    def time_to_callback_median_s(self) -> float | None:
        return _tenths(percentile(self.callback_delays_s, 50))

    @property
    def time_to_callback_p90_s(self) -> float | None:
        return _tenths(percentile(self.callback_delays_s, 90))

    @property
    def followup_completion(self) -> float | None:
        return ratio(self.tasks_done, self.tasks_due)

    @property
    def booking_rate(self) -> float | None:
        return ratio(self.booked_leads, self.qualified_leads)

    def source(self, name: str | None) -> SourceRow:
        return self.by_source.setdefault(name or "(unknown)", SourceRow())

    def to_json(self) -> dict:
        return {
            "from": self.period.first.isoformat(), "to": self.period.last.isoformat(),
            "inbound_calls": self.inbound_calls, "answered": self.answered,
            "missed": self.missed,
            "missed_by_reason": {r: self.missed_by_reason.get(r, 0) for r in MISSED_REASONS},
            "answer_rate": self.answer_rate, "missed_callers": self.missed_callers,
            "callers_reached": self.callers_reached,
            "callers_to_leads": self.callers_to_leads,
            "time_to_callback_median_s": self.time_to_callback_median_s,
            "time_to_callback_p90_s": self.time_to_callback_p90_s,
            "qualified_leads": self.qualified_leads, "leads_delivered": self.leads_delivered,
            "delivery_failures": self.delivery_failures,
            "followup_completion": self.followup_completion,
            "booked_jobs": self.booked_jobs, "booked_revenue": round(self.booked_revenue, 2),
            "booking_rate": self.booking_rate,
            "by_source": {name: row.to_json() for name, row in sorted(self.by_source.items())},
            "by_day": [{"day": day.isoformat(), "answered": counts[0], "missed": counts[1]}
                       for day, counts in sorted(self.per_day.items())],
            "missed_by_weekday_hour": self.missed_by_hour,
        }


# -- shapes for the charts and the report ------------------------------------------------
CALLBACK_BINS = ((5 * 60, "< 5 min"), (15 * 60, "5–15 min"), (30 * 60, "15–30 min"),
                 (60 * 60, "30–60 min"), (2 * 3600, "1–2 h"), (4 * 3600, "2–4 h"),
                 (24 * 3600, "4–24 h"), (math.inf, "> 1 day"))


def callback_histogram(delays_s: list[float]) -> list[tuple[str, int]]:
    """Missed callers by time to their first callback, in the bins an owner thinks in
    (each bin holds delays from the previous bound up to, not including, its own)."""
    counts = [0] * len(CALLBACK_BINS)
    for delay in delays_s:
        for index, (bound, _label) in enumerate(CALLBACK_BINS):
            if delay < bound:
                counts[index] += 1
                break
    return [(label, n) for (_bound, label), n in zip(CALLBACK_BINS, counts)]


@dataclass(frozen=True)
class CallBucket:
    label: str
    first: date
    answered: int
    missed: int


def calls_over_time(outcomes: Outcomes) -> tuple[str, list[CallBucket]]:
    """Answered and missed calls per day of the period, per week (Monday to Sunday) when
    it is longer than 45 days, per month beyond 26 weeks; every bucket of the period is
    there, quiet ones as zero. Returns the bucket unit ("day", "week" or "month")."""
    days = outcomes.period.days
    if len(days) <= 45:
        unit, key = "day", (lambda d: d)
    elif len(days) <= 26 * 7:
        unit, key = "week", (lambda d: d - timedelta(days=d.weekday()))
    else:
        unit, key = "month", (lambda d: d.replace(day=1))
    buckets: dict[date, list[int]] = {}
    for day in days:
        counts = buckets.setdefault(key(day), [0, 0])
        answered, missed = outcomes.per_day.get(day, (0, 0))
        counts[0] += answered
        counts[1] += missed
    labels = {"day": "{:%b %d}", "week": "wk {:%b %d}", "month": "{:%b %Y}"}[unit]
    return unit, [CallBucket(labels.format(first), first, a, m)
                  for first, (a, m) in sorted(buckets.items())]
