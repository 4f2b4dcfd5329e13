"""The first-run setup (QWizard): the shop, its phone system, its CRM, the owner passcode
and a test notification, then the queue. Shown while no phone system is chosen, and from
Settings ("Run setup again…") with what is already set.

Every page checks itself before Next (SetupService says what is wrong, next to the
field); a phone system or CRM must pass "Test connection" with the credentials as typed
before the setup moves on. Back keeps everything typed: the pages are never rebuilt.
Nothing is stored until Finish; then secrets go to the keyring, settings to the database.
"""

from __future__ import annotations

import logging
import zoneinfo

from shiboken6 import isValid
from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QTimeEdit, QVBoxLayout,
                               QWizard, QWizardPage)

from desktop import APP_NAME
from desktop.config import CONNECTOR_FIELDS, CRM_LABELS, PHONE_LABELS
from desktop.domain.changelog import person
from desktop.domain.crm import CRM_SCOPES
from desktop.domain.oncall import WEEKDAYS
from desktop.services.setup import SHOP_TRADES, SetupDraft, SetupProblem

log = logging.getLogger(__name__)
US_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
            "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
            "America/Puerto_Rico")
DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
             "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}
TRADE_NAMES = {"plumbing": "Plumbing", "hvac": "Heating and cooling (HVAC)",
               "electrical": "Electrical"}
SCOPE_NAMES = {"crm:search": "Look up customers (duplicate warnings)",
               "crm:create_contact": "Add new customers",
               "crm:create_lead": "Add leads",
               "crm:add_note": "Add notes to a customer",
               "crm:update_contact": "Change existing customers (off unless you need it)",
               "crm:read_jobs": "Read jobs (booked-job figures in Outcomes)"}
OK_STYLE, BAD_STYLE = "color: #067647; font-weight: 600;", "color: #d92d20; font-weight: 600;"


def _error_label(name: str) -> QLabel:
    label = QLabel(objectName=name, wordWrap=True)
    label.setStyleSheet("color: #d92d20;")
    return label


