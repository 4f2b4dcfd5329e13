"""The Jobber adapter against a loopback fake of its GraphQL API (tests/fake_jobber.py).

The fake rotates refresh tokens and kills the old one at once, refuses bad input with
userErrors and throttles with a THROTTLED error (both HTTP 200), expires access tokens and
pages connections with pageInfo. So these tests prove what a shop relies on: a lead lands
once, as a client and a request, and is found again after a lost answer; the connection
survives token rotation, even with two Front Desk processes sharing the keyring; every
failure reads as plain words without a secret in it; nothing is ever deleted.
"""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta, timezone

import pytest
from fake_jobber import API_VERSION, CLIENT_SECRET, jobber  # noqa: F401  (fixture)

from desktop.adapters.crm.base import ProblemKind, ProviderError, SecretAccess, marker
from desktop.adapters.crm.jobber import JobberCrm, from_settings
from desktop.adapters.http import RateLimiter
from desktop.domain import crm as crm_rules

REFRESH = "crm.jobber.refresh_token"
KEY = "3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6"
BASE = datetime(2025, 2, 9, 8, 0, tzinfo=timezone.utc)
LEAD = {"name": "Maria del Carmen Ruiz", "phone": "+17735550142", "email": "maria@example.com",
        "service_address": "4417 N Kedzie Ave, Chicago, IL 60625",
        "service_type": "Water heater", "urgency": "urgent", "source": "Google Ads",
        "notes": "No hot water since Sunday."}


def make_crm(fake, keyring: dict | None = None, **kwargs) -> JobberCrm:
    """The adapter on a keyring dict, a short read timeout and sleeps that never wait."""
    keyring = dict(fake.secrets()) if keyring is None else keyring
    options = dict(client_id=lambda: keyring.get("crm.jobber.client_id"),
                   client_secret=lambda: keyring.get("crm.jobber.client_secret"),
                   refresh_token=lambda: keyring.get(REFRESH),
                   save_refresh_token=lambda token: keyring.__setitem__(REFRESH, token),
                   api_version=API_VERSION, base_url=fake.base_url, timeout=(1, 0.5),
                   sleep=lambda seconds: None, limiter=RateLimiter(10_000, 1))
    options.update(kwargs)
    return JobberCrm(**options)


def mapped(values: dict = LEAD) -> dict[str, dict[str, str]]:
    return crm_rules.map_lead(values, JobberCrm.default_field_map)


def flat(pages) -> list:
    return [item for page in pages for item in page]


@pytest.fixture(autouse=True)
def never_deletes(jobber):
    yield
    assert jobber.deletes == 0


# -- customers ---------------------------------------------------------------------------------
def test_a_new_customer_lands_with_the_mapped_fields_its_marker_and_source(jobber):
    crm = make_crm(jobber)
    write = crm.create_contact(mapped()["contact"], KEY)

    [client] = jobber.contacts_with_phone(LEAD["phone"])
    assert (client["firstName"], client["lastName"]) == ("Maria del Carmen", "Ruiz")
    assert client["phones"][0]["number"] == "(773) 555-0142"  # as a person types it
    assert client["emails"][0]["address"] == "maria@example.com"
    assert client["billingAddress"]["street1"] == LEAD["service_address"]
    assert client["tags"] == [marker(KEY), "Google Ads"]
    assert (write.kind, write.action, write.crm_id) == ("contact", "created", client["id"])
    assert write.after["tags"] == [marker(KEY), "Google Ads"]
    assert write.url == client["jobberWebUri"]
    assert "Maria del Carmen Ruiz" in write.undo and "Front Desk never deletes" in write.undo

    found = crm.find_contact(KEY, None, None)  # by the marker tag alone
    assert (found.crm_id, found.key, found.phone) == (client["id"], KEY, LEAD["phone"])
    assert jobber.operations == ["CreateClient", "EditClient", "Clients"]


