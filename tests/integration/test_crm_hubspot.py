"""The HubSpot CRM adapter against a loopback fake of its API (tests/fake_hubspot.py).

The fake keeps HubSpot's habits: search lags new records, phone search matches the typed
string exactly, a duplicate email answers 409 with the existing id, search stops at a
result cap, errors come in HubSpot's body. So these tests prove the adapter finds what an
earlier attempt created, links instead of duplicating, pages past the cap, and turns every
failure into plain words without the token.
"""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
from fake_hubspot import PORTAL_ID, hubspot  # noqa: F401  (fixture)

from desktop.adapters.crm import hubspot as module
from desktop.adapters.crm.base import SecretAccess, marker
from desktop.adapters.crm.hubspot import HubSpotCrm, from_settings
from desktop.adapters.errors import ProblemKind, ProviderError
from desktop.adapters.http import RateLimiter
from desktop.domain import crm as scopes

KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
OTHER_KEY = "aaaabbbbccccddddeeeeffff00001111"
NOW = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)
JANE = {"name": "Jane Q Roe", "phone": "+13125550142", "email": "jane@example.com",
        "address": "12 Elm St, Oak Park", "frontdesk_source": "Google Ads"}


def make(fake, **kwargs) -> HubSpotCrm:
    options = dict(token=fake.token, base_url=fake.base_url, clock=lambda: NOW,
                   timeout=(1, 0.5), sleep=lambda s: None, limiter=RateLimiter(10_000, 1),
                   search_limiter=RateLimiter(10_000, 1))
    options.update(kwargs)
    return HubSpotCrm(**options)


@pytest.fixture
def crm(hubspot):  # noqa: F811
    yield make(hubspot)
    assert hubspot.deletes == 0 and not any(r.startswith("DELETE") for r in hubspot.requests_seen)


def seen(fake, request: str) -> int:
    return fake.requests_seen.count(request)


# -- creating and finding contacts -------------------------------------------------------------
def test_create_contact_sends_mapped_fields_the_key_and_the_source(crm, hubspot):  # noqa: F811
    write = crm.create_contact(JANE, KEY)

    assert write.kind == "contact" and write.action == "created"
    (stored,) = hubspot.contacts_with_phone("+13125550142")
    props = stored["properties"]
    assert (props["firstname"], props["lastname"]) == ("Jane Q", "Roe")
    assert props["email"] == "jane@example.com" and props["address"] == "12 Elm St, Oak Park"
    assert props["frontdesk_lead_key"] == KEY and props["frontdesk_source"] == "Google Ads"
    assert write.crm_id == stored["id"] and write.after["frontdesk_lead_key"] == KEY
    assert write.url == f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-1/{write.crm_id}"
    assert f"contact {write.crm_id} (Jane Q Roe)" in write.undo and "never deletes" in write.undo
    # The two properties were made once, in a Front Desk group, the key unique.
    assert hubspot.properties["frontdesk_lead_key"]["hasUniqueValue"] is True
    assert hubspot.properties["frontdesk_source"]["groupName"] == "frontdesk"
    crm.create_contact({"name": "Bo", "phone": "+13125550143"}, OTHER_KEY)
    assert seen(hubspot, "POST /crm/v3/properties/contacts") == 2
    assert seen(hubspot, "POST /crm/v3/properties/contacts/groups") == 1


def test_existing_properties_are_not_created_again(hubspot):  # noqa: F811
    make(hubspot).create_contact(JANE, KEY)
    later = make(hubspot)                     # a new process
    assert later.find_contact(OTHER_KEY, None, None) is None
    assert seen(hubspot, "POST /crm/v3/properties/contacts") == 2
    assert seen(hubspot, "GET /crm/v3/properties/contacts/frontdesk_lead_key") == 2


