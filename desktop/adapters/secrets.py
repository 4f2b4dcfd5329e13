"""Secrets live only in the OS keyring (Windows Credential Manager on the desk PC).

With no usable keyring we say so plainly; there is no plaintext fallback, on purpose.
"""

from __future__ import annotations

import logging

import keyring
import keyring.errors
from keyring.backends import fail

SERVICE = "FrontDesk"


# Every secret value this process has read or stored, so log output can blank them out.
_SEEN: set[str] = set()


def redact(text: str) -> str:
    for secret in _SEEN:
        if len(secret) >= 4:
            text = text.replace(secret, "•••")
    return text


class RedactingFormatter(logging.Formatter):
    """Log lines, tracebacks included, with every known secret blanked out."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class SecretStoreUnavailable(RuntimeError):
    """No OS keyring can be used; the message says what to do."""


class SecretStore:
    def __init__(self, service: str = SERVICE):
        self.service = service

    def backend_name(self) -> str:
        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"

    def available(self) -> bool:
        return not isinstance(keyring.get_keyring(), fail.Keyring)

    def set(self, key: str, value: str) -> None:
        _SEEN.add(value)
        self._call(keyring.set_password, self.service, key, value)

    @staticmethod
    def redact(text: str) -> str:
        """`text` with every secret this process has seen blanked out."""
        return redact(text)

    @staticmethod
    def remember(value: str) -> None:
        """A secret typed but not stored yet (the setup's Test connection): logs and
        reports blank it out too."""
        if value:
            _SEEN.add(value)

    def get(self, key: str) -> str | None:
        value = self._call(keyring.get_password, self.service, key)
        if value:
            _SEEN.add(value)
        return value

    def forget(self, keys) -> list[str]:
        """Delete these secrets from the keyring; returns the ones that were there."""
        gone = []
        for key in keys:
            if self.get(key) is None:
                continue
            self._call(keyring.delete_password, self.service, key)
            gone.append(key)
        return gone

    def _call(self, fn, *args):
        if not self.available():
            raise SecretStoreUnavailable(
                "No OS keyring is available to store secrets. On Windows this is the "
                "Credential Manager; on Linux install and unlock a Secret Service keyring "
                "(e.g. GNOME Keyring).")
        try:
            return fn(*args)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreUnavailable(f"The OS keyring refused the request: {exc}") from exc