def test_a_customer_is_found_by_a_phone_typed_another_way_or_by_email(jobber):
    jane = jobber.seed_contact("Jane Roe", "+13125550142", email="Jane.Roe@example.com")
    jobber.seed_contact("Joe Bloggs", "+17085550142")           # same last four digits
    jobber.seed_contact("Ann Other", "+16305550111", email="unit0142@example.com")
    crm = make_crm(jobber)

    found = crm.find_contact(None, "+13125550142", None)
    assert (found.crm_id, found.name, found.phone, found.key) == (
        jane, "Jane Roe", "+13125550142", None)
    assert crm.find_contact(KEY, "+16305550199", "jane.roe@EXAMPLE.com").crm_id == jane
    assert crm.find_contact(KEY, "+16305550199", "nobody@example.com") is None


def test_a_create_whose_answer_was_lost_is_found_again_not_sent_twice(jobber):
    crm = make_crm(jobber)
    jobber.fail_after_commit(1)
    with pytest.raises(ProviderError) as err:
        crm.create_contact(mapped()["contact"], KEY)
    assert err.value.kind is ProblemKind.NETWORK
    assert jobber.operations.count("CreateClient") == 1  # a create is never resent inside

    found = crm.find_contact(KEY, LEAD["phone"], LEAD["email"])
    assert found.crm_id == jobber.contacts_with_phone(LEAD["phone"])[0]["id"]
    assert len(jobber.clients) == 1


def test_bad_input_is_refused_in_jobbers_own_words(jobber):
    crm = make_crm(jobber)
    with pytest.raises(ProviderError) as err:
        crm.create_contact({"phone": "+13125550142"}, KEY)  # no name
    assert err.value.kind is ProblemKind.REJECTED
    assert "Client must have a first name, last name or company name" in str(err.value)
    assert jobber.clients == {}
    assert crm_rules.missing_required({"contact": {}, "lead": {}}, JobberCrm.required,
                                      JobberCrm.default_field_map)


def test_update_contact_fills_in_and_reports_before_and_after(jobber):
    jane = jobber.seed_contact("Jane Roe", "+13125550142", email="jane@old.example.com")
    bare = jobber.seed_contact("Sam Poe", "+13125550143")
    crm = make_crm(jobber)
    assert crm.read_contact(jane) == {"email": "jane@old.example.com", "address": None}

    write = crm.update_contact(jane, {"email": "jane@new.example.com",
                                      "address": "12 Elm St, Evanston, IL 60201"})
    assert write.action == "updated"
    assert write.before == {"email": "jane@old.example.com", "address": None}
    assert write.after == {"email": "jane@new.example.com",
                           "address": "12 Elm St, Evanston, IL 60201"}
    assert "jane@old.example.com" in write.undo
    assert crm.read_contact(jane) == write.after

    crm.update_contact(bare, {"email": "sam@example.com", "address": None})
    assert crm.read_contact(bare) == {"email": "sam@example.com", "address": None}
    with pytest.raises(ValueError, match="name"):
        crm.update_contact(jane, {"name": "Janet Roe"})


def test_a_note_goes_on_the_client(jobber):
    jane = jobber.seed_contact("Jane Roe", "+13125550142")
    write = make_crm(jobber).add_note(jane, "Called back: booked for Tuesday 9 am.")
    assert jobber.client_notes[0]["message"] == "Called back: booked for Tuesday 9 am."
    assert (write.kind, write.action) == ("note", "created")
    assert "Jane Roe" in write.undo and write.url == jobber.clients[jane]["jobberWebUri"]


# -- the lead's request ------------------------------------------------------------------------
def test_a_lead_becomes_one_request_with_its_details(jobber):
    cid = jobber.seed_contact("Maria Ruiz", LEAD["phone"])
    crm = make_crm(jobber)
    write = crm.create_lead(cid, mapped()["lead"], KEY)

    [request] = jobber.lead_records(cid)
    assert request["title"] == f"Water heater ({marker(KEY)})"
    [note] = request["notes"]
    assert "Urgency: urgent" in note["message"] and "Source: Google Ads" in note["message"]
    assert "No hot water since Sunday." in note["message"] and marker(KEY) in note["message"]
    assert (write.kind, write.action, write.crm_id) == ("request", "created", request["id"])
    assert write.url == request["jobberWebUri"] and "Front Desk never deletes" in write.undo

    found = crm.find_lead_record(cid, KEY)
    assert (found.crm_id, found.action) == (request["id"], "linked")
    assert crm.create_lead(cid, mapped()["lead"], KEY).action == "linked"  # never a second
    assert len(jobber.lead_records(cid)) == 1 and len(request["notes"]) == 1
    assert crm.find_lead_record(cid, "f" * 32) is None