class BusinessPage(QWizardPage):
    def __init__(self, draft: SetupDraft, wizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Your shop")
        self.setSubTitle("Callers hear this name in texts; opening hours decide when "
                         "callbacks are planned and emergencies escalate.")
        self.name = QLineEdit(draft.business_name if draft.business_name != "My Shop" else "",
                              objectName="businessName", placeholderText="Riverside Plumbing")
        self.zone = QComboBox(objectName="timeZone", editable=True)
        zones = list(US_ZONES) + sorted(z for z in zoneinfo.available_timezones()
                                        if z not in US_ZONES and "/" in z)
        self.zone.addItems(zones)
        self.zone.setCurrentText(draft.timezone or "America/Chicago")
        self.days: dict[str, tuple[QCheckBox, QTimeEdit, QTimeEdit]] = {}
        hours = QGridLayout()
        for row, day in enumerate(WEEKDAYS):
            span = (draft.hours.get(day) or "").strip()
            opens, closes = (span.split("-") + ["17:00"])[:2] if span else ("08:00", "17:00")
            check = QCheckBox(DAY_NAMES[day], objectName=f"open_{day}", checked=bool(span))
            start = QTimeEdit(QTime.fromString(opens, "HH:mm"), objectName=f"opens_{day}")
            end = QTimeEdit(QTime.fromString(closes, "HH:mm"), objectName=f"closes_{day}")
            for edit in (start, end):
                edit.setDisplayFormat("h:mm AP")
                edit.setEnabled(bool(span))
                check.toggled.connect(edit.setEnabled)
            hours.addWidget(check, row, 0)
            hours.addWidget(start, row, 1)
            hours.addWidget(QLabel("to"), row, 2)
            hours.addWidget(end, row, 3)
            self.days[day] = (check, start, end)
        self.trades = {t: QCheckBox(TRADE_NAMES[t], objectName=f"trade_{t}",
                                    checked=t in draft.trades) for t in SHOP_TRADES}
        trade_row = QHBoxLayout()
        for box in self.trades.values():
            trade_row.addWidget(box)
        trade_row.addStretch()
        self.error = _error_label("businessError")
        form = QFormLayout(self)
        form.addRow("Shop name", self.name)
        form.addRow("Time zone", self.zone)
        form.addRow("Opening hours", hours)
        form.addRow("Trades", trade_row)
        form.addRow(self.error)

    def fill(self, draft: SetupDraft) -> None:
        draft.business_name = self.name.text()
        draft.timezone = self.zone.currentText().strip()
        draft.hours = {day: (f"{start.time().toString('HH:mm')}-{end.time().toString('HH:mm')}"
                             if check.isChecked() else "")
                       for day, (check, start, end) in self.days.items()}
        draft.trades = [t for t, box in self.trades.items() if box.isChecked()]

    def validatePage(self) -> bool:
        self.fill(self.wiz.draft)
        problems = self.wiz.service.check_business(self.wiz.draft)
        self.error.setText("\n".join(problems.values()))
        return not problems


class ConnectionPage(QWizardPage):
    """A provider, its credentials and a Test connection that must pass before Next.
    Shared by the phone and CRM pages; `kind` is "phone" or "crm"."""

    tested = Signal(bool, str)

    def __init__(self, draft: SetupDraft, wizard, kind: str, labels: dict[str, str],
                 stored: set[str]):
        super().__init__()
        self.wiz, self.kind, self.stored = wizard, kind, stored
        self._passed: tuple | None = None  # what the last passing test was run with
        self._testing = False
        self.provider = QComboBox(objectName=f"{kind}Provider")
        self.provider.addItem("Choose…", "")
        for key, label in labels.items():
            self.provider.addItem(label, key)
        current = draft.phone_provider if kind == "phone" else draft.crm_provider
        index = self.provider.findData(current)
        self.provider.setCurrentIndex(max(index, 0))
        self.inputs: dict[str, QLineEdit] = {}
        self.rows: dict[str, tuple[QLabel, QLineEdit]] = {}
        self.form = QFormLayout()
        self.form.addRow("System", self.provider)
        values = draft.phone_values if kind == "phone" else draft.crm_values
        for provider in labels:
            for f in CONNECTOR_FIELDS[provider]:
                edit = QLineEdit(objectName=f.key)
                if f.secret:
                    edit.setEchoMode(QLineEdit.EchoMode.Password)
                    edit.setPlaceholderText("stored in Windows Credential Manager — leave "
                                            "blank to keep" if f.key in stored else f.hint)
                else:
                    edit.setText(str(values.get(f.key, "")))
                    edit.setPlaceholderText(f.hint)
                label = QLabel(f.label)
                self.form.addRow(label, edit)
                self.inputs[f.key] = edit
                self.rows[f.key] = (label, edit)
                edit.textChanged.connect(self._changed)
        base = draft.phone_base_url if kind == "phone" else draft.crm_base_url
        self.base_url = QLineEdit(base, objectName=f"{kind}BaseUrl",
                                  placeholderText="leave empty for the vendor's own address")
        self.base_url.textChanged.connect(self._changed)
        self.form.addRow("API address (advanced)", self.base_url)
        self.test_button = QPushButton("Test connection", objectName=f"{kind}Test")
        self.test_button.clicked.connect(self.test)
        self.result = QLabel(objectName=f"{kind}Result", wordWrap=True)
        self.error = _error_label(f"{kind}Error")
        self.keyring_note = _error_label(f"{kind}KeyringNote")
        self.keyring_note.hide()
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result, 1)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.keyring_note)
        self.layout_.addLayout(self.form)
        self.layout_.addLayout(test_row)
        self.layout_.addWidget(self.error)
        self.provider.currentIndexChanged.connect(self._provider_changed)
        self._provider_changed()

    def key(self) -> str:
        return self.provider.currentData() or ""

    def _provider_changed(self, *_args) -> None:
        chosen = {f.key for f in CONNECTOR_FIELDS.get(self.key(), ())}
        for key, (label, edit) in self.rows.items():
            label.setVisible(key in chosen)
            edit.setVisible(key in chosen)
        self.test_button.setEnabled(bool(self.key()) and self.needs_test())
        self.base_url.setEnabled(bool(self.key()) and self.needs_test())
        self._changed()

    def _changed(self, *_args) -> None:
        if self._passed is not None and self._passed != self._signature():
            self.result.setText("Changed since the test: test the connection again.")
            self.result.setStyleSheet("")
        self.completeChanged.emit()

    def _signature(self) -> tuple:
        self.fill(self.wiz.draft)
        chosen = [f.key for f in CONNECTOR_FIELDS.get(self.key(), ())]
        return (self.key(), self.base_url.text().strip(),
                tuple(self.inputs[k].text() for k in chosen))

    def fill(self, draft: SetupDraft) -> None:
        chosen = CONNECTOR_FIELDS.get(self.key(), ())
        values = {f.key: self.inputs[f.key].text().strip() for f in chosen if not f.secret}
        for f in chosen:
            if f.secret:
                draft.secrets[f.key] = self.inputs[f.key].text().strip()
        if self.kind == "phone":
            draft.phone_provider, draft.phone_values = self.key(), values
            draft.phone_base_url = self.base_url.text().strip()
        else:
            draft.crm_provider, draft.crm_values = self.key(), values
            draft.crm_base_url = self.base_url.text().strip()

    def needs_test(self) -> bool:
        return self.kind == "phone" or self.key() != "builtin"

    def test(self) -> None:
        if self._testing or not self.key():
            return
        signature = self._signature()
        problems = self._problems()
        if problems:
            self.error.setText("\n".join(problems.values()))
            return
        self.error.setText("")
        self._testing = True
        self.test_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText("Testing…")
        service = self.wiz.service
        fn = service.test_phone if self.kind == "phone" else service.test_crm
        draft = self.wiz.draft_copy()
        self.wiz.runner.submit(fn, draft, on_done=lambda r: self._tested(r, signature),
                               on_error=lambda exc: self._tested(exc, signature))

    def _tested(self, result, signature) -> None:
        if not isValid(self):
            return
        self._testing = False
        self.test_button.setEnabled(self.needs_test())
        ok = getattr(result, "ok", False)
        message = result.message if hasattr(result, "message") else f"The test failed: {result}"
        rotated = getattr(result, "rotated", {}) or {}
        if rotated:
            # The provider renewed a credential and the old one no longer works (Jobber's
            # refresh token): the box holds the new one from now on, so Finish stores it
            # and the next test uses it, whether or not this test passed.
            for key, value in rotated.items():
                if key in self.inputs:
                    self.inputs[key].blockSignals(True)
                    self.inputs[key].setText(value)
                    self.inputs[key].blockSignals(False)
            signature = self._signature() if signature[0] == self.key() else signature
        if ok:
            self._passed = signature if signature == self._signature() else None
        self.result.setText(("✔ " if ok else "✘ ") + message)
        self.result.setStyleSheet(OK_STYLE if ok else BAD_STYLE)
        self.completeChanged.emit()
        self.tested.emit(ok, message)

    def _problems(self) -> dict[str, str]:
        self.fill(self.wiz.draft)
        service = self.wiz.service
        check = service.check_phone if self.kind == "phone" else service.check_crm
        return check(self.wiz.draft, self.stored)

    def isComplete(self) -> bool:
        return bool(self.key())

    def validatePage(self) -> bool:
        problems = self._problems()
        if problems:
            self.error.setText("\n".join(problems.values()))
            return False
        if self.needs_test() and self._passed != self._signature():
            self.error.setText("Test the connection first: the setup goes on once it works.")
            return False
        self.error.setText("")
        return True


