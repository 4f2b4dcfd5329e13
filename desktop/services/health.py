"""Connector health in plain words, for the status area and `frontdesk doctor`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from desktop.domain.clock import Clock, utcnow
from desktop.domain.health import ConnectorState, HealthLevel
from desktop.services.unit_of_work import UnitOfWorkFactory
from desktop.services.views import HealthRow


@dataclass(frozen=True)
class Backlog:
    """Leads waiting for the CRM: pending (will be retried), failed (flagged to a person)."""

    pending: int = 0
    failed: int = 0
    last_error: str | None = None

    @property
    def waiting(self) -> int:
        return self.pending + self.failed


class HealthService:
    def __init__(self, uow_factory: UnitOfWorkFactory, poll_interval: timedelta,
                 clock: Clock = utcnow, crm_poll_interval: timedelta | None = None):
        self._uow = uow_factory
        self.poll_interval = poll_interval
        self.crm_poll_interval = crm_poll_interval or poll_interval
        self._clock = clock

    def rows(self) -> tuple[list[HealthRow], Backlog]:
        """Health per connector, and the lead-delivery outbox."""
        now = self._clock()
        with self._uow() as uow:
            states = uow.connectors.all()
            counts = uow.outbox.counts()
            error = uow.outbox.latest_error()
        backlog = Backlog(counts.get("pending", 0), counts.get("failed", 0), error)
        return [self._row(s, now) for s in states], backlog

    def _row(self, state: ConnectorState, now: datetime) -> HealthRow:
        interval = (self.crm_poll_interval if state.connector.startswith("crm:")
                    else self.poll_interval)
        level = state.level(now, interval)
        if level == HealthLevel.ERROR:
            message = state.last_error or "failing"
        elif level == HealthLevel.NEVER:
            message = "not synced yet"
        else:
            message = f"synced {ago(now - state.last_success_at)}"
            if level == HealthLevel.WARNING:
                message += " — polls have stopped succeeding"
        return HealthRow(state.connector, str(level), state.last_success_at, state.last_error,
                         message)


def ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min ago"
