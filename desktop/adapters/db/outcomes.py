"""The SQL behind the Outcomes metrics (definitions: desktop/domain/outcomes.py).

Every query aggregates in the database and returns a few hundred or thousand small rows,
so a year of 100,000 calls is counted without loading a call. Time of day: calls are
grouped by UTC hour, which the service turns into local days and hours (exact for zones
whose offset is a whole number of hours, as every US zone's is).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session

from desktop.adapters.db import tables
from desktop.domain.outcomes import CANCELLED_JOBS, MISSED_REASONS, REACHED_DISPOSITIONS

calls, items, leads = tables.calls.c, tables.queue_items.c, tables.leads.c
jobs, tasks = tables.jobs.c, tables.followup_tasks.c


class OutcomesQueries:
    def __init__(self, session: Session):
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def _hour(self, column):
        """The UTC hour a time falls in, as text 'YYYY-MM-DD HH'."""
        if self.dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC
            return func.substr(column, 1, 13)
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")

    def _seconds_between(self, earlier, later):
        if self.dialect == "sqlite":
            return (func.julianday(later) - func.julianday(earlier)) * 86400.0
        return func.extract("epoch", later - earlier)

    def _by_outcome(self):
        """Conditional counts: answered, then each missed reason, in one pass."""
        return [func.sum(case((calls.outcome == outcome, 1), else_=0))
                for outcome in ("answered", *MISSED_REASONS)]

    def calls_by_hour(self, start: datetime, end: datetime) -> list[tuple]:
        """(UTC hour, answered, missed, voicemail, abandoned, busy, failed) for inbound
        calls that started in [start, end): one row per hour, one pass over the calls."""
        hour = self._hour(calls.started_at).label("hour")
        query = (select(hour, *self._by_outcome())
                 .where(calls.direction == "inbound", calls.started_at >= start,
                        calls.started_at < end)
                 .group_by(hour))
        return [tuple(row) for row in self.session.execute(query)]

    def calls_by_source(self, start: datetime, end: datetime) -> list[tuple]:
        """(source, answered, missed, voicemail, abandoned, busy, failed)."""
        query = (select(calls.source, *self._by_outcome())
                 .where(calls.direction == "inbound", calls.started_at >= start,
                        calls.started_at < end)
                 .group_by(calls.source))
        return [tuple(row) for row in self.session.execute(query)]

    def callers(self, start: datetime, end: datetime) -> tuple[int, int, list[float]]:
        """(missed callers, callers reached, seconds to the first callback of each caller
        who got one) for queue items whose first missed call was in [start, end). Each item
        keeps its first callback and when it was reached (QueueItem), so this reads the
        period's items alone."""
        reached = or_(items.reached_at.is_not(None),
                      items.disposition.in_(REACHED_DISPOSITIONS))
        query = (select(case((reached, 1), else_=0),
                        self._seconds_between(items.first_call_at, items.first_callback_at))
                 .where(items.first_call_at >= start, items.first_call_at < end))
        callers = reached_count = 0
        delays = []
        for was_reached, delay in self.session.execute(query):
            callers += 1
            reached_count += was_reached
            if delay is not None and delay >= 0:
                # julianday arithmetic is off by microseconds: tenths of a second are plenty.
                delays.append(round(float(delay), 1))
        return callers, reached_count, delays

    def leads_by_source(self, start: datetime,
                        end: datetime) -> list[tuple[str, int, int, int]]:
        """(source, leads saved, delivered, failed)."""
        query = (select(leads.source, func.count(),
                        func.sum(case((leads.delivery_state == "delivered", 1), else_=0)),
                        func.sum(case((leads.delivery_state == "failed", 1), else_=0)))
                 .where(leads.created_at >= start, leads.created_at < end)
                 .group_by(leads.source))
        return [(s, int(n), int(d or 0), int(f or 0)) for s, n, d, f in self.session.execute(query)]

    def bookings_by_source(self, start: datetime, end: datetime,
                           window_days: int) -> list[tuple[str, int, int]]:
        """(lead source, booked jobs, revenue in cents) of jobs attributed to leads saved in
        [start, end): made within `window_days` after the lead, not cancelled. A job has
        one lead (jobs.lead_id: the customer's latest lead before it), so it counts once."""
        gap = self._seconds_between(leads.created_at, jobs.created_at)
        query = (select(leads.source, func.count(jobs.id),
                        func.coalesce(func.sum(jobs.revenue_cents), 0))
                 .select_from(tables.jobs.join(tables.leads, jobs.lead_id == leads.id))
                 .where(leads.created_at >= start, leads.created_at < end,
                        func.lower(jobs.status).not_in(CANCELLED_JOBS),
                        gap >= 0, gap <= literal(window_days * 86400.0))
                 .group_by(leads.source))
        return [(s, int(n), int(cents)) for s, n, cents in self.session.execute(query)]

    def followup_tasks(self, start: datetime, end: datetime) -> dict[str, int]:
        """{state: tasks} of follow-up tasks due in [start, end), cancelled ones left out."""
        query = (select(tasks.state, func.count())
                 .where(tasks.due_at >= start, tasks.due_at < end, tasks.state != "cancelled")
                 .group_by(tasks.state))
        return {state: int(n) for state, n in self.session.execute(query)}

