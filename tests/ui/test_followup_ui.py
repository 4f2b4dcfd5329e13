"""Follow-up in the desk window, over the Twilio fake (real HTTP) and a real SQLite
database: the text-back goes through Twilio once, the plan shows in the detail panel, a
STOP texted to the shop marks the caller "do not text", skipping and reassigning ask for
a reason, and the owner's text-back dialog previews the message and needs the passcode."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fake_twilio import (  # noqa: F401  (fixtures)
    ACCOUNT_SID, AUTH_TOKEN, forwarded, twilio_fake, twilio_server,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from desktop.bootstrap import open_app
from desktop.domain.changelog import person
from desktop.ui.reason_dialog import ReasonDialog

CALLER = "+17735550142"
PASSCODE = "1234-owner"


@pytest.fixture
def desk(qtbot, tmp_path, twilio_fake, memory_keyring, ui_clock):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import SyncRunner
    first = open_app(tmp_path, clock=ui_clock, log_to_file=False)
    first.settings_service.owner.set(PASSCODE, None, person("owner"))
    first.settings_service.set_many({
        "phone.provider": "twilio", "phone.twilio.account_sid": ACCOUNT_SID,
        "phone.base_url": twilio_fake.url, "business.timezone": "America/Chicago",
        "business.name": "Riverside Plumbing", "desk.user": "Dana", "phone.backfill_days": 1,
        "phone.scopes": ["phone:read_calls", "phone:send_sms"], "textback.enabled": True,
    }, person("owner"), passcode=PASSCODE)
    first.secrets.set("phone.twilio.auth_token", AUTH_TOKEN)
    first.close()
    twilio_fake.now = ui_clock  # the fake dates the texts it sends by our clock
    app = open_app(tmp_path, clock=ui_clock, log_to_file=False)
    app.notifier.use_plyer = False
    window = MainWindow(app, SyncRunner(), clock=ui_clock)
    qtbot.addWidget(window)
    window.show()
    yield app, window
    window.close()
    app.close()


def missed(fake, clock, caller=CALLER, minutes_ago=3):
    return forwarded(fake, caller, clock() - timedelta(minutes=minutes_ago), [("no-answer", 0)],
                     after=30, caller_name="Maria Lopez")


def sent_to(fake, number):
    return [m for m in fake.messages if m["to"] == number and m["direction"] != "inbound"]


def test_the_text_back_goes_once_and_the_plan_shows_in_the_panel(qtbot, desk, twilio_fake,
                                                                 ui_clock):
    app, window = desk
    missed(twilio_fake, ui_clock)
    window.start()  # poll, then the follow-up pass
    texts = sent_to(twilio_fake, CALLER)
    assert len(texts) == 1 and texts[0]["body"].startswith("Hi Maria, this is Riverside")
    missed(twilio_fake, ui_clock, minutes_ago=1)  # she rings again
    window.poll()
    window.follow_up()
    assert len(sent_to(twilio_fake, CALLER)) == 1  # still one text

    window.queue_tab.select_item(window.model.rows()[0].id)
    panel = window.queue_tab.detail
    qtbot.waitUntil(lambda: panel.tasks.rowCount() == 2)
    cells = [[panel.tasks.item(r, c).text() for c in range(3)] for r in range(2)]
    assert cells[0][0] == "Text-back" and cells[0][2].startswith("✔ done")
    assert cells[1][0] == "Callback" and cells[1][2] == "due"
    assert panel.skip_button.isEnabled()


def test_a_stop_text_marks_the_caller_do_not_text(qtbot, desk, twilio_fake, ui_clock):
    app, window = desk
    app.settings_service.set("textback.enabled", False, person("owner"), passcode=PASSCODE)
    app.followup.reread()
    missed(twilio_fake, ui_clock)
    twilio_fake.add_text(CALLER, "Stop texting me please", ui_clock() - timedelta(seconds=30))
    window.start()
    assert "on the do-not-text list" in window.statusBar().currentMessage()
    window.queue_tab.select_item(window.model.rows()[0].id)
    panel = window.queue_tab.detail
    qtbot.waitUntil(lambda: panel.do_not_text.isVisible())
    assert "opted out" in panel.do_not_text.text() and "Stop texting me" in panel.do_not_text.text()
    confirmation = sent_to(twilio_fake, CALLER)
    assert len(confirmation) == 1 and "unsubscribed" in confirmation[0]["body"]


def test_skip_and_reassign_ask_for_a_reason(qtbot, desk, twilio_fake, ui_clock, monkeypatch):
    app, window = desk
    missed(twilio_fake, ui_clock)
    window.start()
    item_id = window.model.rows()[0].id

    dialog = ReasonDialog("Reassign", "…", ask_person=True, people=["Lee"])
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.person.setCurrentText("Lee")
    assert not ok.isEnabled()  # still no reason
    qtbot.keyClicks(dialog.reason, "Lee knows this customer")
    assert ok.isEnabled()

    answers = iter([("", "she texted: call after 3 pm"), ("Lee", "Lee knows this customer")])

    def fill_and_accept(self):
        who, why = next(answers)
        if self.person is not None:
            self.person.setCurrentText(who)
        self.reason.setText(why)
        return QDialog.DialogCode.Accepted
    monkeypatch.setattr(ReasonDialog, "exec", fill_and_accept)
    window.queue_tab.select_item(item_id)
    panel = window.queue_tab.detail
    qtbot.waitUntil(lambda: panel.skip_button.isEnabled())
    qtbot.mouseClick(panel.skip_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.reassign_button, Qt.MouseButton.LeftButton)
    tasks = app.followup.tasks_of(item_id)
    skipped = [t for t in tasks if t.state == "skipped"]
    assert skipped and skipped[0].note == "she texted: call after 3 pm"
    assert skipped[0].finished_by == "person:Dana"
    assert window.model.row_for(item_id).owner == "Lee"
    entry = [e for e in app.changelog.rows() if e.action == "reassigned"][-1]
    assert entry.reason == "Lee knows this customer" and entry.actor == "person:Dana"


def test_the_owner_dialog_previews_the_text_and_needs_the_passcode(qtbot, desk, ui_clock):
    app, window = desk
    dialog = window.open_textback_settings()
    assert "“Hi Maria, this is Riverside Plumbing." in dialog.preview.text()
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    dialog.template.setPlainText("Hi{first_name}! {business} here about {job}. Reply STOP")
    assert "Can't send this" in dialog.preview.text() and "{job}" in dialog.preview.text()
    assert not save.isEnabled()
    dialog.template.setPlainText("Hi{first_name}, {business} here. We'll call "
                                 "{callback_window}. Reply STOP to opt out.")
    assert "Hi Maria, Riverside Plumbing here. We'll call within the hour." in \
        dialog.preview.text()
    dialog.enabled.setChecked(False)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)  # no passcode
    assert "passcode" in dialog.error.text() and dialog.isVisible()
    assert app.settings_service.load()["textback.enabled"] is True  # nothing changed
    dialog.passcode.setText(PASSCODE)
    with qtbot.waitSignal(dialog.saved, timeout=3000):
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    stored = app.settings_service.load()
    assert stored["textback.enabled"] is False
    assert stored["textback.template"].startswith("Hi{first_name}, {business} here.")


def test_the_status_area_says_when_texts_cannot_be_read(qtbot):
    """Calls still come in, but a broken message listing would miss opt-outs: say so."""
    from desktop.services.health import Backlog
    from desktop.services.views import HealthRow
    from desktop.ui.status_area import StatusArea
    area = StatusArea("Twilio", "Built-in CRM")
    qtbot.addWidget(area)
    ok = HealthRow("phone:twilio", "ok", None, None, "synced just now")
    area.show_health([ok], Backlog())
    assert area.phone.text() == "● Phone · Twilio: synced just now"
    broken = HealthRow("texts:twilio", "error", None, "Twilio refused the API key",
                       "Twilio refused the API key")
    area.show_health([ok, broken], Backlog())
    assert "texts not read: Twilio refused the API key" in area.phone.text()
    assert area.phone.property("level") == "warn"
