"""Settings behind the owner passcode, settings export and import, start at login, the
setup run again, and the desk's manners: one instance, the waiting count in the tray,
diagnostics to the clipboard, the About box."""

from __future__ import annotations

import json

import pytest
from fakes import OWNER_PASSCODE, as_owner
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from desktop import __version__
from desktop.adapters.autostart import Autostart
from desktop.bootstrap import open_app
from desktop.domain.changelog import person
from desktop.ui.main_window import badged_icon
from desktop.ui.single_instance import SingleInstance


@pytest.fixture
def owned(window):
    as_owner(window.app, {})  # the owner passcode exists
    return window


@pytest.fixture
def settings(qtbot, owned, tmp_path, monkeypatch):
    """The Settings dialog, opened from the menu with the owner passcode; start at login
    writes into a temporary XDG folder."""
    monkeypatch.setattr("desktop.adapters.autostart.Autostart",
                        lambda: Autostart(["frontdesk"], platform="linux",
                                          config_home=tmp_path / "xdg"))
    owned.open_settings()
    dialog = owned.passcode_dialog
    qtbot.keyClicks(dialog.passcode, OWNER_PASSCODE)
    dialog.submit()
    assert owned.settings_dialog is not None
    return owned.settings_dialog


def test_settings_need_the_owner_passcode(qtbot, owned):
    owned.open_settings()
    dialog = owned.passcode_dialog
    qtbot.keyClicks(dialog.passcode, "not-it")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.error.text() == "That is not the owner passcode."
    assert owned.settings_dialog is None


def test_a_setting_is_checked_as_it_is_saved_and_a_bad_value_stays_to_be_fixed(
        qtbot, settings, owned):
    settings.select("queue.callback_target_minutes")
    assert "Call back within this" in settings.help.text()
    settings.editor.setText("ten")
    settings.save()
    assert "must be a whole number" in settings.message.text()
    assert settings.editor.text() == "ten"  # kept, to be fixed
    settings.editor.setText("7")
    settings.save()
    assert settings.message.text().startswith("Saved queue.callback_target_minutes")
    assert owned.app.settings_service.load()["queue.callback_target_minutes"] == 7
    settings.select("phone.scopes")  # owner-only: the dialog holds the owner's passcode
    settings.editor.setText('["phone:read_calls", "phone:send_sms"]')
    settings.save()
    assert owned.app.settings_service.load()["phone.scopes"] == ["phone:read_calls",
                                                                  "phone:send_sms"]
    settings.filter.setText("textback")
    visible = [settings.table.item(r, 0).text() for r in range(settings.table.rowCount())
               if not settings.table.isRowHidden(r)]
    assert "textback.template" in visible and "queue.callback_target_minutes" not in visible


def test_settings_export_to_a_second_pc_without_secrets(qtbot, settings, owned, tmp_path,
                                                        memory_keyring):
    owned.app.secrets.set("phone.twilio.auth_token", "tw-secret-token-123")
    owned.app.settings_service.set("business.name", "Second Street Heating", person("owner"))
    path = tmp_path / "settings.json"
    settings.export_to(path)
    assert "exported to" in settings.message.text()
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "frontdesk-settings"
    assert document["settings"]["business.name"] == "Second Street Heating"
    assert "tw-secret-token-123" not in path.read_text(encoding="utf-8")
    assert "owner.passcode" not in document["settings"]

    second = open_app(tmp_path / "second-pc", log_to_file=False)
    try:
        second.settings_service.owner.set(OWNER_PASSCODE, None, person("owner"))
        keys = second.settings_service.import_(document, person("owner"), OWNER_PASSCODE)
        assert "business.name" in keys
        assert second.settings_service.load()["business.name"] == "Second Street Heating"
    finally:
        second.close()


def test_a_bad_import_is_named_and_changes_nothing(settings, owned, tmp_path):
    before = owned.app.settings_service.load().values
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "frontdesk-settings", "settings": {
        "business.name": "Fine", "queue.callback_target_minutes": "soon",
        "no.such.setting": 1}}), encoding="utf-8")
    settings.import_from(bad)
    text = settings.message.text()
    assert text.startswith("Not imported: nothing was imported:")
    assert "queue.callback_target_minutes" in text and "no.such.setting" in text
    assert owned.app.settings_service.load().values == before
    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    settings.import_from(junk)
    assert "junk.json is not a settings export" in settings.message.text()