class CrmPage(ConnectionPage):
    """The CRM, plus a review of the lead -> CRM field map and what Front Desk may do."""

    def __init__(self, draft: SetupDraft, wizard, stored: set[str]):
        super().__init__(draft, wizard, "crm", CRM_LABELS, stored)
        self.setTitle("Where leads go")
        self.setSubTitle("Your CRM, or the built-in one. Front Desk sends each lead once "
                         "and only does what you allow below.")
        self.map_table = QTableWidget(0, 2, objectName="fieldMap")
        self.map_table.setHorizontalHeaderLabels(["Lead field", "Goes to"])
        self.map_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.map_table.verticalHeader().hide()
        self.map_table.setMaximumHeight(220)
        self.map_problem = _error_label("fieldMapProblem")
        self.scopes = {s: QCheckBox(SCOPE_NAMES.get(s, s), objectName=f"scope_{s}",
                                    checked=s in draft.crm_scopes) for s in CRM_SCOPES}
        allowed = QGroupBox("Front Desk may")
        column = QVBoxLayout(allowed)
        for box in self.scopes.values():
            column.addWidget(box)
        review = QHBoxLayout()
        mapping = QVBoxLayout()
        mapping.addWidget(QLabel("Field map"))
        mapping.addWidget(self.map_table)
        mapping.addWidget(self.map_problem)
        review.addLayout(mapping, 3)
        review.addWidget(allowed, 2)
        self.layout_.addLayout(review)
        self.provider.currentIndexChanged.connect(self.load_map)
        self._map_problems: list[str] = []
        self.load_map()

    def fill(self, draft: SetupDraft) -> None:
        super().fill(draft)
        if hasattr(self, "scopes"):
            draft.crm_scopes = [s for s, box in self.scopes.items() if box.isChecked()]

    def load_map(self, *_args) -> None:
        if not self.key():
            return
        self.fill(self.wiz.draft)
        provider = self.key()
        self._map_problems = ["The field map is still loading."]
        self.wiz.runner.submit(self.wiz.service.field_map, self.wiz.draft_copy(),
                               on_done=lambda answer: self._map_loaded(answer, provider),
                               on_error=lambda exc: self._map_failed(exc, provider))

    def _map_failed(self, exc: Exception, provider: str) -> None:
        if not isValid(self) or provider != self.key():
            return
        self._map_problems = [f"The field map could not be read: {exc}"]
        self.map_problem.setText(self._map_problems[0])

    def _map_loaded(self, answer, provider: str) -> None:
        if not isValid(self) or provider != self.key():
            return  # an answer for a CRM no longer chosen
        rows, unmapped = answer
        self.map_table.setRowCount(len(rows))
        for n, (lead_field, target) in enumerate(rows):
            self.map_table.setItem(n, 0, QTableWidgetItem(lead_field))
            self.map_table.setItem(n, 1, QTableWidgetItem(target))
        self._map_problems = [f"{CRM_LABELS[self.key()]} requires {t}, and no lead field "
                              "goes to it (change crm.field_map in Settings)."
                              for t in unmapped]
        self.map_problem.setText("\n".join(self._map_problems))

    def validatePage(self) -> bool:
        if not super().validatePage():
            return False
        if self._map_problems:
            self.error.setText(self._map_problems[0])
            return False
        return True


