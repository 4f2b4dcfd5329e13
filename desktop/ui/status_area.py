"""The status area: per connector, last good sync or the last error in plain words, and
the outbox backlog. What broke shows here within one poll."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from desktop.services.views import HealthRow

DOTS = {"ok": "ok", "warning": "warn", "error": "error", "never": "idle"}


class StatusArea(QWidget):
    def __init__(self, phone_label: str | None, crm_label: str, parent=None):
        super().__init__(parent)
        self.setObjectName("statusArea")
        self.phone_label = phone_label
        self.phone = QLabel(objectName="phoneHealth")
        self.crm = QLabel(f"● CRM · {crm_label}: ready", objectName="crmHealth")
        self.crm.setProperty("level", "ok")
        self.backlog = QLabel(objectName="backlog")
        self.last_poll = QLabel(objectName="lastPoll")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        for widget in (self.phone, self.crm, self.backlog):
            layout.addWidget(widget)
        layout.addStretch()
        layout.addWidget(self.last_poll)
        self.show_health([], 0)

    def show_health(self, rows: list[HealthRow], backlog: int) -> None:
        if self.phone_label is None:
            self._set(self.phone, "● Phone: no provider configured "
                      "(frontdesk config set phone.provider …)", "warning")
        else:
            phone = next((r for r in rows if r.connector.startswith("phone:")), None)
            text = phone.message if phone else "not synced yet"
            self._set(self.phone, f"● Phone · {self.phone_label}: {text}",
                      phone.level if phone else "never")
        self.backlog.setText(f"Outbox: {backlog} waiting")

    def show_poll(self, text: str) -> None:
        self.last_poll.setText(text)

    @staticmethod
    def _set(label: QLabel, text: str, level: str) -> None:
        label.setText(text)
        label.setToolTip(text)
        label.setProperty("level", DOTS.get(level, "idle"))
        label.style().unpolish(label)
        label.style().polish(label)
