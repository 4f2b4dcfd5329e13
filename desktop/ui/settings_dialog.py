"""Settings (behind the owner passcode): every setting with what it does, edited one at a
time and checked as it is saved; the setup run again; settings exported to or imported
from a JSON file (never a secret); start at login.

A value that does not fit is refused with the setting's own words, and what was typed
stays in the box to be fixed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from shiboken6 import isValid
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDialog, QFileDialog,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from desktop.config import SETTINGS, SettingError, setting
from desktop.domain.changelog import person
from desktop.services.owner import OwnerRefused

log = logging.getLogger(__name__)


def show_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class SettingsDialog(QDialog):
    restart_needed = Signal(str)  # why: the window restarts the desk on the new setup

    def __init__(self, app, runner, who: str, passcode: str, autostart, parent=None):
        super().__init__(parent)
        self.app, self.runner, self.who, self.passcode = app, runner, who, passcode
        self.autostart = autostart
        self.values: dict[str, object] = {}
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings (owner)")
        self.resize(980, 640)

        self.setup_button = QPushButton("Run setup again…", objectName="rerunSetup")
        self.setup_button.clicked.connect(self.rerun_setup)
        self.export_button = QPushButton("Export settings…", objectName="exportSettings")
        self.export_button.clicked.connect(self.choose_export)
        self.import_button = QPushButton("Import settings…", objectName="importSettings")
        self.import_button.clicked.connect(self.choose_import)
        self.login_box = QCheckBox("Start Front Desk when I log in", objectName="startAtLogin")
        self.login_box.setEnabled(False)
        self.login_box.toggled.connect(self.set_autostart)
        top = QHBoxLayout()
        for widget in (self.setup_button, self.export_button, self.import_button):
            top.addWidget(widget)
        top.addStretch()
        top.addWidget(self.login_box)

        self.filter = QLineEdit(objectName="settingsFilter",
                                placeholderText="Find a setting (name or what it does)")
        self.filter.textChanged.connect(self._filter)
        self.table = QTableWidget(0, 2, objectName="settingsTable")
        self.table.setHorizontalHeaderLabels(["Setting", "Value"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._selected)
        self.help = QLabel(objectName="settingHelp", wordWrap=True)
        self.editor = QLineEdit(objectName="settingValue")
        self.editor.returnPressed.connect(self.save)
        self.save_button = QPushButton("Save", objectName="saveSetting", enabled=False)
        self.save_button.clicked.connect(self.save)
        self.message = QLabel(objectName="settingsMessage", wordWrap=True)
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.editor, 1)
        edit_row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.help)
        layout.addLayout(edit_row)
        layout.addWidget(self.message)
        self.reload()
        self.runner.submit(self.autostart.enabled, on_done=self._autostart_read,
                           on_error=lambda exc: self._say(f"Start at login: {exc}", True))

    # -- the table -----------------------------------------------------------------------
    def reload(self) -> None:
        self.runner.submit(self.app.settings_service.load, on_done=self._loaded,
                           on_error=lambda exc: self._say(f"Could not read the settings: {exc}",
                                                          True))

    def _loaded(self, settings) -> None:
        if not isValid(self):
            return
        selected = self.selected_key()
        self.values = {key: settings[key] for key in SETTINGS}
        self.table.setRowCount(len(self.values))
        for row, (key, value) in enumerate(self.values.items()):
            name = QTableWidgetItem(key)
            name.setToolTip(SETTINGS[key].help)
            shown = QTableWidgetItem(show_value(value))
            if not settings.is_default(key):
                font = name.font()
                font.setBold(True)
                name.setFont(font)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, shown)
        self._filter(self.filter.text())
        if selected:
            self.select(selected)

    def _filter(self, text: str) -> None:
        words = text.lower().strip()
        for row in range(self.table.rowCount()):
            key = self.table.item(row, 0).text()
            hit = not words or words in key.lower() or words in SETTINGS[key].help.lower()
            self.table.setRowHidden(row, not hit)

    def select(self, key: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() == key:
                self.table.selectRow(row)
                return

    def selected_key(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).text() if rows else None

    def _selected(self) -> None:
        key = self.selected_key()
        self.save_button.setEnabled(key is not None)
        if key is None:
            self.help.setText("")
            return
        spec = SETTINGS[key]
        owner = " (owner only)" if spec.owner_only else ""
        self.help.setText(f"<b>{key}</b>{owner}: {spec.help} Default: "
                          f"{show_value(spec.default) or '(empty)'}")
        self.editor.setText(show_value(self.values.get(key, spec.default)))

    # -- saving one --------------------------------------------------------------------
    def save(self) -> None:
        key = self.selected_key()
        if key is None:
            return
        try:
            value = setting(key).parse(self.editor.text())
        except (SettingError, ValueError) as exc:
            self._say(str(exc), True)  # what was typed stays in the box
            return
        self.save_button.setEnabled(False)
        self.runner.submit(self.app.settings_service.set, key, value, person(self.who),
                           None, self.passcode, on_done=lambda v: self._saved(key),
                           on_error=self._refused)

    def _saved(self, key: str) -> None:
        if not isValid(self):
            return
        self.save_button.setEnabled(True)
        self._say(f"Saved {key}. Connections and timers use it after a restart of Front "
                  "Desk; the queue and the forms use it at once where they can.")
        self.reload()

    def _refused(self, exc: Exception) -> None:
        if not isValid(self):
            return
        self.save_button.setEnabled(True)
        self._say(str(exc) if isinstance(exc, (ValueError, OwnerRefused))
                  else f"Not saved: {exc}", True)

    def _say(self, text: str, problem: bool = False) -> None:
        if isValid(self):
            self.message.setText(text)
            self.message.setStyleSheet("color: #d92d20;" if problem else "color: #067647;")

    # -- export and import ---------------------------------------------------------------
    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export settings to…",
                                              str(Path.home() / "frontdesk-settings.json"),
                                              "JSON (*.json)")
        if path:
            self.export_to(path)

    def export_to(self, path) -> None:
        self.runner.submit(self.app.settings_service.export_to, path, on_done=lambda n: self._say(
            f"{n} setting(s) exported to {path}. Credentials are not in it: they stay in "
            "this PC's Credential Manager."),
            on_error=lambda exc: self._say(f"Could not export: {exc}", True))

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import settings from…", str(Path.home()),
                                              "JSON (*.json)")
        if path:
            self.import_from(path)

    def import_from(self, path) -> None:
        service, who, passcode = self.app.settings_service, person(self.who), self.passcode
        self.runner.submit(lambda: service.import_(service.read_export(path), who, passcode),
                           on_done=self._imported,
                           on_error=lambda exc: self._say(f"Not imported: {exc}", True))

    def _imported(self, keys) -> None:
        self._say(f"{len(keys)} setting(s) imported. Restart Front Desk to use them all.")
        self.reload()
        self.restart_needed.emit("settings imported")

    # -- the setup, start at login -------------------------------------------------------
    def rerun_setup(self) -> None:
        from desktop.ui.setup_wizard import open_setup

        def ready(wizard):
            wizard.applied.connect(lambda: self._setup_applied(wizard))
            self.wizard = wizard  # tests drive it
        open_setup(self.app, self.runner, self.who, self.passcode, self, on_ready=ready)

    def _setup_applied(self, wizard) -> None:
        if wizard.draft.new_passcode:  # the owner changed it: this dialog's saves need it
            self.passcode = wizard.draft.new_passcode
        self.restart_needed.emit("setup changed")

    def _autostart_read(self, on: bool) -> None:
        if not isValid(self):
            return
        self.login_box.blockSignals(True)
        self.login_box.setChecked(on)
        self.login_box.blockSignals(False)
        self.login_box.setEnabled(True)

    def set_autostart(self, on: bool) -> None:
        self.runner.submit(self.autostart.set, on, on_done=lambda _r: self._say(
            "Front Desk starts when you log in." if on else
            "Front Desk no longer starts at login."),
            on_error=lambda exc: self._say(f"Start at login: {exc}", True))

