"""Connector health and sync cursor: what the status area says about each connector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class HealthLevel(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    NEVER = "never"


@dataclass(eq=False)
class ConnectorState:
    connector: str                   # "phone:simulator", "crm:builtin"
    cursor: datetime | None = None   # calls that finished before this are in
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    error_kind: str | None = None
    consecutive_failures: int = 0
    retry_after: datetime | None = None
    id: int | None = None

    def record_success(self, now: datetime, cursor: datetime | None = None) -> None:
        self.last_attempt_at = self.last_success_at = now
        if cursor is not None:
            self.cursor = cursor
        self.consecutive_failures = 0
        self.retry_after = None
        self.last_error = self.error_kind = None

    def record_failure(self, now: datetime, message: str, kind: str,
                       retry_after_s: float | None = None) -> None:
        self.last_attempt_at = self.last_error_at = now
        self.last_error, self.error_kind = message, kind
        self.consecutive_failures += 1
        self.retry_after = now + timedelta(seconds=retry_after_s) if retry_after_s else None

    def level(self, now: datetime, poll_interval: timedelta) -> HealthLevel:
        if self.last_error:
            return HealthLevel.ERROR
        if self.last_success_at is None:
            return HealthLevel.NEVER
        if now - self.last_success_at > 3 * poll_interval:
            return HealthLevel.WARNING  # polls stopped succeeding or stopped running
        return HealthLevel.OK
