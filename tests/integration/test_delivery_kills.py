"""Killed at random points while delivering, the desk never makes two CRM records for one
lead and loses none.

`frontdesk deliver --once` runs as a real process against a loopback fake CRM that answers
a little slowly (so kills land between the CRM's answer and our commit, too). Each round
waits until the process has reached the CRM, lets it work a random moment longer, then
SIGKILLs it. After the rounds, one process is left to finish. Then, for every lead, the fake
must hold exactly one contact per phone and exactly one lead record per lead, and every
lead must be delivered with its CRM ids stored; the change log must verify.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_hubspot import hubspot  # noqa: F401  (fixture)

from desktop.domain.leads import LeadDraft

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
KILLS = 50
LEADS = 60
REPEAT_CALLERS = 6  # leads from a phone that already has one: one contact, two records


def say(capsys, message: str) -> None:
    with capsys.disabled():
        print(f"\n[delivery-kills] {message}")


@pytest.fixture
def keyring_file(tmp_path, monkeypatch):
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("FRONTDESK_TEST_KEYRING_FILE", str(path))
    return path


def frontdesk(data_dir: Path, keyring_file: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "file_keyring.FileKeyring",
           "FRONTDESK_TEST_KEYRING_FILE": str(keyring_file),
           "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)])}
    return subprocess.Popen([sys.executable, "-m", "desktop", *args, "--data-dir", str(data_dir)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def phone_of(n: int) -> str:
    return f"+1312555{n:04d}"


def test_random_kills_never_duplicate_or_lose_a_lead(app_factory, data_dir, hubspot,
                                                    keyring_file, capsys):
    fake = hubspot
    fake.search_lag_s = 2.0       # a fresh record is invisible to search for a while
    fake.response_delay_s = 0.03  # every answer takes a moment: kills land mid-request
    keyring_file.write_text(json.dumps({f"FrontDesk/{k}": v
                                        for k, v in fake.secrets().items()}))
    app = app_factory()
    app.settings_service.set_many(fake.settings(), actor="person:test")
    app.close()
    app = app_factory()
    lead_ids = []
    for n in range(LEADS):  # the last few are second leads from the first callers
        lead = app.leads.create(LeadDraft.from_mapping({
            "name": f"Caller {n:03d}", "phone": phone_of(n % (LEADS - REPEAT_CALLERS)),
            "email": f"caller{n}@example.com"
            if n % 3 else "", "service_address": f"{n} Elm St", "service_type": "Drain cleaning",
            "urgency": "routine", "source": "Google Ads"}), "Dana")
        lead_ids.append(lead.id)

    rng = random.Random(20261124)
    kills, started = 0, time.monotonic()
    while kills < KILLS:
        seen = len(fake.requests_seen)
        process = frontdesk(data_dir, keyring_file, "deliver", "--once")
        deadline = time.monotonic() + 30
        while len(fake.requests_seen) == seen and process.poll() is None:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("deliver --once never reached the CRM")
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.35))
        if process.poll() is not None:
            stderr = process.stderr.read()
            process.stderr.close()
            assert process.returncode in (0, 1), stderr
            if process.returncode == 0 and "0 lead(s) delivered" in stderr:
                break  # everything was delivered before we could strike again
            continue
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
        kills += 1
    say(capsys, f"{kills} kills in {time.monotonic() - started:.1f} s; "
                f"{len(fake.requests_seen)} requests reached the fake")
    assert kills >= 50, "the deliveries finished before 50 kills: add leads or delay"

    for _ in range(3):  # let one process finish; leases of the killed ones are taken over
        process = frontdesk(data_dir, keyring_file, "deliver", "--once")
        _, stderr = process.communicate(timeout=240)
        if process.returncode == 0:
            break
    assert process.returncode == 0, stderr

    with app.uow() as uow:
        leads = {lead.id: lead for lead in uow.leads.all()}
    undelivered = [i for i in lead_ids if leads[i].delivery_state != "delivered"]
    assert undelivered == [], f"leads not delivered: {undelivered}"
    contacts = {}
    for lead in leads.values():
        holders = fake.contacts_with_phone(lead.phone)
        assert len(holders) == 1, f"{lead.phone}: {len(holders)} contacts in the CRM"
        contacts[lead.phone] = lead.crm_id
        assert str(holders[0]["id"]) == lead.crm_id
    records = 0
    for phone, contact_id in contacts.items():
        mine = [i for i, lead in leads.items() if lead.phone == phone]
        held = fake.lead_records(contact_id)
        assert len(held) == len(mine), f"{phone}: {len(held)} records for {len(mine)} lead(s)"
        assert sorted(r_id for r_id in (leads[i].crm_record_id for i in mine)) == sorted(
            str(r["id"]) for r in held)
        records += len(held)
    assert records == LEADS and len(contacts) == LEADS - REPEAT_CALLERS
    assert fake.deletes == 0
    assert app.changelog.verify() is None
    say(capsys, f"{LEADS} leads, {len(contacts)} contacts, {records} records: none twice, "
                "none lost")