class OwnerPage(QWizardPage):
    def __init__(self, wizard, is_set: bool):
        super().__init__()
        self.wiz, self.is_set = wizard, is_set
        # Set but not given (a first setup finished halfway before): ask for it.
        self.ask_current = is_set and not wizard.passcode
        self.setTitle("Owner passcode")
        self.setSubTitle("Revenue, the ROI model, exports and every setting are behind it. "
                         "Only the owner should know it." if not is_set else
                         "A passcode is set. Type a new one to change it, or leave both "
                         "empty to keep it.")
        self.current = QLineEdit(objectName="currentPasscode",
                                 placeholderText="the owner passcode set earlier")
        self.passcode = QLineEdit(objectName="newPasscode", placeholderText="owner passcode")
        self.repeat = QLineEdit(objectName="repeatPasscode", placeholderText="the same again")
        for edit in (self.current, self.passcode, self.repeat):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = _error_label("passcodeError")
        form = QFormLayout(self)
        if self.ask_current:
            form.addRow("Current passcode", self.current)
        form.addRow("New passcode" if is_set else "Passcode", self.passcode)
        form.addRow("Again", self.repeat)
        form.addRow(self.error)

    def fill(self, draft: SetupDraft) -> None:
        draft.new_passcode, draft.repeat_passcode = self.passcode.text(), self.repeat.text()
        draft.current_passcode = self.current.text() if self.ask_current else ""

    def validatePage(self) -> bool:
        self.fill(self.wiz.draft)
        problems = self.wiz.service.check_passcode(self.wiz.draft, self.is_set,
                                                   self.ask_current)
        self.error.setText("\n".join(problems.values()))
        return not problems


class FinishPage(QWizardPage):
    """A test notification, then Finish stores everything."""

    def __init__(self, wizard):
        super().__init__()
        self.wiz = wizard
        self.setTitle("Notifications, and done")
        self.setSubTitle("Emergencies and failed leads pop up on this PC. Check that you "
                         "can see one, then press Finish to open the queue.")
        self.notify_button = QPushButton("Send a test notification", objectName="testNotify")
        self.notify_button.clicked.connect(self.send_test)
        self.notify_result = QLabel(objectName="notifyResult", wordWrap=True)
        self.error = _error_label("applyError")
        layout = QVBoxLayout(self)
        layout.addWidget(self.notify_button)
        layout.addWidget(self.notify_result)
        layout.addStretch()
        layout.addWidget(self.error)

    def send_test(self) -> None:
        self.wiz.runner.submit(self.wiz.notifier.notify, APP_NAME,
                               "Notifications work: emergencies will show like this.",
                               on_done=self._sent, on_error=lambda exc: self._sent(exc))

    def _sent(self, how) -> None:
        if not isValid(self):
            return
        words = {"plyer": "✔ Sent: it should be showing in the corner of the screen.",
                 "fallback": "✔ Shown in Front Desk's own window: the system's notifications "
                             "are not available here, so alerts use the app and its tray icon.",
                 "log": "✘ Could not be shown: alerts will still be in the app's banner."}
        self.notify_result.setText(words.get(how, f"✘ The test failed: {how}"))


