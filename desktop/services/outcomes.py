"""The Outcomes report: the owner's metrics for a period (definitions in
desktop/domain/outcomes.py), from a handful of aggregate queries."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from desktop.domain.clock import Clock, utcnow
from desktop.domain.outcomes import MISSED_REASONS, Outcomes, Period
from desktop.services.unit_of_work import UnitOfWorkFactory


class OutcomesService:
    def __init__(self, uow_factory: UnitOfWorkFactory, zone: ZoneInfo,
                 attribution_days: int = 30, clock: Clock = utcnow):
        self._uow, self.zone, self._clock = uow_factory, zone, clock
        self.attribution_days = attribution_days

    def today(self) -> date:
        return self._clock().astimezone(self.zone).date()

    def period(self, first: date, last: date) -> Period:
        return Period(first, last, self.zone)

    def named(self, name: str) -> Period:
        return Period.named(name, self.today(), self.zone)

    def compute(self, period: Period) -> Outcomes:
        start, end = period.start, period.end
        result = Outcomes(period)
        with self._uow() as uow:
            q = uow.outcomes
            self._calls(result, q.calls_by_hour(start, end))
            reasons = dict.fromkeys(MISSED_REASONS, 0)
            for source, answered, *missed in q.calls_by_source(start, end):
                row = result.source(source)
                row.answered += answered
                row.missed += sum(missed)
                row.inbound_calls += answered + sum(missed)
                for reason, n in zip(MISSED_REASONS, missed):
                    reasons[reason] += n
            result.missed_by_reason = {r: n for r, n in reasons.items() if n}
            result.missed_callers, result.callers_reached, result.callback_delays_s = \
                q.callers(start, end)
            for source, saved, delivered, failed in q.leads_by_source(start, end):
                result.qualified_leads += saved
                result.leads_delivered += delivered
                result.delivery_failures += failed
                result.source(source).qualified_leads += saved
            for source, booked, cents in q.bookings_by_source(start, end,
                                                              self.attribution_days):
                result.booked_jobs += booked
                result.booked_revenue += cents / 100
                row = result.source(source)
                row.booked_jobs += booked
                row.booked_revenue += cents / 100
            tasks = q.followup_tasks(start, min(end, self._clock()))
        result.tasks_done = tasks.get("done", 0)
        result.tasks_due = sum(tasks.values())
        return result

    def _calls(self, result: Outcomes, rows) -> None:
        """Hourly UTC counts into totals, local days and the weekday x hour grid."""
        for hour, answered, missed in rows:
            moment = datetime.fromisoformat(f"{hour}:00+00:00").astimezone(self.zone)
            result.answered += answered
            result.inbound_calls += answered + missed
            day = result.per_day.setdefault(moment.date(), [0, 0])
            day[0] += answered
            day[1] += missed
            result.missed_by_hour[moment.weekday()][moment.hour] += missed