def test_finds_a_customer_by_phone_typed_another_way(crm, hubspot):  # noqa: F811
    maria = hubspot.seed_contact("Maria Gonzalez", "+17735550142", "maria@example.com")
    assert hubspot.objects["contacts"][maria]["properties"]["phone"] == "(773) 555-0142"
    found = crm.find_contact(None, "+17735550142", None)
    assert found.crm_id == maria and found.name == "Maria Gonzalez"
    assert found.phone == "+17735550142" and found.email == "maria@example.com"
    # A rarer format is asked in a second search; an unknown number finds nobody.
    dotted = hubspot.seed_contact("Linda Kowalski", None)
    hubspot.objects["contacts"][dotted]["properties"]["phone"] = "708.555.0134"
    assert crm.find_contact(None, "+17085550134", None).crm_id == dotted
    assert crm.find_contact(None, "+16305550192", None) is None
    searches = [body for path, body in hubspot.bodies if path.endswith("/contacts/search")]
    assert all(len(b["filterGroups"]) <= 5 for b in searches)


def test_finds_by_email_when_the_phone_is_unknown(crm, hubspot):  # noqa: F811
    linda = hubspot.seed_contact("Linda Kowalski", "+17085550134", "Linda@Example.com")
    assert crm.find_contact(None, "+16305550192", "linda@example.com").crm_id == linda


def test_finds_by_key_while_search_still_lags(crm, hubspot):  # noqa: F811
    hubspot.search_lag_s = 30
    created = crm.create_contact(JANE, KEY)
    # Search does not see the new contact yet ...
    assert crm.find_contact(None, JANE["phone"], JANE["email"]) is None
    # ... but the key does, at once, and so do the note's associations.
    found = crm.find_contact(KEY, JANE["phone"], JANE["email"])
    assert found.crm_id == created.crm_id and found.key == KEY
    lead = crm.create_lead(created.crm_id, {"body": "Service type: Leak\nUrgency: urgent"}, KEY)
    again = crm.find_lead_record(created.crm_id, KEY)
    assert again.crm_id == lead.crm_id and again.action == "linked"
    assert crm.find_lead_record(created.crm_id, OTHER_KEY) is None


def test_a_create_whose_answer_was_lost_is_found_and_not_duplicated(crm, hubspot):  # noqa: F811
    hubspot.search_lag_s = 30
    crm.find_contact(KEY, None, None)          # properties ready; now only the create remains
    hubspot.fail_after_commit(1)
    with pytest.raises(ProviderError) as lost:
        crm.create_contact(JANE, KEY)
    assert lost.value.kind is ProblemKind.NETWORK and lost.value.kind.transient
    assert seen(hubspot, "POST /crm/v3/objects/contacts") == 1      # a create is not resent
    found = crm.find_contact(KEY, JANE["phone"], None)
    assert found is not None
    # A worker that creates again anyway is refused by the unique key and links.
    write = crm.create_contact({**JANE, "email": "other@example.com"}, KEY)
    assert (write.action, write.crm_id) == ("linked", found.crm_id)
    assert len(hubspot.contacts_with_phone(JANE["phone"])) == 1

    hubspot.fail_after_commit(1)
    with pytest.raises(ProviderError):
        crm.create_lead(found.crm_id, {"body": "Service type: Furnace"}, KEY)
    note = crm.find_lead_record(found.crm_id, KEY)
    (stored,) = hubspot.lead_records(found.crm_id)
    assert note.crm_id == stored["id"] and marker(KEY) in stored["properties"]["hs_note_body"]


def test_a_duplicate_email_links_to_the_existing_contact(crm, hubspot):  # noqa: F811
    existing = hubspot.seed_contact("Jane Roe", "+17085550111", "jane@example.com")
    write = crm.create_contact(JANE, KEY)
    assert (write.action, write.crm_id) == ("linked", existing)
    assert write.after == {} and "Nothing to undo" in write.undo
    assert len(hubspot.objects["contacts"]) == 1


