"""The first-run setup, walked as an installer does, against the loopback CallRail and
HubSpot fakes: a failing Test connection and its message, Back keeping what was typed,
and Finish storing settings in the database and secrets in the keyring only."""

from __future__ import annotations

import json

import pytest
from fake_callrail import (  # noqa: F401  (callrail_server, callrail_fake: fixtures)
    ACCOUNT_ID, API_KEY, callrail_fake, callrail_server)
from fake_hubspot import hubspot  # noqa: F401  (fixture)
from fake_jobber import jobber  # noqa: F401  (fixture)
from PySide6.QtWidgets import QWizard

from desktop.adapters.notify import Notifier
from desktop.bootstrap import open_app
from desktop.ui.setup_wizard import SetupWizard, open_setup
from desktop.ui.workers import SyncRunner

NEW_PASSCODE = "wrench-4417"


@pytest.fixture
def fresh(tmp_path, memory_keyring):
    app = open_app(tmp_path / "data", log_to_file=False)
    yield app
    app.close()


@pytest.fixture
def wizard(qtbot, fresh):
    shown = []
    fresh.notifier = Notifier(fallback=lambda title, text: shown.append((title, text)),
                              use_plyer=False)
    open_setup(fresh, SyncRunner(), "Dana", on_ready=shown.append)
    wiz = shown.pop()
    assert isinstance(wiz, SetupWizard)
    qtbot.addWidget(wiz)
    wiz.notifications = shown
    return wiz


