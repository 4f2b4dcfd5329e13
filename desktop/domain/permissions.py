"""The permission boundary: every automated worker calls the outside world only within the
scopes the owner granted (`phone.scopes`, `crm.scopes`)."""

from __future__ import annotations


class ScopeRefused(PermissionError):
    """An operation outside the granted scopes; the message says which scope is missing and
    where the owner grants it."""

    def __init__(self, message: str, scope: str):
        super().__init__(message)
        self.scope = scope
