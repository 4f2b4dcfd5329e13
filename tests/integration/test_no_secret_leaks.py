"""Known secrets go into the keyring, the app is put through its paces (the setup with a
wrong key first, a poll, a CRM delivery, a refused CRM call, a settings export, the
diagnostics), and none of the secrets turns up anywhere a secret must never be: the
settings export, the logs, the database, the data folder's files or the diagnostics."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from fake_callrail import (  # noqa: F401  (callrail_server, callrail_fake: fixtures)
    ACCOUNT_ID, API_KEY, call_record, callrail_fake, callrail_server)
from fake_hubspot import hubspot  # noqa: F401  (fixture)

from desktop.bootstrap import open_app
from desktop.domain.changelog import person
from desktop.domain.leads import LeadDraft
from desktop.services.setup import SetupDraft

PASSCODE = "owner-1997-secret"
WRONG_KEY = "crk-wrong-0000-typed-by-mistake"


def test_no_secret_reaches_an_export_a_log_the_database_or_the_diagnostics(
        tmp_path, memory_keyring, callrail_fake, hubspot):
    data = tmp_path / "data"
    app = open_app(data)  # with its rotating log file, as the desk runs
    draft = SetupDraft(
        business_name="Leak Test Plumbing", timezone="America/Chicago",
        hours={"mon": "08:00-17:00"}, trades=["plumbing"],
        phone_provider="callrail", phone_base_url=callrail_fake.base_url,
        phone_values={"phone.callrail.account_id": ACCOUNT_ID},
        crm_provider="hubspot", crm_base_url=hubspot.base_url,
        crm_scopes=["crm:search", "crm:create_contact", "crm:create_lead",
                    "crm:add_note", "crm:read_jobs"],
        secrets={"phone.callrail.api_key": WRONG_KEY, "crm.hubspot.token": hubspot.token},
        new_passcode=PASSCODE, repeat_passcode=PASSCODE)
    assert not app.setup.test_phone(draft).ok  # the wrong key is refused (and logged)
    draft.secrets["phone.callrail.api_key"] = API_KEY
    assert app.setup.test_phone(draft).ok and app.setup.test_crm(draft).ok
    app.setup.apply(draft, person("installer"))
    app.close()

    app = open_app(data)
    try:
        now = datetime.now(timezone.utc)
        callrail_fake.add(call_record(start=now - timedelta(minutes=20),
                                      customer="+17735550142", duration=25))
        assert app.sync.poll().error is None
        app.leads.create(LeadDraft.from_mapping({
            "name": "Ann Lee", "phone": "(773) 555-0142", "service_address": "12 Elm St",
            "service_type": "Drain cleaning", "urgency": "urgent", "source": "Yelp"}), "Dana")
        assert app.delivery.run_due().delivered
        hubspot.fail_next(1, "500")
        app.crm_sync.poll(lambda: False)  # a refused call, logged with its request
        logging.getLogger("desktop").error("a line that names the key %s", API_KEY)
        export = tmp_path / "settings-export.json"
        export.write_text(json.dumps(app.settings_service.export()), encoding="utf-8")
        diagnostics = app.diagnostics.text({"Qt": "test"})
        with app.engine.connect() as db:
            database = "\n".join(db.connection.driver_connection.iterdump())
    finally:
        app.close()
    for handler in logging.getLogger().handlers:
        handler.flush()

    places = {"settings export": export.read_text(encoding="utf-8"),
              "diagnostics": diagnostics, "database": database}
    for path in data.rglob("*"):
        if path.is_file() and path.suffix not in (".db", ".db-wal", ".db-shm"):
            places[str(path.relative_to(data))] = path.read_text(encoding="utf-8",
                                                                 errors="replace")
    logs = [name for name in places if name.startswith("logs")]
    assert logs, "the app wrote no log"
    assert "a line that names the key •••" in places[logs[0]]  # it logged, redacted
    assert "Leak Test Plumbing" in places["settings export"]
    assert "phone.callrail.account_id" in diagnostics and "callrail" in diagnostics
    secrets = {"CallRail key": API_KEY, "HubSpot token": hubspot.token,
               "wrong key typed in the setup": WRONG_KEY, "owner passcode": PASSCODE}
    leaks = [f"{what} in {where}" for what, secret in secrets.items()
             for where, text in places.items() if secret in text]
    assert leaks == []
    stored = {key for (_service, key) in memory_keyring.passwords}
    assert stored == {"phone.callrail.api_key", "crm.hubspot.token"}
