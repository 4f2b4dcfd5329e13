"""The owner's text-back settings: the approved template with a live preview, the switch,
and the permission to send texts. Saving needs the owner passcode (checked by the
settings service, not here)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit,
                               QPlainTextEdit, QVBoxLayout)

from desktop.domain.changelog import person
from desktop.domain.followup import TEXT_LIMIT, TEXTBACK_FIELDS, FollowUpError
from desktop.services.followup import preview_textback
from desktop.services.texting import SEND_SMS
SAMPLE_CALLER = "Maria Lopez"


class TextBackDialog(QDialog):
    saved = Signal()

    def __init__(self, app, runner, who: str, rules, settings, parent=None):
        """`rules` and `settings` are read by the caller on a worker thread."""
        super().__init__(parent)
        self.app, self.runner, self.who = app, runner, who
        self.setWindowTitle("Missed-call text-back (owner)")
        self.setObjectName("textbackDialog")
        self.resize(620, 480)
        self.rules = rules
        self.scopes = list(settings["phone.scopes"])

        intro = QLabel("A missed caller gets one text at once (never a second one while their "
                       "call is open), only between 8 am and 9 pm their time, never after they "
                       "opted out. Fields: " + ", ".join("{" + f + "}" for f in TEXTBACK_FIELDS))
        intro.setWordWrap(True)
        self.template = QPlainTextEdit(settings["textback.template"], objectName="template")
        self.template.textChanged.connect(self.update_preview)
        self.preview = QLabel(objectName="textbackPreview")
        self.preview.setWordWrap(True)
        self.enabled = QCheckBox("Text missed callers at once", objectName="textbackEnabled")
        self.enabled.setChecked(settings["textback.enabled"])
        self.allow = QCheckBox(f"Allow Front Desk to send texts ({SEND_SMS})",
                               objectName="allowTexts")
        self.allow.setChecked(SEND_SMS in self.scopes)
        self.passcode = QLineEdit(objectName="ownerPasscode", placeholderText="owner passcode")
        self.passcode.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel(objectName="formError")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.template)
        layout.addWidget(QLabel("Preview — what a caller gets now:"))
        layout.addWidget(self.preview)
        layout.addWidget(self.enabled)
        layout.addWidget(self.allow)
        layout.addWidget(self.passcode)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.update_preview()

    def update_preview(self) -> None:
        """Re-render on every keystroke: the owner sees exactly what will be sent."""
        try:
            text = preview_textback(self.rules, self.app.clock(), SAMPLE_CALLER,
                                    self.template.toPlainText())
        except FollowUpError as exc:
            self.preview.setText(f"Can't send this: {exc}")
            self.preview.setProperty("invalid", True)
            self._save_button().setEnabled(False)
        else:
            self.preview.setText(f"“{text}”  ({len(text)} of {TEXT_LIMIT} characters)")
            self.preview.setProperty("invalid", False)
            self._save_button().setEnabled(True)
        self.preview.style().polish(self.preview)

    def _save_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Save)

    def save(self) -> None:
        scopes = [s for s in self.scopes if s != SEND_SMS] + ([SEND_SMS] if self.allow.isChecked()
                                                             else [])
        values = {"textback.template": self.template.toPlainText().strip(),
                  "textback.enabled": self.enabled.isChecked(), "phone.scopes": scopes}
        self._save_button().setEnabled(False)
        self.error.setText("Saving…")
        self.runner.submit(self.app.settings_service.set_many, values, person(self.who),
                           "text-back settings edited by the owner", self.passcode.text(),
                           on_done=self._saved, on_error=self._failed)

    def _saved(self, _result) -> None:
        self.app.followup.reread()
        self.saved.emit()
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.error.setText(str(exc))
        self._save_button().setEnabled(True)
