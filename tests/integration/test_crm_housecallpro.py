"""The Housecall Pro CRM adapter against a loopback fake of its API (tests/fake_housecallpro.py).

The fake searches the way the docs say `q` does (name, email, mobile number, address; never
tags), keeps numbers as a person typed them, pages with `page`/`total_pages`, and can lose
the answer of a create that landed. So these tests prove the adapter finds customers by
phone in any format, finds its own records again by their marker, walks changes newest-first
only as far back as asked, and turns every failure into plain words without the key.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from fake_housecallpro import housecallpro  # noqa: F401  (fixture)

from desktop.adapters.crm.base import ProblemKind, ProviderError, SecretAccess, marker
from desktop.adapters.crm.housecallpro import HousecallProCrm, from_settings
from desktop.adapters.http import RateLimiter
from desktop.domain.crm import map_lead, missing_required

KEY = "9f3c2a7b1d4e5f60718293a4b5c6d7e8"
NOW = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)
LEAD = {"name": "Maria del Carmen Ruiz", "phone": "+17735550142", "email": "maria@example.com",
        "service_address": "4893 Orchid Ln N, Plymouth, MN 55446", "service_type": "Water heater",
        "urgency": "urgent", "source": "Google Ads", "notes": "Leaking since last night"}


@pytest.fixture(autouse=True)
def never_deletes(housecallpro):
    yield
    assert housecallpro.deletes == 0


def make(fake, **kwargs) -> tuple[HousecallProCrm, list[float]]:
    """The adapter with recorded sleeps, no client-side pacing and a short read timeout."""
    sleeps: list[float] = []
    options = dict(api_key=fake.api_key, base_url=fake.base_url, sleep=sleeps.append,
                   limiter=RateLimiter(10_000, 1), clock=lambda: NOW, timeout=(1, 0.5))
    options.update(kwargs)
    return HousecallProCrm(**options), sleeps


def mapped(crm: HousecallProCrm, values=LEAD) -> dict[str, dict[str, str]]:
    return map_lead(values, crm.default_field_map)


def flat(pages) -> list:
    return [item for page in pages for item in page]


# -- writing a lead -------------------------------------------------------------------------
def test_a_lead_becomes_a_marked_customer_and_a_marked_lead(housecallpro):
    crm, _ = make(housecallpro)
    fields = mapped(crm)
    assert missing_required(fields, crm.required, crm.default_field_map) == []

    contact = crm.create_contact(fields["contact"], KEY)
    assert contact.action == "created" and contact.crm_id.startswith("cus_")
    assert contact.url == f"https://pro.housecallpro.com/app/customers/{contact.crm_id}"
    assert "Front Desk never deletes" in contact.undo and "Maria del Carmen Ruiz" in contact.undo
    (stored,) = housecallpro.contacts_with_phone("+17735550142")
    assert (stored["first_name"], stored["last_name"]) == ("Maria del Carmen", "Ruiz")
    assert stored["mobile_number"] == "7735550142"  # the bare digits Housecall Pro keeps
    assert stored["email"] == "maria@example.com" and stored["lead_source"] == "Google Ads"
    assert stored["tags"] == [marker(KEY)]
    (address,) = stored["addresses"]
    assert (address["street"], address["city"], address["state"], address["zip"]) == \
        ("4893 Orchid Ln N", "Plymouth", "MN", "55446")
    assert contact.after["tags"] == [marker(KEY)] and "addresses" in contact.after

    lead = crm.create_lead(contact.crm_id, fields["lead"], KEY)
    assert lead.kind == "lead" and lead.action == "created" and lead.crm_id.startswith("lea_")
    assert lead.url == f"https://pro.housecallpro.com/app/leads/{lead.crm_id}"
    (record,) = housecallpro.lead_records(contact.crm_id)
    assert record["tags"] == [marker(KEY)] and record["lead_source"] == "Google Ads"
    assert "Service type: Water heater\nUrgency: urgent\nNotes: Leaking since last night" \
        in record["note"] and marker(KEY) in record["note"]
    assert lead.after["address_id"] == address["id"]  # linked, not a second copy
    assert record["address"]["id"] == address["id"]


def test_a_lead_address_the_customer_lacks_goes_inline(housecallpro):
    crm, _ = make(housecallpro)
    cid = housecallpro.seed_contact("Linda Kowalski", "+17085550134")
    write = crm.create_lead(cid, {"address": "12 E 8th St, Apt 1803, Chicago, IL 60605"}, KEY)
    assert write.after["address"] == {"street": "12 E 8th St", "street_line_2": "Apt 1803",
                                      "city": "Chicago", "state": "IL", "zip": "60605"}
    assert write.after["note"] == f"Sent by Front Desk ({marker(KEY)})"


def test_a_field_housecall_pro_does_not_have_is_refused_before_sending(housecallpro):
    crm, _ = make(housecallpro)
    with pytest.raises(ProviderError) as caught:
        crm.create_contact({"name": "Ann Lee", "fax": "3125550100"}, KEY)
    assert caught.value.kind == ProblemKind.REJECTED and "fax" in str(caught.value)
    assert housecallpro.requests_seen == []


def test_housecall_pro_refusal_reads_as_its_own_words(housecallpro):
    crm, _ = make(housecallpro)
    with pytest.raises(ProviderError) as caught:
        crm.create_contact({"lead_source": "Yelp"}, KEY)
    assert caught.value.kind == ProblemKind.REJECTED
    assert str(caught.value) == ("Housecall Pro refused the data: One of first_name, "
                                 "last_name, email, mobile_number, home_number, work_number "
                                 "are required.")


# -- finding customers ------------------------------------------------------------------------
def test_finds_a_customer_by_phone_typed_in_another_format(housecallpro):
    crm, _ = make(housecallpro)
    cid = housecallpro.seed_contact("Maria Gonzalez", "+17735550142", "Maria@Example.com",
                                    "711 Orange Grove Avenue")
    housecallpro.seed_contact("Mario Gonzales", "+17735550143")
    assert housecallpro.contacts_with_phone("+17735550142")[0]["mobile_number"] == \
        "(773) 555-0142"
    found = crm.find_contact(None, "+17735550142", None)
    assert found.crm_id == cid and found.phone == "+17735550142" and found.key is None
    assert (found.name, found.email, found.address) == \
        ("Maria Gonzalez", "Maria@Example.com", "711 Orange Grove Avenue")
    assert ("/customers", {"q": "7735550142", "page": "1", "page_size": "100"}) in \
        housecallpro.queries
    # No such number: the email finds her, whatever its case.
    assert crm.find_contact(None, "+13125550199", "maria@example.com").crm_id == cid
    assert crm.find_contact(None, "+13125550199", "nobody@example.com") is None


def test_finds_its_own_customer_after_the_create_answer_was_lost(housecallpro):
    crm, _ = make(housecallpro)
    housecallpro.fail_after_commit(1)
    with pytest.raises(ProviderError) as caught:
        crm.create_contact(mapped(crm)["contact"], KEY)
    assert caught.value.kind == ProblemKind.NETWORK and caught.value.kind.transient
    assert housecallpro.requests_seen.count("POST /customers") == 1  # a create is not resent
    # Someone else with that number, entered since: the search lists them first.
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    other = housecallpro.seed_contact("Maria Ruiz", "+17735550142", updated_at=later)
    assert len(housecallpro.contacts_with_phone("+17735550142")) == 2
    assert crm.find_contact(None, "+17735550142", None).crm_id == other

    found = crm.find_contact(KEY, "+17735550142", "maria@example.com")
    assert found.crm_id != other and found.key == KEY and found.name == "Maria del Carmen Ruiz"


def test_finds_its_own_customer_by_key_when_no_search_can(housecallpro):
    crm, _ = make(housecallpro)
    housecallpro.fail_after_commit(1)
    with pytest.raises(ProviderError):
        crm.create_contact({"name": "Walk-in Caller"}, KEY)  # no number, no email to search
    found = crm.find_contact(KEY, None, None)
    assert found is not None and found.name == "Walk-in Caller" and found.key == KEY
    assert crm.find_contact("0" * 32, None, None) is None


def test_finds_its_own_lead_after_the_create_answer_was_lost(housecallpro):
    crm, _ = make(housecallpro)
    cid = housecallpro.seed_contact("James Carter", "+16305550192")
    crm.create_lead(cid, {"note": "earlier enquiry"}, "1" * 32)
    housecallpro.fail_after_commit(1)
    with pytest.raises(ProviderError):
        crm.create_lead(cid, {"note": "Furnace out", "lead_source": "Yelp"}, KEY)
    assert len(housecallpro.lead_records(cid)) == 2
    found = crm.find_lead_record(cid, KEY)
    assert found.action == "linked" and found.kind == "lead"
    assert found.after == {"lead_source": "Yelp", "tags": [marker(KEY)]}
    assert "James Carter" in found.undo and found.url.endswith(found.crm_id)
    assert crm.find_lead_record(cid, "2" * 32) is None


# -- updates and notes --------------------------------------------------------------------------
def test_update_contact_reads_first_and_reports_before_and_after(housecallpro):
    crm, _ = make(housecallpro)
    cid = housecallpro.seed_contact("Susan Park", "+16305550154")
    assert crm.read_contact(cid) == {"email": None, "mobile_number": "(630) 555-0154",
                                     "home_number": None, "lead_source": None, "notes": None}
    write = crm.update_contact(cid, {"email": "susan@example.com", "home_number": "+16305550155"})
    assert write.action == "updated"
    assert write.before == {"email": None, "home_number": None}
    assert write.after == {"email": "susan@example.com", "home_number": "6305550155"}
    assert "Susan Park" in write.undo and "email back to ''" in write.undo
    assert housecallpro.requests_seen[-1] == f"PUT /customers/{cid}"
    stored = housecallpro.customers[cid]
    assert stored["email"] == "susan@example.com" and stored["mobile_number"] == "(630) 555-0154"

    again = crm.update_contact(cid, {"email": "susan@example.com",
                                     "mobile_number": "+16305550154"})  # the same number
    assert again.after == {} and "Nothing to undo" in again.undo
    assert housecallpro.requests_seen[-1] == f"GET /customers/{cid}"  # nothing was sent
    with pytest.raises(ProviderError) as caught:
        crm.update_contact(cid, {"first_name": "Sue"})
    assert caught.value.kind == ProblemKind.REJECTED and "first_name" in str(caught.value)


def test_add_note_appends_a_dated_paragraph_to_the_customer_notes(housecallpro):
    crm, _ = make(housecallpro)
    cid = housecallpro.seed_contact("Robert King", "+17085550111")
    housecallpro.customers[cid]["notes"] = "Gate code 4411"
    write = crm.add_note(cid, "Called back, booked for Friday")
    expected = "Gate code 4411\n\n[2025-02-12 21:00 UTC, Front Desk] Called back, booked for Friday"
    assert housecallpro.customers[cid]["notes"] == expected
    assert write.kind == "note" and write.before == {"notes": "Gate code 4411"}
    assert write.after == {"notes": expected} and "Robert King" in write.undo


# -- what changed ---------------------------------------------------------------------------------
def test_contacts_changed_since_walks_newest_first_and_stops_at_since(housecallpro):
    crm, _ = make(housecallpro, page_size=10)
    ids = [housecallpro.seed_contact(f"Caller {n:02d}", f"+1708555{n:04d}",
                                     updated_at=NOW - timedelta(hours=n)) for n in range(25)]
    since = NOW - timedelta(hours=14)  # callers 0..14 changed at or after it
    pages = list(crm.contacts_changed_since(since))
    assert [len(p) for p in pages] == [10, 5]
    assert [c.crm_id for c in flat(pages)] == ids[:15]
    assert flat(pages)[-1].updated_at == since  # inclusive
    walked = [q for p, q in housecallpro.queries if p == "/customers"]
    assert [q["page"] for q in walked] == ["1", "2"]  # page 3 was never needed
    assert all(q["sort_by"] == "updated_at" and q["sort_direction"] == "desc" for q in walked)

    everyone = list(crm.contacts_changed_since(None))
    assert [len(p) for p in everyone] == [10, 10, 5]
    assert len({c.crm_id for c in flat(everyone)}) == 25


def test_jobs_changed_since_reads_money_status_and_schedule(housecallpro, caplog):
    crm, _ = make(housecallpro, page_size=2)
    cid = housecallpro.seed_contact("Patricia Moore", "+18475550192")
    fresh = housecallpro.seed_job(cid, "Replace water heater", "scheduled", 184_500,
                                  updated_at=NOW - timedelta(minutes=5),
                                  scheduled_at=NOW + timedelta(days=2))
    done = housecallpro.seed_job(cid, "Drain cleaning", "complete rated", 22_000,
                                 updated_at=NOW - timedelta(hours=1))
    broken = housecallpro.seed_job(cid, "Odd record", "scheduled", 0,
                                   updated_at=NOW - timedelta(minutes=30))
    housecallpro.jobs[broken]["updated_at"] = "yesterday-ish"
    housecallpro.jobs[broken]["created_at"] = "zzz"  # sorts first; still unreadable
    housecallpro.seed_job(cid, "Old job", "complete unrated", 9_900,
                          updated_at=NOW - timedelta(days=3))
    with caplog.at_level(logging.WARNING):
        jobs = flat(crm.jobs_changed_since(NOW - timedelta(days=1)))
    assert [j.crm_id for j in jobs] == [fresh, done]
    first = jobs[0]
    assert (first.contact_crm_id, first.title, first.status, first.revenue_cents) == \
        (cid, "Replace water heater", "scheduled", 184_500)
    assert first.scheduled_at == NOW + timedelta(days=2) and jobs[1].scheduled_at is None
    assert any(broken in r.getMessage() for r in caplog.records)


def test_a_server_that_repeats_a_page_stops_the_walk(housecallpro):
    crm, _ = make(housecallpro)
    asked = []

    def same_page_forever(path, params=None, **kwargs):
        asked.append(params["page"])
        return {"jobs": [{"id": "job_1"}], "page": 1, "page_size": 100, "total_pages": 9,
                "total_items": 900}

    crm.http.get_json = same_page_forever
    with pytest.raises(ProviderError) as caught:
        list(crm.jobs_changed_since(None))
    assert caught.value.kind == ProblemKind.BAD_RESPONSE and "repeated" in str(caught.value)
    assert asked == [1, 2]


# -- failures in plain words ---------------------------------------------------------------------
def test_a_wrong_key_reads_as_plain_words_without_the_key(housecallpro):
    crm, _ = make(housecallpro, api_key="hcp_wrong_key_123456")
    check = crm.test_connection()
    assert not check.ok and "rejected the API key" in check.message
    assert "frontdesk secret set crm.housecallpro.api_key" in check.message
    assert "hcp_wrong_key_123456" not in check.message
    with pytest.raises(ProviderError) as caught:
        crm.find_contact(KEY, "+17735550142", None)
    assert caught.value.kind == ProblemKind.AUTH


def test_missing_permission_and_missing_key_say_what_to_fix(housecallpro):
    crm, _ = make(housecallpro)
    housecallpro.forbidden = True
    check = crm.test_connection()
    assert not check.ok and "MAX plan" in check.message
    assert housecallpro.api_key not in check.message

    asked = []
    crm = from_settings({"crm.base_url": housecallpro.base_url},
                        SecretAccess(get=lambda key: asked.append(key)), lambda: NOW)
    assert asked == []  # read at first use, not when built
    check = crm.test_connection()
    assert not check.ok and "frontdesk secret set crm.housecallpro.api_key" in check.message
    with pytest.raises(ProviderError) as caught:
        crm.contacts_changed_since(None).__next__()
    assert caught.value.kind == ProblemKind.NOT_CONFIGURED
    assert asked and set(asked) == {"crm.housecallpro.api_key"}


def test_test_connection_names_the_company(housecallpro):
    crm = from_settings({"crm.base_url": housecallpro.base_url},
                        SecretAccess(get=housecallpro.secrets().get), lambda: NOW)
    check = crm.test_connection()
    assert check.ok and check.message == "Connected to Housecall Pro: Lakeview Plumbing & Heat"


def test_rate_limits_wait_and_then_say_how_long(housecallpro):
    crm, sleeps = make(housecallpro)
    housecallpro.fail_next(2, "429", retry_after=3)
    assert crm.find_contact(None, "+17735550142", None) is None  # a GET waits and retries
    assert sleeps == [3.0, 3.0]
    housecallpro.fail_next(1, "429", retry_after=120)  # too long to wait inside a call
    with pytest.raises(ProviderError) as caught:
        crm.find_contact(None, "+17735550142", None)
    assert caught.value.kind == ProblemKind.RATE_LIMITED and caught.value.retry_after_s == 120
    assert "2 min" in str(caught.value)


def test_server_errors_are_retried_on_reads_but_never_on_creates(housecallpro):
    crm, _ = make(housecallpro)
    housecallpro.fail_next(2, "500")
    assert crm.find_contact(None, "+17735550142", None) is None
    housecallpro.fail_next(1, "500")
    with pytest.raises(ProviderError) as caught:
        crm.create_contact({"name": "Ann Lee"}, KEY)
    assert caught.value.kind == ProblemKind.NETWORK and "HTTP 500" in str(caught.value)
    assert housecallpro.contacts_with_phone("+17735550142") == []
    assert housecallpro.requests_seen.count("POST /customers") == 1


def test_a_timeout_reads_as_no_answer_in_time(housecallpro):
    housecallpro.hang_s = 0.8
    crm, _ = make(housecallpro, timeout=(1, 0.3))
    housecallpro.fail_next(1, "timeout")
    with pytest.raises(ProviderError) as caught:
        crm.create_contact({"name": "Ann Lee"}, KEY)
    assert caught.value.kind == ProblemKind.NETWORK
    assert str(caught.value) == ("Housecall Pro cannot be reached (no answer in time): check "
                                 "the internet connection")
    housecallpro.fail_next(4, "timeout")
    check = crm.test_connection()
    assert not check.ok and "no answer in time" in check.message
