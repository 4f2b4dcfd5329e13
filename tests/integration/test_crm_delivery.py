"""Lead delivery end to end against each loopback CRM (HubSpot, Jobber, Housecall Pro),
through the app's own wiring (settings, keyring, bootstrap) and the command line.

* `lead create` then `deliver --once` makes exactly one contact plus the CRM's lead record
  (note, request or lead), with the mapped fields and the source tag.
* With the CRM failing (500s, timeouts, 429s) for a while and then recovering, every lead
  is delivered exactly once; while it fails, the alert fires after the configured time and
  the lead shows as failed with the reason.
* A call outside the granted scopes is refused and logged; nothing reaches the CRM.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from fake_housecallpro import housecallpro  # noqa: F401  (fixtures)
from fake_hubspot import hubspot  # noqa: F401
from fake_jobber import jobber  # noqa: F401

from desktop.domain.leads import LeadDraft

VENDORS = ("hubspot", "jobber", "housecallpro")
LEAD = {"name": "Ann Lee", "phone": "(312) 555-0142", "email": "ann.lee@example.com",
        "service_address": "12 Elm St, Springfield, IL 62701", "service_type": "Drain cleaning",
        "urgency": "urgent", "source": "Google Ads", "notes": "Kitchen sink backs up"}
ANN = "+13125550142"


@pytest.fixture(params=VENDORS)
def fake(request):
    return request.getfixturevalue(request.param)


def configure(cli, fake) -> None:
    for key, value in fake.settings().items():
        text = value if isinstance(value, str) else json.dumps(value)
        assert cli("config", "set", key, text)[0] == 0
    for key, value in fake.secrets().items():
        assert cli("secret", "set", key, stdin=value + "\n")[0] == 0


def quick(app) -> None:
    """Short read timeouts, no real sleeping inside the adapter's HTTP retries and no
    vendor pacing, so a 'timeout' costs a fraction of a second here (the worker's own
    backoff is on the test's clock)."""
    from desktop.adapters.http import RateLimiter, RetryPolicy
    for client in _clients(app.crm):
        client.timeout = (1.0, 0.3)
        client.retry = RetryPolicy(attempts=1)  # the worker's retries are what is tested
        client._sleep = lambda seconds: None
        client.limiter = None  # twelve simulated minutes of retries, at full speed
    for name, value in vars(app.crm).items():
        if isinstance(value, RateLimiter):
            setattr(app.crm, name, RateLimiter(1000, 1))


def _clients(adapter):
    from desktop.adapters.http import HttpClient
    return [value for value in vars(adapter).values() if isinstance(value, HttpClient)]


def dump(records) -> str:
    return json.dumps(records, default=str)


def test_lead_create_then_deliver_once_makes_one_contact_and_one_lead_record(cli, fake,
                                                                            data_dir):
    configure(cli, fake)
    code, out, err = cli("lead", "create", "--json", "-", stdin=json.dumps(LEAD))
    assert code == 0, err
    lead = json.loads(out)
    assert lead["delivery_state"] == "pending" and lead["crm_provider"] == fake.settings()[
        "crm.provider"]

    code, _, err = cli("deliver", "--once")
    assert code == 0, err
    assert "1 lead(s) delivered" in err
    contacts = fake.contacts_with_phone(ANN)
    assert len(contacts) == 1
    records = fake.lead_records(str(contacts[0]["id"]))
    assert len(records) == 1
    everything = dump(contacts + records)
    for mapped in ("Ann", "Lee", "ann.lee@example.com", "Drain cleaning", "Google Ads",
                   "Elm St"):
        assert mapped in everything, f"{mapped} did not reach the CRM"
    assert f"FD-{_key(data_dir)[:12]}" in everything  # our marker, for idempotency

    code, out, _ = cli("leads", "--json")
    [shown] = json.loads(out)
    assert shown["delivery_state"] == "delivered"
    assert shown["crm_id"] == str(contacts[0]["id"])
    assert shown["crm_record_id"] == str(records[0]["id"])

    before = len(fake.requests_seen)
    code, _, err = cli("deliver", "--once")
    assert code == 0 and "0 lead(s) delivered" in err
    assert len(fake.requests_seen) == before  # nothing left to send: no request at all
    assert fake.deletes == 0

    code, out, _ = cli("changelog", "--json")
    entries = json.loads(out)
    created = [e for e in entries if e["entity"] == "crm_contact" and e["action"] == "created"]
    assert len(created) == 1 and created[0]["after"]["crm_id"] == str(contacts[0]["id"])
    assert "never deletes" in created[0]["reason"] or "Delete" in created[0]["reason"]
    assert cli("changelog", "--verify")[0] == 0


def _key(data_dir) -> str:
    """The lead's idempotency key, from the database (the CLI does not print it)."""
    conn = sqlite3.connect(data_dir / "frontdesk.db")
    try:
        return conn.execute("SELECT idempotency_key FROM leads").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("mode", ["500", "timeout", "429"])
def test_an_outage_alerts_after_the_set_time_then_every_lead_is_delivered_once(
        cli, app_factory, fake, clock, mode):
    configure(cli, fake)
    assert cli("config", "set", "crm.alert_after_minutes", "10")[0] == 0
    app = app_factory()
    quick(app)

    def alerts():
        return [words for _, words in app.delivery.alerts_after(0)]
    phones = [f"+1312555{n:04d}" for n in range(200, 203)]
    for n, phone in enumerate(phones):
        app.leads.create(LeadDraft.from_mapping({**LEAD, "phone": phone,
                                                 "email": f"c{n}@example.com"}), "Dana")
    fake.hang_s = 0.6
    fake.fail_next(10_000, mode, retry_after=1)  # down until we say otherwise
    waited = timedelta(0)
    while waited < timedelta(minutes=12):
        report = app.delivery.run_due()
        assert report.delivered == []
        step = report.next_due_at - clock() if report.next_due_at else timedelta(minutes=1)
        step = max(min(step, timedelta(minutes=2)), timedelta(seconds=1))
        clock.advance(step)
        waited += step
        if waited < timedelta(minutes=9):
            assert alerts() == [], "alerted before the configured 10 minutes"
    assert len(alerts()) == 3  # once per lead, not once per attempt
    assert all("has not reached" in text for text in alerts())
    leads = app.leads.all()
    assert {lead.delivery_state for lead in leads} == {"failed"}
    reason = leads[0].last_error
    words = {"500": ("trouble", "HTTP 5"), "timeout": ("cannot be reached", "in time"),
             "429": ("rate", "limit")}[mode]
    assert any(w.lower() in reason.lower() for w in words), reason

    fake.fail_next(0, mode)  # the CRM is back
    for _ in range(10):
        clock.advance(minutes=16)
        app.delivery.run_due()
        if {lead.delivery_state for lead in app.leads.all()} == {"delivered"}:
            break
    assert {lead.delivery_state for lead in app.leads.all()} == {"delivered"}
    for phone in phones:
        [contact] = fake.contacts_with_phone(phone)
        assert len(fake.lead_records(str(contact["id"]))) == 1
    assert fake.deletes == 0
    assert len(alerts()) == 3


def test_a_call_outside_the_granted_scopes_is_refused_and_logged(cli, fake, caplog):
    configure(cli, fake)
    scopes = "crm:search,crm:create_lead,crm:add_note,crm:read_jobs"  # no create_contact
    assert cli("owner", "passcode", stdin="owner-1234\n")[0] == 0
    assert cli("config", "set", "crm.scopes", scopes, stdin="owner-1234\n")[0] == 0
    cli("lead", "create", "--json", "-", stdin=json.dumps(LEAD))
    before = len(fake.requests_seen)
    code, _, err = cli("deliver", "--once")
    assert code == 1
    assert "needs the crm:create_contact permission" in err
    assert fake.contacts_with_phone(ANN) == []
    writes = [r for r in fake.requests_seen[before:] if r.split()[0] in ("POST", "PUT", "PATCH")
              and not any(read in r for read in ("/search", "/graphql", "/oauth"))]
    assert writes == []
    if hasattr(fake, "operations"):  # Jobber: every call is a POST; look at the operations
        assert not [op for op in fake.operations
                    if op.startswith(("Create", "Edit"))], fake.operations
    assert "refused" in caplog.text and "crm:create_contact" in caplog.text
    _, out, _ = cli("changelog", "--json")
    refused = [e for e in json.loads(out) if e["action"] == "refused"]
    assert refused and refused[0]["after"]["scope"] == "crm:create_contact"
    _, out, _ = cli("leads", "--json")
    assert json.loads(out)[0]["delivery_state"] == "failed"


def _remove_customer(fake, crm_id: str) -> None:
    """Someone deletes (or merges away) the customer in the CRM's own web app."""
    for name in ("clients", "customers"):
        if hasattr(fake, name):
            getattr(fake, name).pop(crm_id)
            return
    fake.objects["contacts"].pop(crm_id)


def test_a_customer_deleted_in_the_crm_is_looked_up_again(cli, app_factory, fake, clock):
    configure(cli, fake)
    app = app_factory()
    quick(app)
    first = app.leads.create(LeadDraft.from_mapping(LEAD), "Dana")
    assert app.delivery.run_due().delivered == [first.id]
    [old] = fake.contacts_with_phone(ANN)
    _remove_customer(fake, str(old["id"]))
    second = app.leads.create(LeadDraft.from_mapping({**LEAD, "service_type": "Water heater"}),
                              "Dana")
    for _ in range(3):
        report = app.delivery.run_due()
        if report.delivered:
            break
        assert "deleted or merged" in report.failed[second.id], report.failed
        clock.advance(minutes=1)
    assert report.delivered == [second.id]
    [new] = fake.contacts_with_phone(ANN)
    assert new["id"] != old["id"] and len(fake.lead_records(str(new["id"]))) == 1
