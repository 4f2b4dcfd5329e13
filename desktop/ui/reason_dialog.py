"""Small dialogs that ask for a reason: reassigning a caller, skipping a callback.

OK stays disabled until every field is filled, so a reason can't be left out by accident."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QVBoxLayout)


class ReasonDialog(QDialog):
    def __init__(self, title: str, intro: str, parent=None, *, ask_person: bool = False,
                 people: list[str] = (), reason_hint: str = ""):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("reasonDialog")
        self.person = None
        form = QFormLayout()
        if ask_person:
            self.person = QComboBox(objectName="reasonPerson", editable=True)
            self.person.addItems(list(people))
            self.person.setCurrentText("")
            self.person.lineEdit().setPlaceholderText("who takes it over")
            self.person.currentTextChanged.connect(self._check)
            form.addRow("To", self.person)
        self.reason = QLineEdit(objectName="reasonText", placeholderText=reason_hint)
        self.reason.textChanged.connect(self._check)
        form.addRow("Why", self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        label = QLabel(intro)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._check()

    def values(self) -> tuple[str, str]:
        who = self.person.currentText().strip() if self.person else ""
        return who, self.reason.text().strip()

    def _check(self) -> None:
        who, why = self.values()
        ok = bool(why) and (self.person is None or bool(who))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
