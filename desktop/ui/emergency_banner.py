"""The emergency banner across the top of the desk: who is calling, why triage thinks it is
an emergency, where the alert stands (acknowledged? the on-call person texted, or whom to
call), and one click to acknowledge, confirm or downgrade it. It shows the oldest open
alert first and says how many more are waiting."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton,
                               QVBoxLayout)

from desktop.services.emergencies import AlertView


class EmergencyBanner(QFrame):
    acknowledge_requested = Signal(int)
    confirm_requested = Signal(int)
    downgrade_requested = Signal(int, str)   # alert id, "urgent" or "routine"
    open_requested = Signal(int)             # the caller's queue item

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("emergencyBanner")
        self.alerts: list[AlertView] = []
        self.headline = QLabel(objectName="emergencyHeadline")
        self.detail = QLabel(objectName="emergencyDetail")
        self.detail.setWordWrap(True)
        self.state = QLabel(objectName="emergencyState")
        self.state.setWordWrap(True)
        self.more = QLabel(objectName="emergencyMore")
        self.acknowledge_button = QPushButton("Acknowledge", objectName="acknowledgeButton")
        self.acknowledge_button.setToolTip("I've got it: stop the repeated alerts")
        self.confirm_button = QPushButton("Confirm emergency", objectName="confirmButton")
        self.confirm_button.setToolTip("It is an emergency: the on-call person is texted now")
        self.downgrade_button = QToolButton(objectName="downgradeButton",
                                            text="Not an emergency ▾")
        self.downgrade_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.downgrade_button)
        # The alert shown when the menu opened is the one downgraded, even if a newer
        # alert takes the banner while the menu is open.
        self._menu_alert: int | None = None
        menu.aboutToShow.connect(lambda: setattr(
            self, "_menu_alert", self.current.id if self.current else None))
        for urgency in ("urgent", "routine"):
            menu.addAction(f"Downgrade to {urgency}",
                           lambda u=urgency: self._downgrade(u))
        self.downgrade_button.setMenu(menu)
        self.open_button = QPushButton("Show caller", objectName="showCallerButton")
        self.acknowledge_button.clicked.connect(
            lambda: self.current and self.acknowledge_requested.emit(self.current.id))
        self.confirm_button.clicked.connect(
            lambda: self.current and self.confirm_requested.emit(self.current.id))
        self.open_button.clicked.connect(
            lambda: self.current and self.open_requested.emit(self.current.queue_item_id))

        text = QVBoxLayout()
        text.setSpacing(2)
        for label in (self.headline, self.detail, self.state, self.more):
            text.addWidget(label)
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 10, 16, 10)
        row.addLayout(text, 1)
        for button in (self.open_button, self.acknowledge_button, self.confirm_button,
                       self.downgrade_button):
            row.addWidget(button)
        self.hide()

    @property
    def current(self) -> AlertView | None:
        return self.alerts[0] if self.alerts else None

    def show_alerts(self, alerts: list[AlertView]) -> None:
        """The open alerts, oldest first: the ones nobody has acknowledged come first."""
        self.alerts = sorted(alerts, key=lambda a: (a.acknowledged_by is not None,
                                                    a.raised_at))
        alert = self.current
        self.setVisible(alert is not None)
        if alert is None:
            return
        self.headline.setText(f"⚠ {alert.headline()}")
        heard = f"“{alert.transcript[:220]}”" if alert.transcript else "No voicemail."
        self.detail.setText(f"{heard}  (triage: {alert.confidence:.0%} sure; "
                            + "; ".join(alert.reasons[1:3] or ("emergency criteria",)) + ")")
        on_call = f" On call now: {alert.on_call}." if alert.on_call else \
            " Nobody is on call on the rota."
        self.state.setText(alert.status() + "." + on_call)
        self.more.setText(f"+ {len(self.alerts) - 1} more emergency alert(s)"
                          if len(self.alerts) > 1 else "")
        self.more.setVisible(len(self.alerts) > 1)
        self.acknowledge_button.setVisible(alert.acknowledged_by is None)
        self.confirm_button.setVisible(alert.decision is None)
        self.downgrade_button.setVisible(alert.decision is None)

    def _downgrade(self, urgency: str) -> None:
        alert_id = self._menu_alert if self._menu_alert is not None else (
            self.current.id if self.current else None)
        self._menu_alert = None
        if alert_id is not None:
            self.downgrade_requested.emit(alert_id, urgency)