def test_a_request_whose_answer_was_lost_is_finished_not_duplicated(jobber):
    cid = jobber.seed_contact("Maria Ruiz", LEAD["phone"])
    crm = make_crm(jobber)
    jobber.fail_after_commit(1)
    with pytest.raises(ProviderError):
        crm.create_lead(cid, mapped()["lead"], KEY)
    [request] = jobber.lead_records(cid)
    assert request["notes"] == []
    assert crm.find_lead_record(cid, KEY) is None  # unfinished: not reported as delivered

    write = crm.create_lead(cid, mapped()["lead"], KEY)
    assert write.crm_id == request["id"] and len(jobber.lead_records(cid)) == 1
    assert len(request["notes"]) == 1
    assert crm.find_lead_record(cid, KEY).crm_id == request["id"]


# -- the connection ----------------------------------------------------------------------------
def test_the_rotated_refresh_token_is_saved_before_it_is_used(jobber):
    keyring = dict(jobber.secrets())
    first, saved = keyring[REFRESH], []

    def save(token: str) -> None:
        saved.append((token, list(jobber.requests_seen)))
        keyring[REFRESH] = token

    crm = make_crm(jobber, keyring, save_refresh_token=save)
    assert crm.test_connection().ok
    [(token, seen_at_save)] = saved
    assert token == jobber.refresh_token != first
    assert seen_at_save == ["POST /api/oauth/token"]  # saved before any API call
    assert jobber.requests_seen == ["POST /api/oauth/token", "POST /api/graphql"]


def test_an_expired_access_token_is_refreshed_once_and_the_call_sent_again(jobber):
    jane = jobber.seed_contact("Jane Roe", "+13125550142")
    keyring = dict(jobber.secrets())
    crm = make_crm(jobber, keyring)
    crm.add_note(jane, "first")
    jobber.expire_access_tokens()
    crm.add_note(jane, "second")

    assert jobber.requests_seen.count("POST /api/oauth/token") == 2
    assert jobber.operations == ["CreateClientNote"] * 3  # the refused one, sent once more
    assert [n["message"] for n in jobber.client_notes] == ["first", "second"]
    assert keyring[REFRESH] == jobber.refresh_token


def test_the_token_is_renewed_shortly_before_it_expires(jobber):
    now = [datetime.now(timezone.utc)]
    jobber.now = lambda: now[0]
    crm = make_crm(jobber, clock=lambda: now[0])
    assert crm.find_contact(None, "+13125550142", None) is None
    now[0] += timedelta(minutes=59, seconds=30)
    assert crm.find_contact(None, "+13125550142", None) is None
    assert jobber.requests_seen.count("POST /api/oauth/token") == 2
    assert "Clients" in jobber.operations and len(jobber.access_tokens) == 2  # no 401 first


def test_a_second_process_holding_an_old_token_recovers_from_the_keyring(jobber):
    keyring = dict(jobber.secrets())
    stale = keyring[REFRESH]
    reads = iter([stale])  # `frontdesk deliver` read the keyring just before the app rotated
    app = make_crm(jobber, keyring)
    deliver = make_crm(jobber, keyring, refresh_token=lambda: next(reads, None) or
                       keyring.get(REFRESH))

    assert app.test_connection().ok        # rotates: `stale` is dead from now on
    assert deliver.test_connection().ok    # refused, reads the keyring again, goes on
    assert jobber.requests_seen.count("POST /api/oauth/token") == 3
    assert keyring[REFRESH] == jobber.refresh_token
    assert app.find_contact(None, "+13125550142", None) is None  # its access token still works


