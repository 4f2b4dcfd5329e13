"""The emergency banner in the desk window, over the Twilio fake (real HTTP) and a real
SQLite database: a missed emergency voicemail shows the banner with a notification;
Acknowledge stops the repeats and records who; Confirm and Downgrade are one click each
and go to the change log; after the escalation window the on-call person's text reaches
the fake Twilio -- and does not when the owner withheld phone:send_sms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fakes import as_owner
from fake_twilio import (  # noqa: F401  (fixtures)
    ACCOUNT_SID, AUTH_TOKEN, forwarded, twilio_fake, twilio_server,
)
from PySide6.QtCore import Qt

from desktop.bootstrap import open_app

CALLER = "+17735550142"
ON_CALL = {"name": "Sam Ortiz", "phone": "+13125550199"}
FLOOD = "hi it's maria, water is pouring through the kitchen ceiling, please call me back"


def desk_window(qtbot, tmp_path, fake, clock, *, texts: bool):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import SyncRunner
    first = open_app(tmp_path, clock=clock, log_to_file=False)
    as_owner(first, {
        "phone.provider": "twilio", "phone.twilio.account_sid": ACCOUNT_SID,
        "phone.base_url": fake.url, "business.timezone": "America/Chicago",
        "desk.user": "Dana", "phone.backfill_days": 1,
        "phone.scopes": ["phone:read_calls"] + (["phone:send_sms"] if texts else []),
        "oncall.rota": {day: ON_CALL for day in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                 "sun")},
    })
    first.secrets.set("phone.twilio.auth_token", AUTH_TOKEN)
    first.close()
    app = open_app(tmp_path, clock=clock, log_to_file=False)
    app.notifier.use_plyer = False  # no notification service here: the banner is the alert
    window = MainWindow(app, SyncRunner(), clock=clock)
    qtbot.addWidget(window)
    window.show()
    return app, window


@pytest.fixture
def desk(qtbot, tmp_path, twilio_fake, memory_keyring, ui_clock):
    app, window = desk_window(qtbot, tmp_path, twilio_fake, ui_clock, texts=True)
    yield app, window
    window.close()
    app.close()


def missed_emergency(fake, clock, text=FLOOD, caller=CALLER):
    call = forwarded(fake, caller, clock() - timedelta(minutes=3), [("no-answer", 0)],
                     after=30, caller_name="GONZALEZ MARIA")
    fake.add_voicemail(call, text)


def test_an_emergency_voicemail_shows_the_banner_and_acknowledge_stops_the_repeats(
        qtbot, desk, twilio_fake, ui_clock):
    app, window = desk
    missed_emergency(twilio_fake, ui_clock)
    with qtbot.waitSignal(window.emergency_shown, timeout=5000) as shown:
        window.start()
    assert [a.phone for a in shown.args[0]] == [CALLER]
    banner = window.banner
    assert banner.isVisible() and "EMERGENCY: GONZALEZ MARIA" in banner.headline.text()
    assert "water is pouring through" in banner.headline.text()
    assert "Not acknowledged yet" in banner.state.text()
    assert "On call now: Sam Ortiz" in banner.state.text()
    assert app.notifier.sent and app.notifier.sent[0][0] == "Emergency call"
    row = {r.phone: r for r in window.model.rows()}[CALLER]
    assert row.urgency == "emergency"

    ui_clock.advance(seconds=60)  # a minute on, still nobody: the alert comes again
    with qtbot.waitSignal(window.emergency_shown, timeout=3000):
        window.check_emergencies()
    qtbot.mouseClick(banner.acknowledge_button, Qt.MouseButton.LeftButton)
    assert "Acknowledged by Dana" in banner.state.text()
    assert not banner.acknowledge_button.isVisible()
    ui_clock.advance(seconds=120)
    with qtbot.assertNotEmitted(window.emergency_shown):
        window.check_emergencies()
    entry = [r for r in app.changelog.rows() if r.action == "acknowledged"][-1]
    assert entry.actor == "person:Dana"


def test_confirm_texts_the_on_call_person_and_downgrade_clears_the_banner(
        qtbot, desk, twilio_fake, ui_clock):
    app, window = desk
    missed_emergency(twilio_fake, ui_clock)
    missed_emergency(twilio_fake, ui_clock, "the smoke alarm and the carbon monoxide "
                     "alarm are both going off in the basement", caller="+13125550188")
    window.start()
    assert "+ 1 more" in window.banner.more.text()
    first = window.banner.current
    qtbot.mouseClick(window.banner.confirm_button, Qt.MouseButton.LeftButton)
    assert len(twilio_fake.messages) == 1  # confirmed: texted at once, not after 5 minutes
    assert twilio_fake.messages[0]["to"] == ON_CALL["phone"]
    confirmed = next(a for a in window.banner.alerts if a.id == first.id)
    assert confirmed.decision == "confirmed" and "was texted" in confirmed.status()

    second = next(a for a in window.banner.alerts if a.id != first.id)
    window.downgrade_alert(second.id, "urgent")  # the banner's menu: "Downgrade to urgent"
    assert [a.id for a in window.banner.alerts] == [first.id]
    rows = {r.phone: r for r in window.model.rows()}
    assert rows[second.phone].urgency == "urgent" and rows[first.phone].urgency == "emergency"
    actions = [r.action for r in app.changelog.rows() if r.entity == "emergency_alert"]
    assert "confirmed" in actions and "downgraded" in actions


def test_after_the_window_the_text_reaches_the_provider(qtbot, desk, twilio_fake, ui_clock):
    app, window = desk
    missed_emergency(twilio_fake, ui_clock)
    window.start()
    assert twilio_fake.messages == []
    ui_clock.advance(minutes=app.settings["alerts.escalate_after_minutes"])
    window.check_emergencies()
    [message] = twilio_fake.messages
    assert message["to"] == ON_CALL["phone"] and "GONZALEZ MARIA" in message["body"]
    assert "Sam Ortiz" in window.banner.state.text() and "texted" in window.banner.state.text()


def test_without_the_sms_permission_no_text_is_sent_and_the_banner_says_whom_to_call(
        qtbot, tmp_path, twilio_fake, memory_keyring, ui_clock):
    app, window = desk_window(qtbot, tmp_path, twilio_fake, ui_clock, texts=False)
    missed_emergency(twilio_fake, ui_clock)
    window.start()
    ui_clock.advance(minutes=6)
    window.check_emergencies()
    assert twilio_fake.messages == []
    assert "Call Sam Ortiz (312) 555-0199 now" in window.banner.state.text()
    refused = [r for r in app.changelog.rows() if r.entity == "text_message"]
    assert refused and refused[-1].action == "refused"
    window.close()
    app.close()
