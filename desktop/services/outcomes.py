"""The Outcomes report: the owner's metrics for a period (definitions in
desktop/domain/outcomes.py), from a handful of aggregate queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from desktop.adapters.csv_files import CsvProblem, write_csv
from desktop.domain.contact_rows import guard_formula

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
            (result.missed_callers, result.callers_reached, result.callers_to_leads,
             result.callback_delays_s) = q.callers(start, end)
            for source, saved, delivered, failed in q.leads_by_source(start, end):
                result.qualified_leads += saved
                result.leads_delivered += delivered
                result.delivery_failures += failed
                result.source(source).qualified_leads += saved
            for source, booked, leads_booked, cents in q.bookings_by_source(
                    start, end, self.attribution_days):
                result.booked_jobs += booked
                result.booked_leads += leads_booked
                result.booked_revenue += cents / 100
                row = result.source(source)
                row.booked_jobs += booked
                row.booked_leads += leads_booked
                row.booked_revenue += cents / 100
            tasks = q.followup_tasks(start, min(end, self._clock()))
        result.tasks_done = tasks.get("done", 0)
        result.tasks_due = sum(tasks.values())
        return result

    def _calls(self, result: Outcomes, rows) -> None:
        """Hourly UTC counts into totals, local days and the weekday x hour grid. A year
        is ~9,000 rows: the zone's offset is looked up once per UTC day (twice a year,
        on the days the clocks change, once per hour) and the totals are summed once."""
        answered_total = missed_total = 0
        per_day, grid = result.per_day, result.missed_by_hour
        offsets: dict[str, timedelta | None] = {}
        for hour, answered, missed in rows:
            answered_total += answered
            missed_total += missed
            utc = datetime.fromisoformat(f"{hour}:00")
            day_key = hour[:10]
            offset = offsets.get(day_key, False)
            if offset is False:
                offset = offsets[day_key] = self._day_offset(utc)
            local = utc + offset if offset is not None else \
                utc.replace(tzinfo=timezone.utc).astimezone(self.zone).replace(tzinfo=None)
            day = per_day.get(local.date())
            if day is None:
                day = per_day[local.date()] = [0, 0]
            day[0] += answered
            day[1] += missed
            grid[local.weekday()][local.hour] += missed
        result.answered += answered_total
        result.inbound_calls += answered_total + missed_total

    def _day_offset(self, utc_hour: datetime) -> timedelta | None:
        """The zone's offset for the whole UTC day of `utc_hour` (naive UTC), or None when
        it changes during that day."""
        midnight = utc_hour.replace(hour=0, tzinfo=timezone.utc)
        first = midnight.astimezone(self.zone).utcoffset()
        last = (midnight + timedelta(hours=23)).astimezone(self.zone).utcoffset()
        return first if first == last else None

    # -- export ------------------------------------------------------------------------
    def export_csv(self, result: Outcomes, folder) -> list[Path]:
        """A computed period's metrics, calls and leads as three CSV files in `folder` (UTF-8
        with a BOM for Excel; local times with their offset; text that would start a
        formula is quoted). Raises ValueError naming the problem when a file cannot be
        written (an old file is left as it was)."""
        folder = Path(folder)
        period = result.period
        stem = f"outcomes-{period.first}_{period.last}"
        document = result.to_json()
        scalar = [(k, v) for k, v in document.items()
                  if not isinstance(v, (dict, list)) and k not in ("from", "to")]

        def metrics(writer):
            writer.writerow(("scope", "metric", "value"))
            for key, value in scalar:
                writer.writerow(("overall", key, "" if value is None else value))
            for reason, n in document["missed_by_reason"].items():
                writer.writerow(("overall", f"missed_{reason}", n))
            for source, row in document["by_source"].items():
                for key, value in row.items():
                    writer.writerow((guard_formula(source), key,
                                     "" if value is None else value))

        def local(moment):
            return moment.astimezone(self.zone).isoformat() if moment else ""

        def calls(writer):
            writer.writerow(("started_at", "direction", "from", "to", "outcome",
                             "provider_status", "seconds", "source", "caller_id",
                             "queue_item"))
            with self._uow() as uow:
                for row in uow.outcomes.calls_in(period.start, period.end):
                    (started, direction, frm, to, outcome, raw, seconds, source, name,
                     item) = row
                    writer.writerow((local(started), direction, frm, to, outcome,
                                     guard_formula(raw), seconds, guard_formula(source),
                                     guard_formula(name), item or ""))

        def leads(writer):
            writer.writerow(("lead", "saved_at", "name", "phone", "source", "service_type",
                             "urgency", "delivery", "crm", "crm_id", "queue_item"))
            with self._uow() as uow:
                for (lead_id, saved, name, phone, source, service, urgency, state, crm,
                     crm_id, item) in uow.outcomes.leads_in(period.start, period.end):
                    writer.writerow((lead_id, local(saved), guard_formula(name), phone,
                                     guard_formula(source), guard_formula(service), urgency,
                                     state, crm or "", crm_id or "", item or ""))

        written = []
        try:
            for name, rows in (("metrics", metrics), ("calls", calls), ("leads", leads)):
                written.append(write_csv(folder / f"{stem}-{name}.csv", rows))
        except CsvProblem as exc:
            raise ValueError(str(exc)) from None
        return written