def test_a_refresh_racing_the_other_process_waits_for_its_save(jobber):
    """Both processes sent the same token; the other one won and saves the new token a
    moment later. The loser looks in the keyring a few times instead of telling the
    owner to reconnect."""
    keyring = dict(jobber.secrets())
    stale = keyring[REFRESH]
    winner = make_crm(jobber, keyring)
    assert winner.test_connection().ok          # rotated; the keyring has the new token
    rotated = keyring[REFRESH]
    reads = iter([stale, stale, stale])          # ...but this process sees it only later
    waits = []
    loser = make_crm(jobber, keyring, refresh_token=lambda: next(reads, None) or rotated,
                     sleep=waits.append)
    assert loser.test_connection().ok
    assert sum(waits) > 0 and keyring[REFRESH] == jobber.refresh_token


def test_a_renewed_token_the_keyring_refuses_is_kept_not_lost(jobber):
    keyring = dict(jobber.secrets())
    refusals = iter([OSError("keyring locked")])

    def save(token):
        error = next(refusals, None)
        if error:
            raise error
        keyring[REFRESH] = token

    crm = make_crm(jobber, keyring, save_refresh_token=save)
    assert crm.test_connection().ok             # renewed; the save failed
    assert keyring[REFRESH] != jobber.refresh_token
    jobber.expire_access_tokens()
    assert crm.find_contact(None, "+13125550142", None) is None  # renews with the kept one
    assert keyring[REFRESH] == jobber.refresh_token               # and saves it this time


def test_a_dead_refresh_token_asks_the_owner_to_reconnect(jobber):
    crm = make_crm(jobber, {**jobber.secrets(), REFRESH: "jb-refresh-revoked0001"})
    check = crm.test_connection()
    assert not check.ok and "reconnect Jobber" in check.message
    assert "The provided refresh token is not valid" in check.message
    assert "jb-refresh-revoked0001" not in check.message
    with pytest.raises(ProviderError) as err:
        crm.find_contact(None, "+13125550142", None)
    assert err.value.kind is ProblemKind.AUTH

    wrong = make_crm(jobber, {**jobber.secrets(), "crm.jobber.client_secret": "wrong-secret-1"})
    message = wrong.test_connection().message
    assert "crm.jobber.client_secret" in message and "wrong-secret-1" not in message

    missing = make_crm(jobber, {"crm.jobber.client_id": "x"})
    with pytest.raises(ProviderError) as err:
        missing.find_contact(None, "+13125550142", None)
    assert err.value.kind is ProblemKind.NOT_CONFIGURED
    assert "frontdesk secret set crm.jobber.client_secret" in str(err.value)


def test_throttling_is_rate_limited_with_the_wait_jobber_implies(jobber):
    crm = make_crm(jobber)
    jobber.fail_next(1, "429", retry_after=3)
    with pytest.raises(ProviderError) as err:
        crm.find_contact(None, "+13125550142", None)
    assert err.value.kind is ProblemKind.RATE_LIMITED
    assert err.value.retry_after_s == pytest.approx(3.0)
    assert "rate-limiting" in str(err.value) and "3 s" in str(err.value)
    assert crm.find_contact(None, "+13125550142", None) is None  # and then it answers


def test_failures_read_as_plain_words_without_secrets(jobber):
    jane = jobber.seed_contact("Jane Roe", "+13125550142")
    keyring = dict(jobber.secrets())
    crm = make_crm(jobber, keyring)
    messages = []

    jobber.fail_next(1, "timeout")           # a query is asked again inside the client
    assert crm.find_contact(None, "+13125550142", None).crm_id == jane
    jobber.fail_next(1, "500")
    assert crm.read_contact(jane)["email"] is None

    jobber.fail_next(1, "timeout")           # a write is not: the worker looks first
    with pytest.raises(ProviderError) as err:
        crm.add_note(jane, "hello")
    assert err.value.kind is ProblemKind.NETWORK and "no answer in time" in str(err.value)
    assert jobber.operations.count("CreateClientNote") == 1
    messages.append(str(err.value))

    jobber.forbidden = True
    with pytest.raises(ProviderError) as err:
        crm.find_contact(None, "+13125550142", None)
    assert err.value.kind is ProblemKind.PERMISSION and "permission" in str(err.value)
    check = crm.test_connection()
    assert not check.ok and "read_clients" in check.message
    messages += [str(err.value), check.message]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    check = make_crm(jobber, base_url=closed).test_connection()
    assert not check.ok and "cannot be reached" in check.message
    messages.append(check.message)

    credentials = [CLIENT_SECRET, keyring[REFRESH], *jobber.access_tokens]
    assert not [m for m in messages for secret in credentials if secret in m]


