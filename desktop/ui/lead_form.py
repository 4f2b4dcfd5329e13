"""The lead form: required fields validated live, messages beside each field, and nothing
typed is lost when saving fails."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget)

from desktop.domain.leads import FIELD_LABELS, LEAD_URGENCIES, LeadDraft, LeadInvalid
from desktop.domain.phone import display


class LeadForm(QDialog):
    saved = Signal(object)  # the Lead

    def __init__(self, service, runner, who: str, *, service_types, sources, prefill=None,
                 queue_item_id: int | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("leadForm")
        self.setWindowTitle("New lead")
        self.setMinimumWidth(520)
        self._service, self._runner, self._who = service, runner, who
        self.queue_item_id = queue_item_id
        self._touched: set[str] = set()
        self._show_all = False

        self.inputs: dict[str, QWidget] = {
            "name": QLineEdit(placeholderText="First and last name"),
            "phone": QLineEdit(placeholderText="(312) 555-0123"),
            "email": QLineEdit(placeholderText="optional"),
            "service_address": QLineEdit(placeholderText="Street, unit, city, state, zip"),
            "service_type": _combo(service_types, "Pick a service…"),
            "urgency": _combo([str(u) for u in LEAD_URGENCIES], "How urgent is it?"),
            "source": _combo(sources, "How did they find us?"),
            "notes": QPlainTextEdit(placeholderText="What's going on, best time to call, "
                                    "gate code…"),
        }
        self.inputs["notes"].setMaximumHeight(90)
        self.errors = {key: QLabel(objectName="fieldError") for key in self.inputs}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key, widget in self.inputs.items():
            widget.setObjectName(f"lead_{key}")
            label = FIELD_LABELS[key] + (" *" if key in service.required else "")
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(widget)
            column.addWidget(self.errors[key])
            self.errors[key].hide()
            form.addRow(label, column)
            _on_change(widget, lambda k=key: self._changed(k))

        self.banner = QLabel(objectName="formBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Save lead")
        self.save_button.setObjectName("saveLead")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        title = QLabel("New lead", objectName="formTitle")
        hint = QLabel("Fields marked * are required.", objectName="formHint")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.fill(prefill or {})

    # -- values --------------------------------------------------------------------------
    def fill(self, values: dict) -> None:
        for key, value in values.items():
            if value and key in self.inputs:
                widget = self.inputs[key]
                if key == "phone":
                    value = display(value) or value
                if isinstance(widget, QComboBox):
                    index = widget.findText(value)
                    if index < 0:
                        widget.addItem(value)
                        index = widget.count() - 1
                    widget.setCurrentIndex(index)
                elif isinstance(widget, QPlainTextEdit):
                    widget.setPlainText(value)
                else:
                    widget.setText(value)

    def values(self) -> dict[str, str]:
        out = {}
        for key, widget in self.inputs.items():
            if isinstance(widget, QComboBox):
                out[key] = widget.currentText() if widget.currentIndex() > 0 else ""
            elif isinstance(widget, QPlainTextEdit):
                out[key] = widget.toPlainText()
            else:
                out[key] = widget.text()
        return out

    # -- validation ----------------------------------------------------------------------
    def _changed(self, key: str) -> None:
        self._touched.add(key)
        self.refresh_errors()

    def refresh_errors(self) -> dict[str, str]:
        problems = self._service.problems(self.values())
        for key, label in self.errors.items():
            message = problems.get(key) if (self._show_all or key in self._touched) else None
            label.setText(message or "")
            label.setVisible(bool(message))
            self.inputs[key].setProperty("invalid", bool(message))
            self.inputs[key].style().unpolish(self.inputs[key])
            self.inputs[key].style().polish(self.inputs[key])
        return problems

    def save(self) -> None:
        self._show_all = True
        problems = self.refresh_errors()
        if problems:
            first = next(k for k in self.inputs if k in problems)
            self.inputs[first].setFocus()
            self._say(f"Please fix {len(problems)} field(s) before saving.")
            return
        self.save_button.setEnabled(False)
        draft = LeadDraft(values=self.values(), queue_item_id=self.queue_item_id)
        self._runner.submit(self._service.create, draft, self._who,
                            on_done=self._done, on_error=self._failed)

    def _done(self, lead) -> None:
        self.saved.emit(lead)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        # Keep everything typed; say what went wrong.
        self.save_button.setEnabled(True)
        if isinstance(exc, LeadInvalid):
            self._show_all = True
            self.refresh_errors()
        self._say(f"The lead was not saved: {exc}")

    def _say(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()


def _combo(options, prompt: str) -> QComboBox:
    combo = QComboBox()
    combo.addItem(prompt)
    combo.addItems(list(options))
    return combo


def _on_change(widget, callback) -> None:
    if isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(lambda _i: callback())
    else:
        widget.textChanged.connect(lambda *_: callback())
