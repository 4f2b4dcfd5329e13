"""Contact and job sync against each loopback CRM: changed customers land in the local
contact cache (for duplicate warnings), jobs in the job cache, linked to their customer and
to the lead we sent for that customer (booked-job attribution); later polls read only
what changed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from fakes import as_owner
from fake_housecallpro import housecallpro  # noqa: F401  (fixtures)
from fake_hubspot import hubspot  # noqa: F401
from fake_jobber import jobber  # noqa: F401

from desktop.domain.leads import LeadDraft

VENDORS = ("hubspot", "jobber", "housecallpro")


@pytest.fixture(params=VENDORS)
def fake(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def crm_app(app_factory, fake, memory_keyring):
    app = app_factory()
    app.settings_service.set_many(fake.settings(), actor="person:test")
    for key, value in fake.secrets().items():
        app.secrets.set(key, value)
    return app_factory()


def cached(app):
    with app.uow() as uow:
        contacts = {c.crm_id: (c.name, c.phone, c.email) for c in
                    uow.contacts.all_for(app.crm.name)}
        jobs = {j.crm_id: (j.title, j.contact_id, j.revenue_cents, j.lead_id) for j in
                uow.jobs.all_for(app.crm.name)}
    return contacts, jobs


def test_changed_contacts_and_jobs_reach_the_local_caches(crm_app, fake):
    app = crm_app
    earlier = datetime.now(timezone.utc) - timedelta(days=3)
    maria = fake.seed_contact("Maria Gonzalez", "+17735550142", "maria@example.com",
                              updated_at=earlier)
    dave = fake.seed_contact("Dave Kowalski", "+13125550100", updated_at=earlier)
    job = fake.seed_job(maria, "Water heater install", "scheduled", 185000,
                        updated_at=earlier)

    report = app.crm_sync.poll()
    assert report.errors == {} and report.skipped == {}
    contacts, jobs = cached(app)
    assert contacts[maria] == ("Maria Gonzalez", "+17735550142", "maria@example.com")
    assert contacts[dave][1] == "+13125550100"
    title, contact_id, cents, lead_id = jobs[job]
    assert (title, cents, lead_id) == ("Water heater install", 185000, None)
    with app.uow() as uow:
        assert uow.contacts.by_crm_id(app.crm.name, maria).id == contact_id
    rows, _ = app.health.rows()
    assert {r.connector: r.level for r in rows}[f"crm:{app.crm.name}:contacts"] == "ok"

    # A second poll reads only what changed since: one new customer.
    ann = fake.seed_contact("Ann Lee", "+13125550199")
    report = app.crm_sync.poll()
    assert report.contacts <= 3  # the overlap may re-read a few; never the whole list
    contacts, _ = cached(app)
    assert contacts[ann][1] == "+13125550199" and len(contacts) == 3
    assert fake.deletes == 0


def test_a_job_on_a_customer_we_sent_a_lead_for_is_attributed_to_that_lead(crm_app, fake,
                                                                          clock):
    app = crm_app
    clock.set(datetime.now(timezone.utc) - timedelta(minutes=5))
    lead = app.leads.create(LeadDraft.from_mapping({
        "name": "Ann Lee", "phone": "(312) 555-0142", "service_address": "12 Elm St",
        "service_type": "Drain cleaning", "urgency": "urgent", "source": "Yelp"}), "Dana")
    assert app.delivery.run_due().delivered == [lead.id]
    [contact] = fake.contacts_with_phone("+13125550142")
    job = fake.seed_job(str(contact["id"]), "Drain cleaning", "scheduled", 35000)
    app.crm_sync.poll()
    _, jobs = cached(app)
    assert jobs[job][3] == lead.id


def test_without_the_read_jobs_scope_jobs_are_not_read(crm_app, fake, app_factory, cli):
    app = crm_app
    as_owner(app, {"crm.scopes": ["crm:search"]})
    app = app_factory()
    fake.seed_job(fake.seed_contact("Maria Gonzalez", "+17735550142"), "Tune-up", "done", 100)
    report = app.crm_sync.poll()
    assert report.skipped == {"jobs": "crm:read_jobs is not granted"}
    assert cached(app)[1] == {}
    assert not any("deal" in r or "job" in r.lower() for r in fake.requests_seen
                   if "graphql" not in r)
    json.dumps(report.__dict__)  # plain data for the status area


def test_a_customer_is_found_by_any_of_their_numbers(crm_app, fake):
    """A customer with a mobile as well as a main number (HubSpot's mobilephone, Jobber's
    list of phones, Housecall Pro's home and work numbers): a call or a lead from the
    other number is that customer, in the cache and in the duplicate warnings."""
    app = crm_app
    maria = fake.seed_contact("Maria Gonzalez", "+17735550142", "maria@example.com",
                              other_phones=("+13125550177",))
    assert app.crm_sync.poll().errors == {}
    with app.uow() as uow:
        cached_maria = uow.contacts.by_phone("+13125550177")
        assert cached_maria is not None and cached_maria.crm_id == maria
        assert cached_maria.phone == "+17735550142"
        assert uow.contacts.names_by_phones({"+13125550177"}) == {
            "+13125550177": "Maria Gonzalez"}
    best = app.duplicates.check({"name": "Maria Gonzales", "phone": "(312) 555-0177"})[0]
    assert (best.kind, best.id, best.same_person) == ("contact", cached_maria.id, True)
    assert any("phone" in reason for reason in best.reasons)

    # The CRM deletes her: once the cache forgets her, so do the warnings.
    with app.uow(write=True) as uow:
        uow.contacts.forget(app.crm.name, maria)
        uow.commit()
    app.duplicates.invalidate()
    assert [m for m in app.duplicates.check({"name": "Maria Gonzalez",
                                             "phone": "(312) 555-0177"})
            if m.kind == "contact"] == []
