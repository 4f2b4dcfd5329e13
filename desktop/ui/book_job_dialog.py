"""Book a job from a lead in the built-in CRM: what the work is, what it is worth, when.
The job carries the lead, so the Outcomes tab counts it as booked from that call. A
problem is named in the dialog and what was typed stays."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from shiboken6 import isValid
from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (QDateTimeEdit, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QFormLayout, QLabel, QLineEdit, QVBoxLayout)

from desktop.domain.changelog import person


class BookJobDialog(QDialog):
    booked = Signal(object)  # the Job

    def __init__(self, app, runner, who: str, lead, zone, parent=None):
        super().__init__(parent)
        self.app, self.runner, self.who, self.lead, self.zone = app, runner, who, lead, zone
        self._saving = False
        self.setObjectName("bookJobDialog")
        self.setWindowTitle(f"Book a job for {lead.name}")
        self.setMinimumWidth(440)
        self.title = QLineEdit(lead.service_type, objectName="jobTitle")
        self.value = QDoubleSpinBox(objectName="jobValue")
        self.value.setRange(0, 1_000_000)
        self.value.setDecimals(2)
        self.value.setPrefix("$ ")
        self.value.setGroupSeparatorShown(True)
        tomorrow = app.clock().astimezone(zone).date() + timedelta(days=1)
        start = datetime.combine(tomorrow, time(9))  # wall time in the shop's zone
        self.when = QDateTimeEdit(QDateTime(start), objectName="jobWhen")
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd MMM d, yyyy  h:mm AP")
        self.error = QLabel(objectName="formError", wordWrap=True)
        form = QFormLayout()
        form.addRow("Work", self.title)
        form.addRow("Value", self.value)
        form.addRow("Scheduled", self.when)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Book job")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Lead {lead.id}: {lead.name}, {lead.service_address}",
                                wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        if self._saving:
            return
        scheduled = self.when.dateTime().toPython().replace(tzinfo=self.zone)
        self._saving = True
        self.buttons.setEnabled(False)
        self.runner.submit(self.app.builtin.book_job, self.lead.id, self.title.text(),
                           self.value.value(), self.app.clock(), person(self.who), scheduled,
                           on_done=self._booked, on_error=self._refused)

    def reject(self) -> None:
        if not self._saving:  # a booking under way lands here first: it is never lost
            super().reject()

    def _booked(self, job) -> None:
        if not isValid(self):
            return
        self._saving = False
        self.buttons.setEnabled(True)
        self.booked.emit(job)
        self.accept()

    def _refused(self, exc: Exception) -> None:
        if not isValid(self):
            return
        self._saving = False
        self.buttons.setEnabled(True)
        self.error.setText(str(exc) if isinstance(exc, ValueError)
                           else f"Could not book the job: {exc}")