def test_from_settings_reads_the_keyring_at_first_use_and_sends_the_version(jobber):
    keyring = dict(jobber.secrets())
    settings = {**jobber.settings(), "crm.jobber.api_version": "2025-01-20"}
    crm = from_settings(settings, SecretAccess(get=keyring.get, set=keyring.__setitem__),
                        clock=lambda: datetime.now(timezone.utc))
    assert crm.name == "jobber" and crm.label == "Jobber"
    check = crm.test_connection()
    assert check.ok and jobber.account_name in check.message
    assert jobber.versions_seen == ["2025-01-20"]
    assert keyring[REFRESH] == jobber.refresh_token

    empty = from_settings(settings, SecretAccess(get={}.get, set=None),
                          clock=lambda: datetime.now(timezone.utc))
    assert "frontdesk secret set crm.jobber.client_id" in empty.test_connection().message


# -- sync --------------------------------------------------------------------------------------
def test_changed_contacts_page_through_from_since_inclusive(jobber, caplog):
    ids = [jobber.seed_contact(f"Customer {i}", f"+1312555{100 + i:04d}",
                               updated_at=BASE + timedelta(hours=i)) for i in range(7)]
    jobber.clients[ids[5]]["createdAt"] = "last Tuesday"  # a record we cannot read
    crm = make_crm(jobber, page_size=3)

    with caplog.at_level(logging.WARNING):
        pages = list(crm.contacts_changed_since(None))
    assert [len(p) for p in pages] == [3, 2, 1]
    assert [c.crm_id for c in flat(pages)] == ids[:5] + ids[6:]
    assert "skipped a Jobber client" in caplog.text
    assert flat(pages)[0].phone == "+13125550100"

    since = BASE + timedelta(hours=3)  # exactly customer 3's last change
    assert [c.crm_id for c in flat(crm.contacts_changed_since(since))] == [ids[3], ids[4],
                                                                           ids[6]]


def test_changed_jobs_come_newest_first_and_stop_at_since(jobber):
    cid = jobber.seed_contact("Jane Roe", "+13125550142")
    ids = [jobber.seed_job(cid, f"Job {i}", "archived" if i < 3 else "upcoming", 12_550 * i,
                           updated_at=BASE + timedelta(hours=i),
                           scheduled_at=BASE + timedelta(days=i)) for i in range(6)]
    crm = make_crm(jobber, page_size=2)

    jobs = flat(crm.jobs_changed_since(None))
    assert [j.crm_id for j in jobs] == ids[::-1]
    newest = jobs[0]
    assert (newest.title, newest.status, newest.revenue_cents, newest.contact_crm_id) == (
        "Job 5", "upcoming", 62_750, cid)
    assert newest.scheduled_at == BASE + timedelta(days=5)

    walked = jobber.operations.count("Jobs")
    pages = list(crm.jobs_changed_since(BASE + timedelta(hours=3)))
    assert [[j.crm_id for j in p] for p in pages] == [[ids[5], ids[4]], [ids[3]]]
    assert jobber.operations.count("Jobs") - walked == 2  # stopped at the first older job


def test_a_repeating_cursor_stops_the_walk(jobber):
    for i in range(3):
        jobber.seed_contact(f"Customer {i}", f"+1312555{100 + i:04d}")
    jobber.stuck_cursor = True
    with pytest.raises(ProviderError) as err:
        list(make_crm(jobber, page_size=1).contacts_changed_since(None))
    assert err.value.kind is ProblemKind.BAD_RESPONSE and "repeated" in str(err.value)