def test_start_at_login_is_switched_from_settings(settings, tmp_path):
    entry = tmp_path / "xdg" / "autostart" / "frontdesk.desktop"
    assert settings.login_box.isEnabled() and not settings.login_box.isChecked()
    settings.login_box.setChecked(True)
    assert entry.exists() and "Exec=frontdesk" in entry.read_text()
    assert settings.message.text() == "Front Desk starts when you log in."
    settings.login_box.setChecked(False)
    assert not entry.exists()


def test_the_setup_runs_again_with_what_is_set_and_asks_for_a_restart(
        qtbot, settings, owned, monkeypatch):
    owned.app.settings_service.set("business.name", "Test Plumbing", person("owner"))
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.No)
    settings.rerun_setup()
    wizard = settings.wizard
    assert wizard.business.name.text() == "Test Plumbing"
    assert wizard.phone.key() == "simulator"
    assert wizard.owner.is_set  # a passcode exists: leaving it empty keeps it
    wizard.next()
    wizard.phone.test_button.click()
    assert wizard.phone.result.text().startswith("✔")
    wizard.next()
    wizard.next()  # the built-in CRM needs no test
    wizard.next()  # passcode kept
    assert wizard.currentPage() is wizard.finish
    with qtbot.waitSignal(wizard.applied):
        wizard.accept()
    assert asked and "setup changed" in asked[0]
    assert owned.app.settings_service.owner.verify(OWNER_PASSCODE)


def test_a_second_launch_brings_the_first_forward(qtbot, tmp_path):
    first = SingleInstance(tmp_path)
    assert first.acquire()
    try:
        with qtbot.waitSignal(first.woken, timeout=3000):
            assert not SingleInstance(tmp_path).acquire()  # it woke the first and stops
        other = SingleInstance(tmp_path / "another-desk")
        assert other.acquire()  # a second data folder runs beside it
        other.release()
    finally:
        first.release()
    again = SingleInstance(tmp_path)  # the first is gone: the next launch runs
    assert again.acquire()
    again.release()


def test_a_restart_takes_the_desks_dialogs_and_tray_with_it(settings, owned):
    assert settings.isVisible()
    owned.restart()
    assert owned.restart_requested and not settings.isVisible()
    assert owned.tray is None or not owned.tray.isVisible()


def test_the_waiting_count_shows_in_the_title_and_the_tray(window):
    rows = window.model.rows()
    assert rows
    waiting = window.open_count
    assert waiting == sum(1 for row in rows if row.state != "done") > 0
    assert f"({waiting} caller" in window.windowTitle()
    window.show_open_count(0)
    assert window.windowTitle().endswith("Test Plumbing")
    icon = badged_icon(QApplication.windowIcon(), 12)
    assert not icon.isNull() and icon.pixmap(64, 64).width() == 64


def test_diagnostics_go_to_the_clipboard_without_secrets(window, memory_keyring):
    window.app.secrets.set("crm.hubspot.token", "pat-na1-diagnostic-secret")
    window.copy_diagnostics()
    text = QApplication.clipboard().text()
    assert text.startswith(f"Front Desk {__version__}")
    assert "data folder:" in text and "connectors:" in text and "phone:simulator" in text
    assert "pat-na1-diagnostic-secret" not in text
    assert "Diagnostics copied" in window.statusBar().currentMessage()


def test_the_about_box_names_the_version_and_data_folder(window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.about()
    assert __version__ in shown[0] and str(window.app.data_dir) in shown[0]


def test_the_menu_holds_settings_diagnostics_and_about(window):
    actions = [a.text() for a in window.menu_button.menu().actions() if a.text()]
    assert actions == ["Settings… (owner)", "Copy diagnostics", "About Front Desk"]
    assert window.menu_button.popupMode() == window.menu_button.ToolButtonPopupMode.InstantPopup
