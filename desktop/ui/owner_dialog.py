"""Asks for the owner passcode. The check itself, a slow salted hash, runs on a worker
thread: the dialog stays responsive and says plainly when the passcode is wrong, keeping
the dialog open for another try.

With no passcode set yet, it says how the owner sets one and offers nothing else: whoever
sits at the desk must not be able to make themselves the owner."""

from __future__ import annotations

from shiboken6 import isValid
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout

from desktop.services.owner import OwnerRefused

HOW_TO_SET = ("No owner passcode is set yet. The owner sets one on this PC with "
              "'frontdesk owner passcode' (or in the first-run setup).")


class OwnerPasscodeDialog(QDialog):
    def __init__(self, owner, runner, is_set: bool, what: str, parent=None):
        """`owner`: the OwnerAuth service; `is_set`: whether a passcode exists (read by the
        caller off the UI thread); `what`: what the passcode opens, in words."""
        super().__init__(parent)
        self.owner, self.runner, self.is_set = owner, runner, is_set
        self._busy_now = False
        self.setObjectName("ownerPasscodeDialog")
        self.setWindowTitle("Owner passcode")
        self.setMinimumWidth(420)
        text = f"{what} is for the owner. " + ("Enter the owner passcode." if is_set
                                                else HOW_TO_SET)
        intro = QLabel(text, wordWrap=True, objectName="ownerIntro")
        self.passcode = self._secret("ownerPasscode", "owner passcode")
        self.passcode.setVisible(is_set)
        self.error = QLabel(objectName="formError", wordWrap=True)
        buttons = QDialogButtonBox.StandardButton.Cancel
        if is_set:
            buttons |= QDialogButtonBox.StandardButton.Ok
        self.buttons = QDialogButtonBox(buttons)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.passcode)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _secret(self, name: str, hint: str) -> QLineEdit:
        field = QLineEdit(objectName=name, placeholderText=hint)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        return field

    def submit(self) -> None:
        code = self.passcode.text()
        if not self.is_set or self._busy_now:
            return
        if not code:
            self.error.setText("Type the passcode first.")
            return
        self._busy(True)
        self.runner.submit(self.owner.verify, code, on_done=self._checked,
                           on_error=self._refused)

    def reject(self) -> None:
        if not self._busy_now:  # a check under way finishes first (its answer lands here)
            super().reject()

    def _busy(self, busy: bool) -> None:
        self._busy_now = busy
        self.buttons.setEnabled(not busy)
        if busy:
            self.error.setText("Checking…")

    def _checked(self, ok: bool) -> None:
        if not isValid(self):
            return
        self._busy(False)
        if ok:
            self.error.setText("")
            self.accept()
            return
        self.error.setText("That is not the owner passcode.")
        self.passcode.clear()
        self.passcode.setFocus()

    def _refused(self, exc: Exception) -> None:
        if not isValid(self):
            return
        self._busy(False)
        if isinstance(exc, (OwnerRefused, ValueError)):
            self.error.setText(str(exc))
        else:
            self.error.setText(f"Could not check the passcode: {exc}")


def ask_owner_passcode(owner, runner, what: str, parent, on_accepted, on_error,
                       on_open=None) -> None:
    """Whether a passcode is set is read on a worker; then the dialog opens (`on_open`
    gets it: the caller keeps it, tests type into it) and `on_accepted(passcode)` runs
    once the owner's passcode was checked."""
    def ask(is_set: bool) -> None:
        dialog = OwnerPasscodeDialog(owner, runner, is_set, what, parent)
        dialog.accepted.connect(lambda: on_accepted(dialog.passcode.text()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        if on_open is not None:
            on_open(dialog)
    runner.submit(owner.is_set, on_done=ask, on_error=on_error)