def test_the_lead_is_a_note_with_the_marker_and_the_fields(crm, hubspot):  # noqa: F811
    contact = hubspot.seed_contact("Maria Gonzalez", "+17735550142")
    fields = {"body": "Service type: Water heater\nUrgency: emergency\nSource: Yelp",
              "title": "No hot water <today>"}
    write = crm.create_lead(contact, fields, KEY)
    (note,) = hubspot.lead_records(contact)
    body = note["properties"]["hs_note_body"]
    assert write.kind == "note" and write.crm_id == note["id"] and write.action == "created"
    assert f"<p>Front Desk lead {marker(KEY)}</p>" in body
    assert "<p>Urgency: emergency</p>" in body
    assert "<p>Title: No hot water &lt;today&gt;</p>" in body
    assert note["properties"]["hs_timestamp"] == "2025-02-12T21:00:00.000Z"
    (sent,) = [b for p, b in hubspot.bodies if p == "/crm/v3/objects/notes"]
    assert sent["associations"] == [{"to": {"id": contact}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}]
    assert f"note {write.crm_id} on HubSpot contact {contact}" in write.undo
    assert crm.operations["create_lead"] == scopes.CREATE_LEAD  # it is the lead's record

    extra = crm.add_note(contact, "Called back, booked for Friday")
    assert extra.action == "created" and len(hubspot.lead_records(contact)) == 2
    assert crm.find_lead_record(contact, KEY).crm_id == write.crm_id


def test_update_contact_reports_before_and_after(crm, hubspot):  # noqa: F811
    contact = hubspot.seed_contact("Maria", "+17735550142", address="1 Old Rd")
    assert crm.read_contact(contact) == {"name": "Maria", "email": None, "address": "1 Old Rd"}
    write = crm.update_contact(contact, {"email": "maria@example.com", "address": "1 Old Rd",
                                         "name": "Maria Gonzalez", "phone": "+10000000000"})
    assert write.action == "updated"
    # In read_contact's terms, so a revert can compare and put them back.
    assert write.before == {"email": None, "name": "Maria"}
    assert write.after == {"email": "maria@example.com", "name": "Maria Gonzalez"}
    props = hubspot.objects["contacts"][contact]["properties"]
    assert props["email"] == "maria@example.com" and props["phone"] == "(773) 555-0142"
    assert props["lastname"] == "Gonzalez"
    assert "name back to 'Maria'" in write.undo
    assert crm.read_contact(contact)["name"] == "Maria Gonzalez"
    # The revert: the before values go back, an empty one clears the field.
    crm.update_contact(contact, write.before)
    assert crm.read_contact(contact) == {"name": "Maria", "email": None, "address": "1 Old Rd"}


# -- changes since -----------------------------------------------------------------------------
def test_contacts_changed_since_pages_and_filters(hubspot):  # noqa: F811
    crm = make(hubspot, page_size=3)
    ids = [hubspot.seed_contact(f"Customer {n}", f"+1312555{n:04d}",
                                updated_at=NOW - timedelta(hours=10 - n)) for n in range(8)]
    pages = list(crm.contacts_changed_since(NOW - timedelta(hours=7)))
    assert len(pages) == 2
    got = [c for page in pages for c in page]
    assert [c.crm_id for c in got] == ids[3:]                  # inclusive of `since`, oldest first
    assert got[0].updated_at == NOW - timedelta(hours=7) and got[0].phone == "+13125550003"
    assert [c.crm_id for page in crm.contacts_changed_since(None) for c in page] == ids


def test_an_unreadable_record_is_skipped_not_the_page(hubspot, caplog):  # noqa: F811
    good = hubspot.seed_contact("Good One", "+13125550001", updated_at=NOW)
    bad = hubspot.seed_contact("Bad One", "+13125550002", updated_at=NOW)
    hubspot.objects["contacts"][bad]["properties"]["createdate"] = "last tuesday"
    got = [c.crm_id for page in make(hubspot).contacts_changed_since(None) for c in page]
    assert got == [good] and "cannot read" in caplog.text


