"""Asks for the owner passcode (or, the first time, sets one). The check itself, a slow
salted hash, runs on a worker thread: the dialog stays responsive and says plainly when
the passcode is wrong, keeping the dialog open for another try."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout

from desktop.domain.changelog import person
from desktop.services.owner import MIN_LENGTH, OwnerRefused


class OwnerPasscodeDialog(QDialog):
    def __init__(self, owner, runner, who: str, is_set: bool, what: str, parent=None):
        """`owner`: the OwnerAuth service; `is_set`: whether a passcode exists (read by the
        caller off the UI thread); `what`: what the passcode opens, in words."""
        super().__init__(parent)
        self.owner, self.runner, self.who, self.is_set = owner, runner, who, is_set
        self.setObjectName("ownerPasscodeDialog")
        self.setWindowTitle("Owner passcode")
        self.setMinimumWidth(420)
        if is_set:
            text = f"{what} is for the owner. Enter the owner passcode."
        else:
            text = (f"{what} is for the owner, and no owner passcode is set yet. Choose one "
                    f"(at least {MIN_LENGTH} characters): it will also guard the owner's "
                    "settings.")
        intro = QLabel(text, wordWrap=True)
        self.passcode = self._secret("ownerPasscode", "owner passcode" if is_set
                                     else "new owner passcode")
        self.repeat = self._secret("ownerPasscodeRepeat", "the same again")
        self.repeat.setVisible(not is_set)
        self.error = QLabel(objectName="formError", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.passcode)
        layout.addWidget(self.repeat)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _secret(self, name: str, hint: str) -> QLineEdit:
        field = QLineEdit(objectName=name, placeholderText=hint)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        return field

    def submit(self) -> None:
        code = self.passcode.text()
        if not code:
            self.error.setText("Type the passcode first.")
            return
        if not self.is_set:
            if len(code) < MIN_LENGTH:
                self.error.setText(f"The passcode needs at least {MIN_LENGTH} characters.")
                return
            if code != self.repeat.text():
                self.error.setText("The two passcodes are not the same.")
                return
            self._busy(True)
            self.runner.submit(self.owner.set, code, None, person(self.who),
                               on_done=lambda _r: self._checked(True),
                               on_error=self._refused)
            return
        self._busy(True)
        self.runner.submit(self.owner.verify, code, on_done=self._checked,
                           on_error=self._refused)

    def _busy(self, busy: bool) -> None:
        self.buttons.setEnabled(not busy)
        if busy:
            self.error.setText("Checking…")

    def _checked(self, ok: bool) -> None:
        self._busy(False)
        if ok:
            self.error.setText("")
            self.accept()
            return
        self.error.setText("That is not the owner passcode.")
        self.passcode.clear()
        self.passcode.setFocus()

    def _refused(self, exc: Exception) -> None:
        self._busy(False)
        if isinstance(exc, (OwnerRefused, ValueError)):
            self.error.setText(str(exc))
        else:
            self.error.setText(f"Could not check the passcode: {exc}")
