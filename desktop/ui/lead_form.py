"""The lead form: required fields validated live, messages beside each field, duplicate
warnings as the caller's details are typed, an autosaved draft, and nothing typed is lost
when saving fails (or the desk crashes)."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget)

from desktop.domain.address import check_address, parse_address
from desktop.domain.leads import FIELD_LABELS, LEAD_URGENCIES, LeadDraft, LeadInvalid
from desktop.domain.phone import display, to_e164
from desktop.ui.duplicate_panel import DuplicatePanel

log = logging.getLogger(__name__)
CHECK_AFTER_MS = 250   # a pause in typing before the duplicate check
DRAFT_AFTER_MS = 800   # ... and before the draft is saved
DECISION = "_decision"  # the draft key for the answer to the duplicate warnings
MATCHED_FIELDS = ("name", "phone", "email", "service_address")


class LeadForm(QDialog):
    saved = Signal(object)  # the Lead

    checked = Signal()  # a duplicate check landed (tests wait on it)

    def __init__(self, service, runner, who: str, *, service_types, sources, prefill=None,
                 queue_item_id: int | None = None, duplicates=None, writer=None, parent=None):
        super().__init__(parent)
        self.setObjectName("leadForm")
        self.setWindowTitle("New lead")
        self.setMinimumWidth(560)
        self._service, self._runner, self._who = service, runner, who
        self._duplicates = duplicates
        # Draft saves, the discard and the save itself go through one serial worker, in
        # the order they were asked for: a late draft save can never undo a saved lead.
        self._writer = writer or runner
        self._saving = self._save_pending = False
        self.queue_item_id = queue_item_id
        self._touched: set[str] = set()
        self._show_all = False
        self._filling = self._closed = False
        self._checks_sent = self._checks_applied = 0
        # A restored draft's link or "create new anyway" reason, put back once the
        # matches it answered are shown again.
        self._restored_decision: dict | None = None
        self.check_timer = QTimer(self, singleShot=True, interval=CHECK_AFTER_MS)
        self.check_timer.timeout.connect(self.check_duplicates)
        self.draft_timer = QTimer(self, singleShot=True, interval=DRAFT_AFTER_MS)
        self.draft_timer.timeout.connect(self.save_draft)

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
        self.address_parts = QLabel(objectName="addressParts")
        self.duplicates = DuplicatePanel()
        self.duplicates.link_requested.connect(self.link_to)
        self.duplicates.decision_changed.connect(self._decision_changed)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key, widget in self.inputs.items():
            widget.setObjectName(f"lead_{key}")
            label = FIELD_LABELS[key] + (" *" if key in service.required else "")
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(widget)
            if key == "service_address":
                column.addWidget(self.address_parts)
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
        layout.addWidget(self.duplicates)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.inputs["phone"].editingFinished.connect(self._format_phone)
        self.fill(prefill or {})
        self._show_address()
        self.check_duplicates()

    # -- values --------------------------------------------------------------------------
    def fill(self, values: dict, overwrite: bool = True) -> None:
        self._filling = True
        try:
            self._fill(values, overwrite)
        finally:
            self._filling = False

    def _fill(self, values: dict, overwrite: bool) -> None:
        current = self.values()
        for key, value in values.items():
            if not overwrite and current.get(key):
                continue
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
        if not self._filling:
            self._touched.add(key)
            self.draft_timer.start()
        self.refresh_errors()
        if key == "service_address":
            self._show_address()
        if key in MATCHED_FIELDS:
            self.check_timer.start()  # debounced: typing never waits on a check

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

    def _format_phone(self) -> None:
        """Leaving the phone field shows the number the way the shop writes it."""
        text = self.inputs["phone"].text().strip()
        if text and "phone" not in self._service.problems({**self.values(), "phone": text}):
            shown = display(to_e164(text, self._service.region))
            if shown and shown != text:
                self.inputs["phone"].setText(shown)

    def _show_address(self) -> None:
        text = self.values()["service_address"].strip()
        self.address_parts.setVisible(bool(text))
        if not text:
            self.address_parts.setText("")
            return
        parts = parse_address(text)
        shown = [f"{label}: {value}" for label, value in (
            ("Street", parts.street), ("Unit", parts.unit), ("City", parts.city),
            ("State", parts.state), ("Zip", parts.zip)) if value]
        problems = check_address(parts)
        self.address_parts.setText(" · ".join(shown) + "".join(
            f"  ⚠ {p}" for p in problems.values()))

    # -- duplicates ----------------------------------------------------------------------
    def check_duplicates(self) -> None:
        if self._duplicates is None:
            return
        values = self.values()
        self._checks_sent += 1
        number = self._checks_sent
        if not any(values[k].strip() for k in MATCHED_FIELDS):
            self._matches([], number)  # nothing to match: and older answers are void
            return
        self._runner.submit(self._duplicates.check, values,
                            on_done=lambda matches: self._matches(matches, number),
                            on_error=lambda exc: self._check_failed(exc, number))

    def _matches(self, matches, number: int) -> None:
        if self._closed or number < self._checks_applied:
            return  # an older check finished late: the newer one stands
        self._checks_applied = number
        self.duplicates.set_matches(matches)
        if self._restored_decision is not None:
            self._filling = True
            try:
                self._put_back_decision()
            finally:
                self._filling = False
        self.checked.emit()
        if self._save_pending and not self._check_outstanding():
            self._save_pending = False
            self.save()

    def _check_failed(self, exc: Exception, number: int) -> None:
        log.warning("duplicate check failed: %s", exc)
        if not self._closed:
            self._matches(self.duplicates.matches, number)  # keep what was shown

    def _check_outstanding(self) -> bool:
        return self._duplicates is not None and (
            self.check_timer.isActive() or self._checks_applied < self._checks_sent)

    def link_to(self, match) -> None:
        """Use the existing customer: fill the blanks from it; the lead goes onto it."""
        self.duplicates.link(match)
        self.fill({"name": match.name, "phone": match.phone or "", "email": match.email or "",
                   "service_address": match.address or ""}, overwrite=False)
        self._show_address()
        self.draft_timer.start()

    def _decision_changed(self) -> None:
        if self.banner.isVisible() and not self.duplicates.needs_decision():
            self.banner.hide()
        if not self._filling and not self._closed:
            self.draft_timer.start()

    def decision(self) -> dict:
        """The receptionist's answer to the warnings, as the draft keeps it."""
        panel = self.duplicates
        if panel.linked is not None:
            return {"link": [panel.linked.kind, panel.linked.id]}
        if panel.create_anyway.isChecked():
            return {"anyway": panel.reason.text()}
        return {}

    def _put_back_decision(self) -> None:
        decision, self._restored_decision = self._restored_decision, None
        panel = self.duplicates
        if not decision or panel.linked is not None or panel.create_anyway.isChecked():
            return
        if "link" in decision:
            ref = tuple(decision["link"])
            match = next((m for m in panel.matches if (m.kind, m.id) == ref), None)
            if match is not None:
                panel.link(match)
        elif "anyway" in decision and any(m.same_person for m in panel.matches):
            panel.create_anyway.setChecked(True)
            panel.reason.setText(decision["anyway"])

    # -- the draft -----------------------------------------------------------------------
    def restore_draft(self, values: dict | None) -> None:
        if self._closed or not values:
            return
        # The draft wins over the call's prefill (the receptionist corrected the caller-ID
        # name, say); what was typed since the form opened stays.
        self.fill({k: v for k, v in values.items() if k not in self._touched})
        self._touched.update(k for k, v in values.items() if v and k in self.inputs)
        decision = values.get(DECISION)
        if isinstance(decision, dict) and decision:
            self._restored_decision = decision
        self._show_address()
        self.check_duplicates()
        self._say("Your unsaved lead for this caller was restored.")

    def save_draft(self) -> None:
        if self._closed or self._saving:
            return
        self._writer.submit(self._service.save_draft, self._who, self.queue_item_id,
                            {**self.values(), DECISION: self.decision()},
                            on_error=lambda exc: log.warning("draft not saved: %s", exc))

    def done(self, result: int) -> None:
        """Accepted or cancelled: late answers from the worker threads are ignored."""
        self._closed = True
        self.check_timer.stop()
        self.draft_timer.stop()
        super().done(result)

    def reject(self) -> None:
        """Cancel: the draft goes too (a crash keeps it; that is the point). Not while the
        lead is being saved: it is saved either way, and the window must hear of it."""
        if self._saving:
            return
        self.draft_timer.stop()
        self._writer.submit(self._service.discard_draft, self._who, self.queue_item_id,
                            on_error=lambda exc: log.warning("draft not discarded: %s", exc))
        super().reject()

    # -- saving --------------------------------------------------------------------------
    def save(self) -> None:
        if self._saving:
            return
        if self._check_outstanding():  # decide on the matches for what is typed now
            self._save_pending = True
            if self.check_timer.isActive():
                self.check_timer.stop()
                self.check_duplicates()
            return
        self._show_all = True
        problems = self.refresh_errors()
        if problems:
            first = next(k for k in self.inputs if k in problems)
            self.inputs[first].setFocus()
            self._say(f"Please fix {len(problems)} field(s) before saving.")
            return
        if self.duplicates.needs_decision():
            self._say("This caller may already be a customer: link to the existing one, or "
                      "tick \"Create new anyway\" and say why.")
            return
        self.save_button.setEnabled(False)
        self._saving = True
        self.draft_timer.stop()
        linked = self.duplicates.linked
        draft = LeadDraft(values=self.values(), queue_item_id=self.queue_item_id,
                          link_contact_id=linked.id if linked else None,
                          not_duplicate=self.duplicates.override_reason())
        self._writer.submit(self._service.create, draft, self._who,
                            on_done=self._done, on_error=self._failed)

    def _done(self, lead) -> None:
        self._saving = False
        self.saved.emit(lead)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        # Keep everything typed; say what went wrong.
        self._saving = False
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
