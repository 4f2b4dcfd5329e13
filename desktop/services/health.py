"""Connector health in plain words, for the status area and `frontdesk doctor`."""

from __future__ import annotations

from datetime import datetime, timedelta

from desktop.domain.clock import Clock, utcnow
from desktop.domain.health import ConnectorState, HealthLevel
from desktop.services.unit_of_work import UnitOfWorkFactory
from desktop.services.views import HealthRow


class HealthService:
    def __init__(self, uow_factory: UnitOfWorkFactory, poll_interval: timedelta,
                 clock: Clock = utcnow):
        self._uow = uow_factory
        self.poll_interval = poll_interval
        self._clock = clock

    def rows(self) -> tuple[list[HealthRow], int]:
        """Health per connector, and the outbox backlog."""
        now = self._clock()
        with self._uow() as uow:
            states = uow.connectors.all()
            backlog = uow.outbox.backlog()
        return [self._row(s, now) for s in states], backlog

    def _row(self, state: ConnectorState, now: datetime) -> HealthRow:
        level = state.level(now, self.poll_interval)
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
