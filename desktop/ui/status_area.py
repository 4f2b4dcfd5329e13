"""The status area: per connector, last good sync or the last error in plain words, and
the outbox backlog. What broke shows here within one poll."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from desktop.services.health import Backlog
from desktop.services.views import HealthRow

DOTS = {"ok": "ok", "warning": "warn", "error": "error", "never": "idle"}


class StatusArea(QWidget):
    def __init__(self, phone_label: str | None, crm_label: str, parent=None):
        super().__init__(parent)
        self.setObjectName("statusArea")
        self.phone_label, self.crm_label = phone_label, crm_label
        self.phone = QLabel(objectName="phoneHealth")
        self.crm = QLabel(objectName="crmHealth")
        self.backlog = QLabel(objectName="backlog")
        self.last_poll = QLabel(objectName="lastPoll")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        for widget in (self.phone, self.crm, self.backlog):
            layout.addWidget(widget)
        layout.addStretch()
        layout.addWidget(self.last_poll)
        self.show_health([], Backlog())

    def show_health(self, rows: list[HealthRow], backlog: Backlog) -> None:
        if self.phone_label is None:
            self._set(self.phone, "● Phone: no provider configured "
                      "(frontdesk config set phone.provider …)", "warning")
        else:
            phone = next((r for r in rows if r.connector.startswith("phone:")), None)
            texts = next((r for r in rows if r.connector.startswith("texts:")), None)
            text = phone.message if phone else "not synced yet"
            level = phone.level if phone else "never"
            if texts is not None and texts.level == "error" and level in ("ok", "warning"):
                # Calls come in but replies do not: opt-outs would be missed, so say so.
                text, level = f"{text}; texts not read: {texts.message}", "warning"
            self._set(self.phone, f"● Phone · {self.phone_label}: {text}", level)
        self._show_crm(rows, backlog)
        self.backlog.setText(f"Outbox: {backlog.waiting} waiting")

    def _show_crm(self, rows: list[HealthRow], backlog: Backlog) -> None:
        """Failed leads first (a person must act), then a failing contact/job sync."""
        prefix = f"● CRM · {self.crm_label}"
        crm_rows = [r for r in rows if r.connector.startswith("crm:")]
        broken = next((r for r in crm_rows if r.level == "error"), None)
        if backlog.failed:
            self._set(self.crm, f"{prefix}: {backlog.failed} lead(s) NOT delivered — "
                      f"{backlog.last_error or 'see the Leads tab'}", "error")
        elif backlog.pending and backlog.last_error:
            self._set(self.crm, f"{prefix}: {backlog.pending} lead(s) waiting to retry — "
                      f"{backlog.last_error}", "warning")
        elif broken is not None:
            self._set(self.crm, f"{prefix}: {broken.message}", "error")
        elif backlog.pending:
            self._set(self.crm, f"{prefix}: sending {backlog.pending} lead(s)…", "ok")
        else:
            synced = next((r for r in crm_rows if r.level == "ok"), None)
            self._set(self.crm, f"{prefix}: " + (synced.message if synced else "ready"), "ok")

    def show_poll(self, text: str) -> None:
        self.last_poll.setText(text)

    @staticmethod
    def _set(label: QLabel, text: str, level: str) -> None:
        label.setText(text)
        label.setToolTip(text)
        label.setProperty("level", DOTS.get(level, "idle"))
        label.style().unpolish(label)
        label.style().polish(label)
