"""The demo's past: a few weeks of a shop's front desk, lived through the real services.

The simulated line's calls of those weeks are read by the real sync, hour by hour, with
the app's clock set to that hour; a simulated receptionist works the queue in opening
hours as people do: calls callers back (a few times if nobody answers), saves a lead when
she reaches a real customer, marks spam and wrong numbers, and the follow-up worker closes
whoever never answered. Some leads book a job in the built-in CRM a day or two later.
So the Outcomes tab has real history to show: every figure in it came through the same
code a shop's own weeks do, and the change log holds every step.

Deterministic: each caller's fate is drawn from a generator seeded by their queue item,
so the same clock gives the same history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from desktop.domain.changelog import person
from desktop.domain.leads import LeadDraft

DEMO_HISTORY_DAYS = 35  # `frontdesk --demo`: the Outcomes tab's "last 30 days" is full
RECEPTIONIST = "Dana"
OPEN_HOURS = range(8, 18)  # when the desk works the queue (local)
# What a job of each kind is worth (low, high), in dollars; a quote books nothing.
JOB_VALUES = {"Leak / burst pipe": (350, 1400), "Drain cleaning": (180, 480),
              "Water heater": (1500, 3400), "Toilet / faucet repair": (160, 420),
              "Sewer line": (1200, 6800), "Gas line": (450, 1900),
              "Furnace / heating": (280, 950), "AC / cooling": (300, 1300),
              "Maintenance plan": (180, 320)}
STREETS = ("W Belmont Ave", "N Damen Ave", "W Addison St", "N Western Ave", "S Halsted St",
           "W Irving Park Rd", "N Clark St", "W Diversey Pkwy", "S Pulaski Rd",
           "W Foster Ave", "N Milwaukee Ave", "W Montrose Ave")
ZIPS = ("60618", "60625", "60613", "60657", "60614", "60640", "60630", "60641")
FIRST = ("Maria", "James", "Linda", "Robert", "Patricia", "Michael", "Jennifer", "David",
         "Susan", "Daniel", "Karen", "Thomas", "Nancy", "Mark", "Angela", "Luis", "Olga",
         "Kevin", "Aisha", "Tom")
LAST = ("Gonzalez", "Kowalski", "Nguyen", "Murphy", "Patel", "Schmidt", "Okafor", "Rivera",
        "Novak", "Johnson", "Kim", "Brennan", "Lopez", "Anderson", "Walsh", "Chen")


@dataclass
class _Caller:
    """What the simulated receptionist remembers about one open caller; `fate` is the
    caller's own random stream (seeded by their queue item), drawn from as the story goes
    on, so each try has its own chance."""

    fate: random.Random
    next_try: datetime
    attempts: int = 0
    done: bool = False


@dataclass
class HistoryReport:
    calls: int = 0
    leads: int = 0
    jobs: int = 0
    settled: int = 0
    pending_jobs: list = field(default_factory=list)


def seed_history(data_dir: Path, start: datetime, until: datetime, zone: ZoneInfo,
                 open_app, progress=None) -> HistoryReport:
    """Live the shop's days from `start` to `until` (both aware) in `data_dir`, whose
    settings already name the simulator line starting at `start`. `open_app` is
    bootstrap's, passed in to keep this module free of the wiring it is called from;
    `progress(done, total)` is called after each day (a splash screen's message)."""
    moment = [start]
    app = open_app(data_dir, clock=lambda: moment[0], log_to_file=False)
    report = HistoryReport()
    callers: dict[int, _Caller] = {}
    types = [t for t in app.settings["lead.service_types"] if t in JOB_VALUES] or \
        list(JOB_VALUES)
    try:
        while moment[0] < until:
            local = moment[0].astimezone(zone)
            # Hourly through the day; across the night in one step.
            if local.hour >= 20:
                morning = datetime.combine(local.date() + timedelta(days=1), time(7),
                                           tzinfo=zone)
                moment[0] = min(morning, until)
                if progress is not None:
                    progress((moment[0] - start).days, (until - start).days)
            else:
                moment[0] = min(moment[0] + timedelta(hours=1), until)
            result = app.sync.poll()
            report.calls += result.new_calls
            if moment[0].astimezone(zone).hour in OPEN_HOURS:
                _work_the_queue(app, moment[0], callers, types, report)
                _book_jobs(app, moment[0], report)
            if app.followup is not None:
                app.followup.run_due(500, unclaimed=False)  # closes whoever never answered
    finally:
        app.close()
    return report


def _work_the_queue(app, now: datetime, callers: dict[int, _Caller], types,
                    report: HistoryReport) -> None:
    who = RECEPTIONIST
    for row in app.queue.board():
        if row.state == "done":
            continue
        caller = callers.get(row.id)
        if caller is None:
            fate = random.Random(f"demo-history:{row.id}")
            caller = callers[row.id] = _Caller(
                fate, row.first_call_at + timedelta(minutes=fate.uniform(8, 150)))
        if caller.done or now < caller.next_try:
            continue
        fate = caller.fate
        kind = fate.random()
        if caller.attempts == 0 and kind < 0.10:
            caller.done = True
            _settle(app, row.id, who, "not_a_lead", report)  # a sales call, a robocall
            continue
        if caller.attempts == 0 and kind < 0.14:
            caller.done = True
            _settle(app, row.id, who, "wrong_number", report)
            continue
        reached = row.reached_at is not None  # the line saw an answered callback
        if not reached:
            app.queue.mark_called_back(row.id, who)
            caller.attempts += 1
            reached = fate.random() < (0.62 if caller.attempts == 1 else 0.35)
            if not reached:
                # Try again after the plan's wait; after the last try the follow-up
                # worker closes the caller as "no response".
                caller.next_try = now + timedelta(hours=2, minutes=fate.randint(0, 50))
                caller.done = caller.attempts >= 3
                continue
        caller.done = True
        if fate.random() < 0.68:
            _save_lead(app, row, now, fate, types, report)
        else:
            _settle(app, row.id, who, "not_a_lead", report)  # a price check, a question


def _settle(app, item_id: int, who: str, disposition: str, report: HistoryReport) -> None:
    app.queue.resolve(item_id, who, disposition)
    report.settled += 1


def _save_lead(app, row, now: datetime, fate: random.Random, types,
               report: HistoryReport) -> None:
    name = row.display_name or f"{fate.choice(FIRST)} {fate.choice(LAST)}"
    service = fate.choice(types)
    values = {
        "name": name, "phone": row.phone, "email": "",
        "service_address": f"{fate.randint(1200, 6400)} {fate.choice(STREETS)}, Chicago, "
                           f"IL {fate.choice(ZIPS)}",
        "service_type": service,
        "urgency": "urgent" if fate.random() < 0.2 else "routine",
        "source": row.source or "Other",
        "notes": "Called back from the missed-call queue.",
    }
    lead = app.leads.create(LeadDraft(values=values, queue_item_id=row.id), RECEPTIONIST)
    report.leads += 1
    report.settled += 1
    if fate.random() < 0.52:  # about half of the leads book; some a day or two later
        low, high = JOB_VALUES.get(service, (200, 600))
        when = now + timedelta(hours=fate.choice((0.5, 2, 6, 20, 30, 52)))
        report.pending_jobs.append((when, lead.id, service, round(fate.uniform(low, high))))


def _book_jobs(app, now: datetime, report: HistoryReport) -> None:
    due = [job for job in report.pending_jobs if job[0] <= now]
    for job in due:
        report.pending_jobs.remove(job)
        _when, lead_id, service, value = job
        app.builtin.book_job(lead_id, service, value, now, person(RECEPTIONIST),
                             scheduled_at=now + timedelta(days=2))
        report.jobs += 1
