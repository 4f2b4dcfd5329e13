"""The Change log tab: every state change, newest first, and a chain check."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from desktop.ui.models.base import row_table
from desktop.ui.models.changelog_model import ChangeLogModel

SHOWN = 2000


class ChangeLogTab(QWidget):
    def __init__(self, app, runner, zone, parent=None):
        super().__init__(parent)
        self._app, self._runner = app, runner
        self.model = ChangeLogModel(zone, self)
        self.table = row_table(self.model, "changeLogTable", (60, 130, 130, 150, 120), 5)
        self.verify_button = QPushButton("Verify chain", objectName="verifyButton")
        self.verify_button.clicked.connect(self.verify)
        # A contact update the delivery worker made in the CRM can be put back from here.
        self.revert_button = QPushButton("Revert CRM update", objectName="revertButton",
                                         enabled=False)
        self.revert_button.setToolTip("Put back the customer's values from before this "
                                      "update, in the CRM")
        self.revert_button.clicked.connect(self.revert_selected)
        self.revert_button.setVisible(app.delivery is not None)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.confirm = lambda text: QMessageBox.question(self, "Revert", text) == \
            QMessageBox.StandardButton.Yes
        self.verdict = QLabel(objectName="verdict")
        intro = QLabel("Every change the desk, its workers and its people make, sealed with "
                       f"the hash of the entry before it. Newest {SHOWN} shown.",
                       objectName="formHint")
        bar = QHBoxLayout()
        bar.addWidget(intro)
        bar.addStretch()
        bar.addWidget(self.verdict)
        bar.addWidget(self.revert_button)
        bar.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(bar)
        layout.addWidget(self.table)

    def refresh(self) -> None:
        self._runner.submit(self._app.changelog.rows, SHOWN, True, on_done=self.model.set_rows)

    def selected_entry(self):
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry(rows[0].row()) if rows else None

    def _selection_changed(self, *_args) -> None:
        entry = self.selected_entry()
        self.revert_button.setEnabled(entry is not None and entry.entity == "crm_contact"
                                      and entry.action == "updated")

    def revert_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or self._app.delivery is None:
            return
        before = ", ".join(f"{k} = {v!r}" for k, v in (entry.before or {}).items())
        if not self.confirm(f"Put back {before} on {self._app.crm.label} contact "
                            f"{entry.entity_id}?"):
            return
        self.verdict.setText("Reverting…")
        self._runner.submit(self._app.delivery.revert, entry.seq, self._app.desk_user,
                            on_done=self._reverted,
                            on_error=lambda exc: self.verdict.setText(f"Not reverted: {exc}"))

    def _reverted(self, write) -> None:
        self.verdict.setText(f"Reverted {self._app.crm.label} contact {write.crm_id}")
        self.refresh()

    def verify(self) -> None:
        self.verdict.setText("Checking…")
        self._runner.submit(self._app.changelog.verify, on_done=self._verdict,
                            on_error=lambda exc: self.verdict.setText(f"Could not check: {exc}"))

    def _verdict(self, problem) -> None:
        if problem is None:
            self.verdict.setProperty("level", "ok")
            self.verdict.setText("✔ Chain intact")
        else:
            self.verdict.setProperty("level", "error")
            self.verdict.setText(f"✘ {problem.message}")
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)
