"""The SQL behind the Outcomes metrics (definitions: desktop/domain/outcomes.py).

Every query aggregates in the database and returns at most a few thousand small rows.
Calls are read from the hourly counts the sync keeps (`call_hours`), not from the calls
themselves, so a year of 100,000 calls costs about 9,000 rows. Time of day: the service
turns UTC hours into local days and hours (exact for zones whose offset is a whole number
of hours, as every US zone's is).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import case, distinct, func, literal, or_, select
from sqlalchemy.orm import Session

from desktop.adapters.db import tables
from desktop.adapters.db.tables import HOUR_OUTCOMES
from desktop.domain.outcomes import CANCELLED_JOBS, REACHED_DISPOSITIONS

items, leads = tables.queue_items.c, tables.leads.c
jobs, tasks = tables.jobs.c, tables.followup_tasks.c


class OutcomesQueries:
    def __init__(self, session: Session):
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def _seconds_between(self, earlier, later):
        if self.dialect == "sqlite":
            return (func.julianday(later) - func.julianday(earlier)) * 86400.0
        return func.extract("epoch", later - earlier)

    @staticmethod
    def _hour_range(start: datetime, end: datetime):
        h = tables.call_hours.c
        return h.hour >= f"{start.astimezone(timezone.utc):%Y-%m-%d %H}", \
            h.hour < f"{end.astimezone(timezone.utc):%Y-%m-%d %H}"

    def calls_by_hour(self, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
        """(UTC hour, answered, missed) for inbound calls that started in [start, end)
        (whole hours): from the hourly counts."""
        h = tables.call_hours.c
        missed = sum(h[o] for o in HOUR_OUTCOMES[1:])
        query = (select(h.hour, func.sum(h.answered), func.sum(missed))
                 .where(*self._hour_range(start, end)).group_by(h.hour))
        return self.session.execute(query).all()

    def calls_by_source(self, start: datetime, end: datetime) -> list[tuple]:
        """(source or None, answered, missed, voicemail, abandoned, busy, failed)."""
        h = tables.call_hours.c
        query = (select(h.source, *[func.sum(h[o]) for o in HOUR_OUTCOMES])
                 .where(*self._hour_range(start, end)).group_by(h.source))
        return [(source or None, *counts) for source, *counts in self.session.execute(query)]

    def callers(self, start: datetime,
                end: datetime) -> tuple[int, int, int, list[float]]:
        """(missed callers, callers reached, callers who became a lead, seconds to the
        first callback of each caller who got one) for queue items whose first missed call
        was in [start, end). Each item keeps its first callback's delay, when it was
        reached and its lead (QueueItem), so this reads one covering index alone."""
        in_period = (items.first_call_at >= start, items.first_call_at < end)
        reached = or_(items.reached_at.is_not(None),
                      items.disposition.in_(REACHED_DISPOSITIONS))
        callers, reached_count, with_lead = self.session.execute(
            select(func.count(), func.coalesce(func.sum(case((reached, 1), else_=0)), 0),
                   func.count(items.lead_id))
            .where(*in_period)).one()
        delays = self.session.scalars(select(items.callback_delay_s).where(
            *in_period, items.callback_delay_s.is_not(None))).all()
        return int(callers), int(reached_count), int(with_lead), delays

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
                           window_days: int) -> list[tuple[str, int, int, int]]:
        """(lead source, booked jobs, leads that booked, revenue in cents) of jobs
        attributed to leads saved in [start, end): made within `window_days` after the lead,
        not cancelled. A job has one lead (jobs.lead_id: the customer's latest lead before
        it), so it counts once; a lead may book several jobs."""
        gap = self._seconds_between(leads.created_at, jobs.created_at)
        query = (select(leads.source, func.count(jobs.id), func.count(distinct(jobs.lead_id)),
                        func.coalesce(func.sum(jobs.revenue_cents), 0))
                 .select_from(tables.jobs.join(tables.leads, jobs.lead_id == leads.id))
                 .where(leads.created_at >= start, leads.created_at < end,
                        func.lower(jobs.status).not_in(CANCELLED_JOBS),
                        gap >= 0, gap <= literal(window_days * 86400.0))
                 .group_by(leads.source))
        return [(s, int(n), int(booked), int(cents))
                for s, n, booked, cents in self.session.execute(query)]

    def followup_tasks(self, start: datetime, end: datetime) -> dict[str, int]:
        """{state: tasks} of follow-up tasks due in [start, end), cancelled ones left out."""
        query = (select(tasks.state, func.count())
                 .where(tasks.due_at >= start, tasks.due_at < end, tasks.state != "cancelled")
                 .group_by(tasks.state))
        return {state: int(n) for state, n in self.session.execute(query)}


    def calls_in(self, start: datetime, end: datetime, batch: int = 2000):
        """The period's calls (both directions), oldest first, streamed for export."""
        c = tables.calls.c
        query = (select(c.started_at, c.direction, c.from_number, c.to_number, c.outcome,
                        c.raw_status, c.duration_s, c.source, c.caller_name, c.queue_item_id)
                 .where(c.started_at >= start, c.started_at < end).order_by(c.started_at))
        yield from self.session.execute(query.execution_options(yield_per=batch))

    def leads_in(self, start: datetime, end: datetime, batch: int = 2000):
        """The period's leads, oldest first, streamed for export."""
        query = (select(leads.id, leads.created_at, leads.name, leads.phone, leads.source,
                        leads.service_type, leads.urgency, leads.delivery_state,
                        leads.crm_provider, leads.crm_id, leads.queue_item_id)
                 .where(leads.created_at >= start, leads.created_at < end)
                 .order_by(leads.created_at))
        yield from self.session.execute(query.execution_options(yield_per=batch))
