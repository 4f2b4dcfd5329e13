"""The Leads tab: every lead with its delivery state. A lead that could not reach the CRM
is flagged with the CRM's message in plain words and a one-click Retry."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.ui.book_job_dialog import BookJobDialog
from desktop.ui.models.base import row_table
from desktop.ui.models.leads_model import LeadsModel

SHOWN = 2000


class LeadsTab(QWidget):
    retried = Signal()  # a retry was recorded: the window runs the delivery worker now
    loaded = Signal(int)  # after each refresh: how many leads are flagged failed
    job_booked = Signal(object)  # a job was booked from a lead (built-in CRM)

    def __init__(self, app, runner, zone, parent=None):
        super().__init__(parent)
        self._app, self._runner = app, runner
        self.book_dialog = None
        self.model = LeadsModel(zone, self)
        self.table = row_table(self.model, "leadsTable",
                               (50, 110, 160, 130, 150, 130, 130, 100), 8)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        delivers = app.delivery is not None
        where = (f"delivered to {app.crm.label} by the delivery worker" if delivers
                 else "saved straight into the built-in CRM")
        self.banner = QLabel(objectName="deliveryBanner", wordWrap=True)
        self.banner.hide()
        self.summary = QLabel(f"Leads are {where}.", objectName="formHint")
        self.retry_button = QPushButton("Retry", objectName="retryButton", enabled=False)
        self.retry_button.setToolTip("Send the selected failed lead again now")
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button = QPushButton("Retry all failed", objectName="retryAllButton",
                                            enabled=False)
        self.retry_all_button.clicked.connect(self.retry_all)
        self.retry_button.setVisible(delivers)
        self.retry_all_button.setVisible(delivers)
        # The built-in CRM books jobs here; another CRM books them itself (and its jobs
        # come back with the CRM sync).
        self.book_button = QPushButton("Book job…", objectName="bookJobButton", enabled=False)
        self.book_button.setToolTip("Book a job from the selected lead in the built-in CRM")
        self.book_button.clicked.connect(self.book_selected)
        self.book_button.setVisible(not delivers)
        self.problem = QLabel(objectName="leadProblem", wordWrap=True)
        bar = QHBoxLayout()
        bar.addWidget(self.summary)
        bar.addStretch()
        bar.addWidget(self.retry_button)
        bar.addWidget(self.retry_all_button)
        bar.addWidget(self.book_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.banner)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        layout.addWidget(self.problem)

    def refresh(self) -> None:
        self._runner.submit(self._app.leads.all, SHOWN, on_done=self._loaded)

    def _loaded(self, rows) -> None:
        selected = self.selected_lead()
        self.model.set_rows(rows)
        failed = self.model.failed_count()
        self.retry_all_button.setEnabled(failed > 0)
        self.banner.setVisible(failed > 0)
        self.banner.setText(f"✘ {failed} lead(s) did not reach {self._app.crm.label}. The "
                            "reason is beside each one; fix it if it asks you to, then Retry."
                            if failed else "")
        if selected is not None:
            for row in range(self.model.rowCount()):
                if self.model.lead(row).id == selected.id:
                    self.table.selectRow(row)
                    break
        self._selection_changed()
        self.loaded.emit(failed)

    def selected_lead(self):
        rows = self.table.selectionModel().selectedRows()
        return self.model.lead(rows[0].row()) if rows else None

    def _selection_changed(self, *_args) -> None:
        lead = self.selected_lead()
        can_retry = (lead is not None and self._app.delivery is not None
                     and lead.delivery_state != "delivered")
        self.retry_button.setEnabled(can_retry)
        self.book_button.setEnabled(lead is not None and lead.crm_provider == "builtin")
        if lead is None or not lead.last_error:
            self.problem.setText("")
            return
        when = (f" Next try {lead.next_attempt_at.astimezone(self.model.zone):%H:%M:%S}."
                if lead.next_attempt_at and lead.delivery_state != "delivered" else "")
        self.problem.setText(f"Lead {lead.id}, {lead.name}: {lead.last_error} "
                             f"({lead.attempts} attempt(s)).{when}")

    def retry_selected(self) -> None:
        lead = self.selected_lead()
        if lead is not None:
            self._runner.submit(self._app.delivery.retry, lead.id, self._app.desk_user,
                                on_done=self._retried, on_error=self._failed)

    def retry_all(self) -> None:
        self._runner.submit(self._app.delivery.retry_all_failed, self._app.desk_user,
                            on_done=self._retried, on_error=self._failed)

    def _retried(self, _result) -> None:
        self.refresh()
        self.retried.emit()

    def _failed(self, exc: Exception) -> None:
        self.problem.setText(f"Could not retry: {exc}")

    def book_selected(self) -> None:
        lead = self.selected_lead()
        if lead is None or lead.crm_provider != "builtin":
            return
        dialog = BookJobDialog(self._app, self._runner, self._app.desk_user, lead,
                               self.model.zone, self)
        dialog.booked.connect(self._booked)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.book_dialog = dialog

    def _booked(self, job) -> None:
        self.problem.setText(f"Job booked: {job.title}, ${job.revenue_cents / 100:,.2f}.")
        self.job_booked.emit(job)
