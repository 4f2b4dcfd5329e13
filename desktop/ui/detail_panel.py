"""The right-hand panel: who the selected caller is, what they said, what happened so far,
and the actions (claim, called back, resolve, lead form)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QHeaderView, QLabel, QMenu, QPushButton,
                               QTableWidget, QTableWidgetItem, QTextBrowser, QToolButton,
                               QVBoxLayout, QWidget)

from desktop.domain.calls import Outcome
from desktop.domain.followup import TaskKind
from desktop.domain.queue import Disposition, ItemState
from desktop.services.views import ItemDetail
from desktop.ui.formatting import day_and_time, format_duration


class DetailPanel(QWidget):
    claim_requested = Signal(int)
    called_back_requested = Signal(int)
    resolve_requested = Signal(int, str, int)  # item id, disposition, calls she saw
    lead_requested = Signal(int)
    skip_requested = Signal(int)      # follow-up task id (the current callback)
    reassign_requested = Signal(int)  # item id

    def __init__(self, zone, parent=None):
        super().__init__(parent)
        self.setObjectName("detailPanel")
        self.zone = zone
        self.detail: ItemDetail | None = None

        self.name = QLabel(objectName="callerName")
        self.number = QLabel(objectName="callerNumber")
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.number.linkActivated.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))
        self.copy_button = QToolButton(text="Copy", objectName="copyButton")
        self.copy_button.setToolTip("Copy the number (Ctrl+Shift+C)")
        self.copy_button.clicked.connect(self.copy_number)
        self.known = QLabel(objectName="knownContact")
        self.known.setWordWrap(True)
        self.status = QLabel(objectName="itemStatus")
        self.status.setWordWrap(True)

        self.claim_button = QPushButton("Claim", objectName="claimButton")
        self.claim_button.setToolTip("Take this caller (Ctrl+K)")
        self.called_back_button = QPushButton("Called back", objectName="calledBackButton")
        self.called_back_button.setToolTip("You called them and it is not settled yet (Ctrl+B)")
        self.resolve_button = QPushButton("Resolve ▾", objectName="resolveButton")
        self.resolve_button.setToolTip("Close with a disposition (Ctrl+R)")
        self.resolve_menu = QMenu(self)
        for disposition in Disposition:
            action = self.resolve_menu.addAction(disposition.label)
            action.setData(str(disposition))
            action.triggered.connect(lambda _=False, d=str(disposition): self._resolve(d))
        self.resolve_button.setMenu(self.resolve_menu)
        self.lead_button = QPushButton("New lead…", objectName="leadButton")
        self.lead_button.setToolTip("Open the lead form for this caller (Ctrl+L)")
        self.claim_button.clicked.connect(lambda: self._emit(self.claim_requested))
        self.called_back_button.clicked.connect(lambda: self._emit(self.called_back_requested))
        self.lead_button.clicked.connect(lambda: self._emit(self.lead_requested))

        self.transcript = QTextBrowser(objectName="transcript")
        self.transcript.setMaximumHeight(130)
        self.calls = _table(("When", "Direction", "Outcome", "Provider status", "Length"))
        self.history = _table(("When", "Who", "What"))
        self.tasks = _table(("Step", "Due", "How it went", "Note"))
        self.tasks.setMaximumHeight(150)
        self.do_not_text = QLabel(objectName="doNotText")
        self.do_not_text.setWordWrap(True)
        self.skip_button = QPushButton("Skip callback…", objectName="skipButton")
        self.skip_button.setToolTip("Skip the callback the plan is waiting on (say why); the "
                                    "plan moves to its next step")
        self.skip_button.clicked.connect(self._skip)
        self.reassign_button = QPushButton("Reassign…", objectName="reassignButton")
        self.reassign_button.setToolTip("Hand this caller to someone else (say why)")
        self.reassign_button.clicked.connect(lambda: self._emit(self.reassign_requested))

        header = QHBoxLayout()
        header.addWidget(self.number)
        header.addWidget(self.copy_button)
        header.addStretch()
        buttons = QHBoxLayout()
        for button in (self.claim_button, self.called_back_button, self.resolve_button,
                       self.lead_button, self.reassign_button):
            buttons.addWidget(button)
        plan_header = QHBoxLayout()
        plan_header.addWidget(_section("Follow-up plan"))
        plan_header.addStretch()
        plan_header.addWidget(self.skip_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        layout.addWidget(self.name)
        layout.addLayout(header)
        layout.addWidget(self.known)
        layout.addWidget(self.status)
        layout.addWidget(self.do_not_text)
        layout.addLayout(buttons)
        layout.addWidget(_section("Voicemail transcript — review before acting"))
        layout.addWidget(self.transcript)
        layout.addLayout(plan_header)
        layout.addWidget(self.tasks)
        layout.addWidget(_section("Calls"))
        layout.addWidget(self.calls, 2)
        layout.addWidget(_section("History"))
        layout.addWidget(self.history, 2)
        self.show_detail(None)

    def item_id(self) -> int | None:
        return self.detail.row.id if self.detail else None

    def show_detail(self, detail: ItemDetail | None, now=None) -> None:
        self.detail = detail
        enabled = detail is not None and detail.row.state != ItemState.DONE
        for button in (self.claim_button, self.called_back_button, self.resolve_button,
                       self.reassign_button):
            button.setEnabled(enabled)
        self.skip_button.setEnabled(enabled and detail.current_call() is not None)
        self.lead_button.setEnabled(detail is not None and detail.row.lead_id is None)
        self.copy_button.setEnabled(detail is not None)
        if detail is None:
            self.name.setText("No caller selected")
            self.number.setText("")
            self.known.setText("Pick a caller in the queue to see their calls and history.")
            self.status.setText("")
            self.transcript.setPlainText("")
            self.calls.setRowCount(0)
            self.history.setRowCount(0)
            self.tasks.setRowCount(0)
            self.do_not_text.hide()
            return
        row = detail.row
        self.name.setText(row.display_name or "Unknown caller")
        self.number.setText(f'<a href="tel:{row.phone}">{row.phone_display}</a>')
        self.number.setToolTip(f"Call {row.phone_display} with your softphone (Ctrl+Enter)")
        self.known.setText(detail.known_contact or "Not in your customer list yet.")
        self.status.setText(self._status_text(detail))
        self.claim_button.setEnabled(enabled and row.owner is None)
        self.transcript.setPlainText(row.transcript or "No voicemail left.")
        today = (now or row.last_call_at).astimezone(self.zone).date()
        self.calls.setRowCount(len(detail.calls))
        for n, call in enumerate(detail.calls):
            _fill(self.calls, n, (day_and_time(call.started_at, self.zone, today),
                                  call.direction.capitalize(), Outcome(call.outcome).label,
                                  call.raw_status, format_duration(call.duration_s)))
        self.do_not_text.setText(f"Do not text: {detail.do_not_text}" if detail.do_not_text
                                 else "")
        self.do_not_text.setVisible(bool(detail.do_not_text))
        self.tasks.setRowCount(len(detail.tasks))
        for n, task in enumerate(detail.tasks):
            when = task.finished_at if task.state not in ("pending", "sending") else task.due_at
            who = f" by {task.finished_by.split(':', 1)[-1]}" if task.finished_by else ""
            _fill(self.tasks, n, (TaskKind(task.kind).label,
                                  day_and_time(when, self.zone, today),
                                  _TASK_STATES.get(task.state, task.state) + (
                                      who if task.state != "pending" else ""),
                                  task.note or ""))
        self.history.setRowCount(len(detail.history))
        for n, entry in enumerate(reversed(detail.history)):
            who = entry.actor.split(":", 1)[-1]
            what = entry.action.replace("_", " ") + (f" — {entry.summary}" if entry.summary else "")
            _fill(self.history, n, (day_and_time(entry.at, self.zone, today), who, what))

    def _status_text(self, detail: ItemDetail) -> str:
        row = detail.row
        calls = f"{row.calls} missed call" + ("" if row.calls == 1 else "s")
        if row.state == ItemState.DONE:
            return f"{calls}. Resolved ({(row.disposition or '').replace('_', ' ')})."
        owner = f"Claimed by {row.owner}" if row.owner else "Nobody has claimed this caller"
        if row.state == ItemState.WAITING and row.follow_up_at:
            from desktop.ui.formatting import clock_time
            owner += f"; called back, try again at {clock_time(row.follow_up_at, self.zone)}"
        attempts = f" · {row.callback_attempts} callback attempt(s)" if row.callback_attempts else ""
        return f"{calls} · {owner}{attempts}"

    def copy_number(self) -> None:
        if self.detail:
            QGuiApplication.clipboard().setText(self.detail.row.phone)

    def dial(self) -> None:
        if self.detail:
            QDesktopServices.openUrl(QUrl(f"tel:{self.detail.row.phone}"))

    def open_resolve_menu(self) -> None:
        if self.resolve_button.isEnabled():
            self.resolve_button.showMenu()

    def _emit(self, signal) -> None:
        if self.detail:
            signal.emit(self.detail.row.id)

    def _skip(self) -> None:
        task = self.detail.current_call() if self.detail else None
        if task is not None:
            self.skip_requested.emit(task.id)

    def _resolve(self, disposition: str) -> None:
        if self.detail:
            self.resolve_requested.emit(self.detail.row.id, disposition, self.detail.row.calls)


_TASK_STATES = {"pending": "due", "sending": "sending…", "done": "✔ done",
                "skipped": "skipped", "failed": "✘ failed", "cancelled": "not needed"}


def _section(text: str) -> QLabel:
    return QLabel(text, objectName="sectionTitle")


def _table(headers) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.setFrameShape(QFrame.Shape.NoFrame)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


def _fill(table: QTableWidget, row: int, values) -> None:
    for column, value in enumerate(values):
        table.setItem(row, column, QTableWidgetItem(value))
