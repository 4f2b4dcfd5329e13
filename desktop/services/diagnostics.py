""""Copy diagnostics": what support needs to help a shop, in one block of text.

Version, platform, data folder, database revision and size, which keyring holds the
secrets (never what they are), the connectors' health, every changed setting and the end
of the log. Every known secret is blanked out of it before it leaves, so the shop can
paste it into an email.
"""

from __future__ import annotations

import json
import platform
import sys
from collections import deque
from pathlib import Path

from desktop import APP_NAME, __version__
from desktop.config import SECRETS

LOG_LINES = 60


class Diagnostics:
    def __init__(self, data_dir: Path, settings_service, secrets, health, migration,
                 database_url: str):
        self._data_dir, self._settings, self._secrets = data_dir, settings_service, secrets
        self._health, self._migration, self._url = health, migration, database_url

    def text(self, extra: dict[str, str] | None = None) -> str:
        """The report; `extra`: what the caller knows that this layer does not (the Qt
        version, the screen)."""
        # Read every stored secret once so the redaction knows it, even those this process
        # has not used yet (a CRM not polled since start).
        for key in SECRETS:
            try:
                self._secrets.get(key)
            except Exception:  # no keyring: nothing to blank out, and the report says so
                break
        lines = [f"{APP_NAME} {__version__}",
                 f"Python {sys.version.split()[0]} on {platform.platform()}",
                 f"frozen build: {'yes' if getattr(sys, 'frozen', False) else 'no'}"]
        lines += [f"{key}: {value}" for key, value in (extra or {}).items()]
        lines += [f"data folder: {self._data_dir}",
                  f"database: {self._url_without_secrets()}",
                  f"database revision: {getattr(self._migration, 'to_revision', '?')}",
                  f"database size: {self._size(self._data_dir / 'frontdesk.db')}",
                  f"keyring: {self._keyring()}"]
        lines.append("")
        lines.append("connectors:")
        try:
            rows, backlog = self._health.rows()
            for row in rows:
                lines.append(f"  {row.connector}: {row.level} — {row.message}")
            lines.append(f"  outbox: {backlog.pending} waiting, {backlog.failed} failed")
        except Exception as exc:  # a broken database is what support needs to hear about
            lines.append(f"  could not read: {exc}")
        lines.append("")
        lines.append("settings changed from their defaults:")
        try:
            exported = self._settings.export()["settings"]
            lines += [f"  {key} = {json.dumps(value)}" for key, value in exported.items()]
        except Exception as exc:
            lines.append(f"  could not read: {exc}")
        lines.append("")
        lines.append(f"last {LOG_LINES} log lines:")
        lines += [f"  {line}" for line in self._log_tail()]
        return self._secrets.redact("\n".join(lines))

    def _url_without_secrets(self) -> str:
        if not self._url:
            return "SQLite in the data folder"
        from sqlalchemy.engine import make_url
        return make_url(self._url).render_as_string(hide_password=True)

    def _keyring(self) -> str:
        try:
            name = self._secrets.backend_name()
        except Exception as exc:
            return f"unknown ({exc})"
        return name + ("" if self._secrets.available() else " (NOT usable: no secrets)")

    @staticmethod
    def _size(path: Path) -> str:
        try:
            return f"{path.stat().st_size / 1_048_576:.1f} MB"
        except OSError:
            return "n/a"

    def _log_tail(self) -> list[str]:
        path = self._data_dir / "logs" / "frontdesk.log"
        try:
            with path.open(encoding="utf-8", errors="replace") as log:
                return [line.rstrip("\n") for line in deque(log, LOG_LINES)]
        except OSError:
            return ["(no log yet)"]