class SetupWizard(QWizard):
    applied = Signal()  # everything is stored: the desk opens (or reopens) the queue

    def __init__(self, service, notifier, runner, who: str, draft: SetupDraft,
                 stored: set[str], owner_set: bool, passcode: str | None = None, parent=None):
        """`draft`, `stored` (secrets in the keyring) and `owner_set` are read by the
        caller off the UI thread; `passcode`: the owner's, when re-run from Settings."""
        super().__init__(parent)
        self.service, self.notifier, self.runner, self.who = service, notifier, runner, who
        self.draft = draft
        self.passcode = passcode
        self._applying = False
        self.setObjectName("setupWizard")
        self.setWindowTitle(f"{APP_NAME} setup")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.resize(760, 640)
        self.business = BusinessPage(draft, self)
        self.phone = ConnectionPage(draft, self, "phone", PHONE_LABELS, stored)
        self.phone.setTitle("Your phone system")
        self.phone.setSubTitle("Front Desk reads missed calls from it (and sends the texts "
                               "you allow). The credentials go to Windows Credential "
                               "Manager, never to a file.")
        self.crm = CrmPage(draft, self, stored)
        self.owner = OwnerPage(self, owner_set)
        self.finish = FinishPage(self)
        for page in (self.business, self.phone, self.crm, self.owner, self.finish):
            self.addPage(page)

    def bring_forward(self) -> None:
        """A second launch of the app while the setup is open."""
        self.show()
        self.raise_()
        self.activateWindow()

    def draft_copy(self) -> SetupDraft:
        """A copy for a worker thread (the pages keep editing the original)."""
        from copy import deepcopy
        return deepcopy(self.draft)

    def accept(self) -> None:
        """Finish: store it all on a worker; the wizard stays open until it is stored."""
        if self._applying:
            return
        for page in (self.business, self.phone, self.crm, self.owner):
            page.fill(self.draft)
        self._applying = True
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.finish.error.setText("Saving…")
        self.runner.submit(self.service.apply, self.draft_copy(), person(self.who),
                           self.passcode, on_done=self._applied, on_error=self._refused)

    def reject(self) -> None:
        if not self._applying:
            super().reject()

    def _applied(self, _result) -> None:
        if not isValid(self):
            return
        self._applying = False
        self.finish.error.setText("")
        self.applied.emit()
        super().accept()

    def _refused(self, exc: Exception) -> None:
        if not isValid(self):
            return
        self._applying = False
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        if isinstance(exc, SetupProblem):
            self.finish.error.setText("Not saved: " + " ".join(exc.problems.values()))
        else:
            self.finish.error.setText(f"Not saved: {exc}")


def open_setup(app, runner, who: str, passcode: str | None = None, parent=None,
               on_ready=None) -> None:
    """Read what is set (on a worker), then build and show the wizard; `on_ready(wizard)`
    gets it (the caller connects `applied`)."""
    service = app.setup

    def read():
        return (service.draft(), service.stored_secrets(), service.owner_is_set(),
                service.keyring_problem())

    def show(answer):
        draft, stored, owner_set, keyring_problem = answer
        wizard = SetupWizard(service, app.notifier, runner, who, draft, stored, owner_set,
                             passcode, parent)
        if keyring_problem:
            for page in (wizard.phone, wizard.crm):
                page.keyring_note.setText("⚠ " + keyring_problem)
                page.keyring_note.show()
        wizard.show()
        if on_ready is not None:
            on_ready(wizard)

    def failed(exc):
        log.error("the setup could not read the current settings: %s", exc)
        show((SetupDraft(), set(), False, f"The current settings could not be read: {exc}"))

    runner.submit(read, on_done=show, on_error=failed)

