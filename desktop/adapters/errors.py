"""What every connector (phone line or CRM) says when something goes wrong, in one shape."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProblemKind(StrEnum):
    AUTH = "auth"
    PERMISSION = "permission"
    NETWORK = "network"
    RATE_LIMITED = "rate_limited"
    BAD_RESPONSE = "bad_response"
    NOT_CONFIGURED = "not_configured"
    REJECTED = "rejected"  # the service refused our data (validation); retrying won't help

    @property
    def transient(self) -> bool:
        """Worth retrying by itself: the service may answer differently later."""
        return self in (ProblemKind.NETWORK, ProblemKind.RATE_LIMITED, ProblemKind.BAD_RESPONSE)


class ProviderError(Exception):
    """A connector call failed; `str(err)` is a plain-words message for the health area."""

    def __init__(self, message: str, kind: ProblemKind, retry_after_s: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after_s = retry_after_s


def require(value: str | None, message: str) -> str:
    """A credential or id the adapter cannot work without; missing -> plain words."""
    if not value:
        raise ProviderError(message, ProblemKind.NOT_CONFIGURED)
    return value


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