def test_paging_restarts_before_the_search_result_cap(hubspot, monkeypatch):  # noqa: F811
    monkeypatch.setattr(module, "RESULT_CAP", 10)
    hubspot.result_cap = 10
    crm = make(hubspot, page_size=3)
    moments = [NOW - timedelta(minutes=30 - n // 2) for n in range(25)]  # pairs share a time
    ids = [hubspot.seed_contact(f"C {n}", None, updated_at=m) for n, m in enumerate(moments)]
    got = [c.crm_id for page in crm.contacts_changed_since(None) for c in page]
    assert got == ids                          # every one, exactly once, past the cap


def test_jobs_changed_since_reads_deals_with_their_contact(hubspot):  # noqa: F811
    crm = make(hubspot, page_size=2)
    maria = hubspot.seed_contact("Maria Gonzalez", "+17735550142")
    deals = [hubspot.seed_job(maria, f"Job {n}", "closedwon" if n % 2 else "appointmentscheduled",
                              12_550 * n, updated_at=NOW - timedelta(days=5 - n),
                              scheduled_at=NOW + timedelta(days=n)) for n in range(5)]
    pages = list(crm.jobs_changed_since(NOW - timedelta(days=3)))
    jobs = [j for page in pages for j in page]
    assert len(pages) == 2 and [j.crm_id for j in jobs] == deals[2:]
    first = jobs[0]
    assert (first.title, first.status, first.revenue_cents) == ("Job 2", "appointmentscheduled",
                                                                25_100)
    assert first.contact_crm_id == maria and first.scheduled_at == NOW + timedelta(days=2)
    assert first.updated_at == NOW - timedelta(days=3)


# -- failures in plain words -------------------------------------------------------------------
def test_a_wrong_token_reads_as_plain_words_without_the_token(hubspot):  # noqa: F811
    wrong = "pat-na1-00000000-dead-beef-0000-000000000000"
    crm = make(hubspot, token=wrong)
    with pytest.raises(ProviderError) as err:
        crm.find_contact(KEY, "+13125550142", None)
    assert err.value.kind is ProblemKind.AUTH
    assert "private-app token" in str(err.value) and wrong not in str(err.value)
    check = crm.test_connection()
    assert not check.ok and "frontdesk secret set crm.hubspot.token" in check.message


def test_a_missing_token_says_how_to_store_it(hubspot):  # noqa: F811
    crm = make(hubspot, token=lambda: None)
    with pytest.raises(ProviderError) as err:
        crm.create_contact(JANE, KEY)
    assert err.value.kind is ProblemKind.NOT_CONFIGURED
    assert "frontdesk secret set crm.hubspot.token" in str(err.value)
    assert hubspot.requests_seen == []


def test_a_missing_scope_names_it(crm, hubspot):  # noqa: F811
    hubspot.missing_scopes = {"crm.schemas.contacts.write"}
    with pytest.raises(ProviderError) as err:
        crm.create_contact(JANE, KEY)
    assert err.value.kind is ProblemKind.PERMISSION
    assert "crm.schemas.contacts.write" in str(err.value) and hubspot.token not in str(err.value)
    hubspot.missing_scopes = {"crm.objects.deals.read"}
    check = crm.test_connection()
    assert not check.ok and "crm.objects.deals.read" in check.message
    with pytest.raises(ProviderError) as err:
        list(crm.jobs_changed_since(None))
    assert err.value.kind is ProblemKind.PERMISSION and "Private Apps" in str(err.value)


def test_rate_limits_timeouts_and_outages(crm, hubspot):  # noqa: F811
    crm.prepare()  # our properties exist: a find by key reads by key
    hubspot.fail_next(4, "429", retry_after="7")
    with pytest.raises(ProviderError) as err:
        crm.find_contact(KEY, None, None)
    assert err.value.kind is ProblemKind.RATE_LIMITED and err.value.retry_after_s == 7
    hubspot.fail_next(2, "429")                # no Retry-After, as HubSpot usually sends
    assert crm.find_contact(KEY, None, None) is None

    hubspot.hang_s = 0.8
    hubspot.fail_next(1, "timeout")
    with pytest.raises(ProviderError) as err:
        crm.create_contact(JANE, KEY)
    assert err.value.kind is ProblemKind.NETWORK and "no answer in time" in str(err.value)
    hubspot.fail_next(1, "500")
    with pytest.raises(ProviderError) as err:
        crm.add_note("51", "hello")
    assert err.value.kind is ProblemKind.NETWORK and err.value.kind.transient
    assert seen(hubspot, "POST /crm/v3/objects/notes") == 1


def test_bad_data_is_rejected_with_hubspots_words(crm, hubspot):  # noqa: F811
    with pytest.raises(ProviderError) as err:
        crm.create_contact({**JANE, "favourite_colour": "teal"}, KEY)
    assert err.value.kind is ProblemKind.REJECTED
    assert 'Property \\"favourite_colour\\" does not exist' in str(err.value)


def test_connection_check(crm, hubspot):  # noqa: F811
    check = crm.test_connection()
    assert check.ok and str(PORTAL_ID) in check.message
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    offline = make(hubspot, base_url=f"http://127.0.0.1:{port}").test_connection()
    assert not offline.ok and "cannot be reached" in offline.message


def test_from_settings_reads_the_token_lazily(hubspot):  # noqa: F811
    store: dict[str, str] = {}
    crm = from_settings(hubspot.settings(), SecretAccess(get=store.get), clock=lambda: NOW)
    assert crm.name == "hubspot" and crm.label == "HubSpot"
    store.update(hubspot.secrets())           # stored after the adapter was built
    assert crm.test_connection().ok


def test_the_adapter_has_no_way_to_delete():
    names = [n for n in dir(HubSpotCrm) if any(w in n.lower() for w in
                                                ("delete", "remove", "archive"))]
    assert names == []
    assert set(HubSpotCrm.operations) == set(module.Crm.operations)
    assert HubSpotCrm.required == ("contact.name", "contact.phone")


def test_a_page_that_comes_back_again_stops_the_listing(hubspot, monkeypatch):  # noqa: F811
    for n in range(4):
        hubspot.seed_contact(f"C {n}", None, updated_at=NOW + timedelta(minutes=n))
    real = hubspot._search

    def stuck(kind, body):                    # a server that always offers the same next page
        answer = real(kind, {**body, "after": None})
        data = json.loads(answer.get_data())
        data["paging"] = {"next": {"after": "2", "link": "?after=2"}}
        answer.set_data(json.dumps(data))
        return answer

    monkeypatch.setattr(hubspot, "_search", stuck)
    with pytest.raises(ProviderError) as err:
        list(make(hubspot, page_size=2).contacts_changed_since(None))
    assert err.value.kind is ProblemKind.BAD_RESPONSE and "repeated" in str(err.value)


def test_a_search_writes_nothing_and_setup_says_what_it_added(crm, hubspot):  # noqa: F811
    """Looking a customer up (crm:search) never changes the account; the one-time setup
    of our two properties is a write of its own (crm:create_contact), reported for the
    change log, and done once."""
    assert crm.find_contact(KEY, "+13125550142", "jane@example.com") is None
    assert not [r for r in hubspot.requests_seen
                if r.startswith("POST /crm/v3/properties") or r.startswith("PATCH")]
    added = crm.prepare()
    assert sorted(w.crm_id for w in added) == ["frontdesk_lead_key", "frontdesk_source"]
    assert all(w.kind == "property" and "Settings → Properties" in w.undo for w in added)
    assert crm.prepare() == []