def type_into(qtbot, edit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


def fill_business(qtbot, wiz) -> None:
    page = wiz.business
    type_into(qtbot, page.name, "Riverside Plumbing & Heating")
    page.zone.setCurrentText("America/Chicago")
    page.days["sat"][0].setChecked(True)  # open Saturdays too
    for trade, box in page.trades.items():
        box.setChecked(trade != "electrical")


def choose(page, key: str) -> None:
    page.provider.setCurrentIndex(page.provider.findData(key))


def test_a_new_desk_needs_the_setup(fresh):
    assert fresh.setup.needed()


def test_each_page_says_what_is_missing_before_next(qtbot, wizard):
    wiz = wizard
    assert wiz.currentPage() is wiz.business
    type_into(qtbot, wiz.business.name, "")
    for box in wiz.business.trades.values():
        box.setChecked(False)
    wiz.next()
    assert wiz.currentPage() is wiz.business
    assert "Type the shop's name" in wiz.business.error.text()
    assert "Pick at least one trade" in wiz.business.error.text()
    fill_business(qtbot, wiz)
    wiz.next()
    assert wiz.currentPage() is wiz.phone
    assert not wiz.phone.isComplete()  # no phone system chosen yet
    choose(wiz.phone, "callrail")
    wiz.next()
    assert wiz.currentPage() is wiz.phone
    assert wiz.phone.error.text() == "CallRail needs the account id.\nCallRail needs the api key."


def test_a_failing_test_connection_says_why_and_back_keeps_everything(
        qtbot, wizard, callrail_fake):
    wiz = wizard
    fill_business(qtbot, wiz)
    wiz.next()
    page = wiz.phone
    choose(page, "callrail")
    type_into(qtbot, page.inputs["phone.callrail.account_id"], ACCOUNT_ID)
    type_into(qtbot, page.inputs["phone.callrail.api_key"], "crk-a-key-that-was-revoked")
    type_into(qtbot, page.base_url, callrail_fake.base_url)
    wiz.next()  # not before a test has passed
    assert wiz.currentPage() is page
    assert "Test the connection first" in page.error.text()
    page.test_button.click()
    assert page.result.text().startswith("✘ ")
    assert "CallRail rejected" in page.result.text()  # the provider's problem, in words
    assert "crk-a-key-that-was-revoked" not in page.result.text()
    wiz.next()
    assert wiz.currentPage() is page  # a failed test does not let the setup go on
    type_into(qtbot, page.inputs["phone.callrail.api_key"], API_KEY)
    page.test_button.click()
    assert page.result.text() == ("✔ Connected to CallRail account “Riverside Plumbing & "
                                  f"Heating” ({ACCOUNT_ID}).")
    wiz.back()
    assert wiz.currentPage() is wiz.business
    assert wiz.business.name.text() == "Riverside Plumbing & Heating"
    assert wiz.business.days["sat"][0].isChecked()
    assert not wiz.business.trades["electrical"].isChecked()
    wiz.next()
    assert wiz.currentPage() is page
    assert page.key() == "callrail"
    assert page.inputs["phone.callrail.account_id"].text() == ACCOUNT_ID
    assert page.inputs["phone.callrail.api_key"].text() == API_KEY
    wiz.next()  # the test still holds for what is typed
    assert wiz.currentPage() is wiz.crm
    wiz.back()
    type_into(qtbot, page.inputs["phone.callrail.account_id"], "ACC000")
    assert "test the connection again" in page.result.text()
    wiz.next()
    assert wiz.currentPage() is page  # a change after the test needs a new test


def test_the_whole_setup_stores_settings_in_the_database_and_secrets_in_the_keyring(
        qtbot, wizard, fresh, callrail_fake, hubspot, memory_keyring):
    wiz = wizard
    fill_business(qtbot, wiz)
    wiz.next()
    choose(wiz.phone, "callrail")
    type_into(qtbot, wiz.phone.inputs["phone.callrail.account_id"], ACCOUNT_ID)
    type_into(qtbot, wiz.phone.inputs["phone.callrail.api_key"], API_KEY)
    type_into(qtbot, wiz.phone.base_url, callrail_fake.base_url)
    wiz.phone.test_button.click()
    wiz.next()
    crm = wiz.crm
    choose(crm, "hubspot")
    type_into(qtbot, crm.inputs["crm.hubspot.token"], hubspot.token)
    type_into(qtbot, crm.base_url, hubspot.base_url)
    rows = {crm.map_table.item(n, 0).text(): crm.map_table.item(n, 1).text()
            for n in range(crm.map_table.rowCount())}
    assert rows["phone"].startswith("contact.phone") and rows["name"] != "(not sent)"
    assert not crm.scopes["crm:update_contact"].isChecked()  # off unless the owner wants it
    crm.test_button.click()
    assert crm.result.text().startswith("✔ "), crm.result.text()
    wiz.next()
    assert wiz.currentPage() is wiz.owner
    type_into(qtbot, wiz.owner.passcode, NEW_PASSCODE)
    type_into(qtbot, wiz.owner.repeat, "wrench-4418")
    wiz.next()
    assert wiz.owner.error.text() == "The two passcodes are not the same."
    type_into(qtbot, wiz.owner.repeat, NEW_PASSCODE)
    wiz.next()
    assert wiz.currentPage() is wiz.finish
    wiz.finish.notify_button.click()
    assert wiz.notifications == [("Front Desk",
                                  "Notifications work: emergencies will show like this.")]
    assert "Shown in Front Desk's own window" in wiz.finish.notify_result.text()
    with qtbot.waitSignal(wiz.applied):
        wiz.button(QWizard.WizardButton.FinishButton).click()

    again = open_app(fresh.data_dir, log_to_file=False)
    try:
        s = again.settings
        assert not again.setup.needed()
        assert (s["business.name"], s["business.timezone"]) == (
            "Riverside Plumbing & Heating", "America/Chicago")
        assert s["business.hours"]["sat"] == "08:00-17:00"
        assert s["triage.trades"] == ["plumbing", "hvac"]
        assert (s["phone.provider"], s["phone.callrail.account_id"]) == ("callrail", ACCOUNT_ID)
        assert (s["crm.provider"], s["crm.base_url"]) == ("hubspot", hubspot.base_url)
        assert again.settings_service.owner.verify(NEW_PASSCODE)
        assert again.phone.test_connection().ok and again.crm.test_connection().ok
        stored = {key: value for (_service, key), value in memory_keyring.passwords.items()}
        assert stored["phone.callrail.api_key"] == API_KEY
        assert stored["crm.hubspot.token"] == hubspot.token
        with again.engine.connect() as db:
            dump = "\n".join(db.connection.driver_connection.iterdump())
        config = (fresh.data_dir / "config.json")
        for secret in (API_KEY, hubspot.token, NEW_PASSCODE):
            assert secret not in dump
            assert not config.exists() or secret not in config.read_text()
        history = [e for e in again.changelog.rows() if e.entity == "setting"]
        assert {e.entity_id for e in history} >= {"phone.provider", "crm.provider",
                                                  "business.name"}
        assert all(e.reason == "setup" or e.entity_id == "owner.passcode" for e in history)
        assert json.dumps([e.after for e in history]).find(API_KEY) == -1
    finally:
        again.close()


def test_jobbers_renewed_refresh_token_is_the_one_stored(qtbot, wizard, fresh, jobber,
                                                        memory_keyring):
    """Jobber kills a refresh token when it hands out the next one: a test connection
    renews it, so the box must hold the new one and Finish must store it."""
    wiz = wizard
    fill_business(qtbot, wiz)
    wiz.next()
    choose(wiz.phone, "simulator")
    wiz.phone.test_button.click()
    wiz.next()
    crm = wiz.crm
    choose(crm, "jobber")
    given = jobber.refresh_token
    for key, value in jobber.secrets().items():
        type_into(qtbot, crm.inputs[key], value)
    type_into(qtbot, crm.base_url, jobber.base_url)
    crm.test_button.click()
    assert crm.result.text().startswith("✔ "), crm.result.text()
    assert jobber.refresh_token != given  # renewed; the typed one is dead now
    assert crm.inputs["crm.jobber.refresh_token"].text() == jobber.refresh_token
    wiz.next()  # the test still holds: the renewed token is what it ran with
    assert wiz.currentPage() is wiz.owner
    type_into(qtbot, wiz.owner.passcode, NEW_PASSCODE)
    type_into(qtbot, wiz.owner.repeat, NEW_PASSCODE)
    wiz.next()
    with qtbot.waitSignal(wiz.applied):
        wiz.accept()
    stored = {key: value for (_service, key), value in memory_keyring.passwords.items()}
    assert stored["crm.jobber.refresh_token"] == jobber.refresh_token


def test_without_a_keyring_a_provider_with_credentials_is_refused_before_its_test(
        fresh, monkeypatch):
    from desktop.services.setup import SetupDraft
    monkeypatch.setattr(fresh.secrets, "available", lambda: False)
    draft = SetupDraft(phone_provider="callrail",
                       phone_values={"phone.callrail.account_id": ACCOUNT_ID},
                       secrets={"phone.callrail.api_key": API_KEY})
    problems = fresh.setup.check_phone(draft)
    assert list(problems) == ["keyring"]
    assert "CallRail needs a place for its credentials. No OS keyring" in problems["keyring"]
    result = fresh.setup.test_phone(draft)
    assert not result.ok and "No OS keyring" in result.message
    assert fresh.setup.check_phone(SetupDraft(phone_provider="simulator")) == {}


def test_a_setup_finished_halfway_asks_for_the_passcode_already_set(qtbot, fresh):
    """A passcode exists but no phone system (an earlier Finish stopped): the setup asks
    for that passcode, and a wrong one stores nothing."""
    from desktop.domain.changelog import person
    from desktop.services.owner import OwnerRefused
    from desktop.services.setup import SetupDraft
    fresh.settings_service.owner.set(NEW_PASSCODE, None, person("owner"))
    shown = []
    open_setup(fresh, SyncRunner(), "Dana", on_ready=shown.append)
    wiz = shown[0]
    qtbot.addWidget(wiz)
    assert wiz.owner.ask_current  # the page has a "Current passcode" box
    draft = SetupDraft(business_name="Shop", timezone="America/Chicago",
                       hours={"mon": "08:00-17:00"}, trades=["plumbing"],
                       phone_provider="simulator", crm_provider="builtin",
                       crm_scopes=["crm:search"])
    assert fresh.setup.check_passcode(draft, True, True) == {
        "owner.passcode": "Type the owner passcode that is already set (or ask the owner "
                          "to finish the setup)."}
    draft.current_passcode = "not-it"
    with pytest.raises(OwnerRefused):
        fresh.setup.apply(draft, person("installer"))
    assert fresh.setup.needed()  # nothing was stored
    draft.current_passcode = NEW_PASSCODE
    fresh.setup.apply(draft, person("installer"))
    assert not fresh.setup.needed()
