"""The Change log tab: every state change, newest first, and a chain check."""

from __future__ import annotations

from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from desktop.ui.models.changelog_model import ChangeLogModel

SHOWN = 2000


class ChangeLogTab(QWidget):
    def __init__(self, app, runner, zone, parent=None):
        super().__init__(parent)
        self._app, self._runner = app, runner
        self.model = ChangeLogModel(zone, self)
        self.table = QTableView(objectName="changeLogTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for column, width in enumerate((60, 130, 130, 150, 120)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.verify_button = QPushButton("Verify chain", objectName="verifyButton")
        self.verify_button.clicked.connect(self.verify)
        self.verdict = QLabel(objectName="verdict")
        intro = QLabel("Every change the desk, its workers and its people make, sealed with "
                       f"the hash of the entry before it. Newest {SHOWN} shown.",
                       objectName="formHint")
        bar = QHBoxLayout()
        bar.addWidget(intro)
        bar.addStretch()
        bar.addWidget(self.verdict)
        bar.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(bar)
        layout.addWidget(self.table)

    def refresh(self) -> None:
        self._runner.submit(self._app.changelog.rows, SHOWN, True, on_done=self.model.set_rows)

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
