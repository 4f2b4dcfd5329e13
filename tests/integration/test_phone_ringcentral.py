"""The RingCentral line against a loopback fake of RingCentral's API (tests/fake_ringcentral.py).

The CLI tests run `desktop.cli.main` in-process with the real clock, so their scripted day is
placed relative to the real "now". The adapter-level tests use the FakeClock and a virtual
monotonic clock, so rate limiters and Retry-After waits cost no real time.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
from datetime import datetime, timedelta, timezone

import keyring
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from desktop.adapters.phone.base import ProblemKind, ProviderError
from desktop.adapters.phone.ringcentral import JWT_REJECTED, RingCentralLine
from desktop.domain.calls import Direction, Outcome
from desktop.domain.quarantine import Quarantined
from desktop.services.sync import PhoneSync, SyncPolicy
from fake_ringcentral import (CLIENT_ID, CLIENT_SECRET, JWT, SHOP_NUMBER, call_record,
                              ringcentral)  # noqa: F401  (the fixture)

CONNECTOR = "phone:ringcentral"
COMPARED = ("phone", "calls", "call_ids", "outcome", "transcript", "source", "caller_name",
            "first_call_at", "last_call_at", "callback_attempts")
TRACKING_NUMBER = "+13125550199"


class VirtualTime:
    """monotonic() for the rate limiters and sleep() that only moves it forward."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def make_line(fake, clock, vt=None, **overrides) -> RingCentralLine:
    vt = vt or VirtualTime()
    options = dict(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, jwt=JWT,
                   base_url=fake.base_url, clock=clock, sleep=vt.sleep, monotonic=vt.monotonic)
    return RingCentralLine(**{**options, **overrides})


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


@pytest.fixture
def configured(cli, ringcentral):
    """A data folder set up for RingCentral the way a person would, through the CLI."""
    for key, value in (("phone.provider", "ringcentral"),
                       ("phone.ringcentral.client_id", CLIENT_ID),
                       ("phone.base_url", ringcentral.base_url),
                       ("phone.source_by_number", json.dumps({TRACKING_NUMBER: "Google Ads"}))):
        code, _, err = cli("config", "set", key, value)
        assert code == 0, err
    assert cli("secret", "set", "phone.ringcentral.client_secret", stdin=CLIENT_SECRET)[0] == 0
    keyring.set_password("FrontDesk", "phone.ringcentral.jwt", JWT)
    return cli


@pytest.fixture
def synced_app(app_factory, clock, ringcentral):
    """(app, line, sync, virtual time) on the FakeClock, the fake sharing that clock."""
    ringcentral.now = clock
    vt = VirtualTime()
    app = app_factory()
    line = make_line(ringcentral, clock, vt)
    return app, line, PhoneSync(app.uow, line, SyncPolicy(), clock), vt


@pytest.fixture
def unused_port() -> int:
    """A loopback port nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def queue(cli) -> list[dict]:
    code, out, err = cli("queue", "--json")
    assert code == 0, err
    return json.loads(out)


def projected(rows: list[dict]) -> list[dict]:
    return sorted(({key: (sorted(row[key]) if key == "call_ids" else row[key])
                    for key in COMPARED} for row in rows), key=lambda r: r["phone"])


def health(app) -> str | None:
    rows, _ = app.health.rows()
    return next((row.last_error for row in rows if row.connector == CONNECTOR), None)


# -- a scripted day, through the real CLI ----------------------------------------------------
def scripted_day(fake, now: datetime) -> list[dict]:
    """Load a day of calls in RingCentral's shape; return the queue the desk must show."""
    at = lambda minutes: (now - timedelta(minutes=minutes)).replace(microsecond=0)  # noqa: E731
    fake.add(call_record("1001", at(300), 25, "Inbound", "Missed", "+13125550101",
                         name="KOWALSKI LINDA"))
    fake.add_voicemail(fake.add(call_record("1002", at(240), 48, "Inbound", "Voicemail",
                                            "+17735550102", name="GONZALEZ MARIA")),
                       "Hi, this is Maria, the water heater is leaking. Please call me back.")
    fake.add(call_record("1003", at(230), 8, "Inbound", "Hang Up", "+16305550103"))
    # Forwarded and missed: the main-number record plus a FindMe record to the owner's mobile,
    # one session, two records in the account call log.
    fake.add(call_record("1004", at(220), 30, "Inbound", "Missed", "+18475550104",
                         name="WIRELESS CALLER"))
    fake.add(call_record("1004", at(220) + timedelta(seconds=2), 26, "Outbound", "No Answer",
                         "+13125550177", action="FindMe", record_id="A1004fwd"))
    # A repeat caller: missed, a voicemail without a transcript, missed again.
    fake.add(call_record("1005", at(120), 20, "Inbound", "Missed", "+17085550105"))
    fake.add_voicemail(fake.add(call_record("1006", at(110), 30, "Inbound", "Voicemail",
                                            "+17085550105")), None)
    fake.add(call_record("1007", at(100), 21, "Inbound", "No Answer", "+17085550105"))
    # Missed, then called back from the shop.
    fake.add(call_record("1008", at(90), 22, "Inbound", "Missed", "+13125550106"))
    fake.add(call_record("1009", at(60), 95, "Outbound", "Call connected", "+13125550106",
                         action="VoIP Call"))
    # Answered calls must not be queued: a plain one, and a ring group where the first
    # extension missed it and the second picked up.
    fake.add(call_record("1010", at(50), 300, "Inbound", "Accepted", "+18475550107"))
    ring_group = call_record("1011", at(45), 200, "Inbound", "Missed", "+16305550108")
    ring_group["legs"].append({**ring_group["legs"][0], "result": "Accepted",
                               "legType": "PstnToSip"})
    fake.add(ring_group)
    # A call to the tracking number: the source comes from phone.source_by_number.
    fake.add(call_record("1012", at(40), 24, "Inbound", "Missed", "+17735550109",
                         shop=TRACKING_NUMBER))
    # Not customer calls, or not finished: never queued.
    fake.add(call_record("1013", at(2), 0, "Inbound", "In Progress", "+17735550110"))
    internal = call_record("1014", at(30), 60, "Inbound", "Missed", "+17735550111")
    internal["from"] = {"extensionNumber": "102", "name": "Tech Van 2"}
    fake.add(internal)
    fax = call_record("1015", at(20), 60, "Inbound", "Received", "+17735550112")
    fax["type"] = "Fax"
    fake.add(fax)

    def row(phone, ids, outcome, start, last=None, calls=1, transcript=None, source=None,
            name=None, callbacks=0):
        return {"phone": phone, "calls": calls, "call_ids": sorted(ids), "outcome": outcome,
                "transcript": transcript, "source": source, "caller_name": name,
                "first_call_at": iso(at(start)), "last_call_at": iso(at(last or start)),
                "callback_attempts": callbacks}

    return sorted([
        row("+13125550101", ["1001"], "missed", 300, name="Linda Kowalski"),
        row("+17735550102", ["1002"], "voicemail", 240, name="Maria Gonzalez",
            transcript="Hi, this is Maria, the water heater is leaking. Please call me back."),
        row("+16305550103", ["1003"], "abandoned", 230),
        row("+18475550104", ["1004"], "missed", 220),
        row("+17085550105", ["1005", "1006", "1007"], "missed", 120, last=100, calls=3),
        row("+13125550106", ["1008"], "missed", 90, callbacks=1),
        row("+17735550109", ["1012"], "missed", 40, source="Google Ads"),
    ], key=lambda r: r["phone"])


def test_a_scripted_day_reaches_the_queue_exactly_once(configured, ringcentral):
    expected = scripted_day(ringcentral, datetime.now(timezone.utc))
    code, _, err = configured("sync", "--once")
    assert code == 0, err
    assert "12 new call(s)" in err  # 15 sessions less in-progress, internal, fax
    first = queue(configured)
    assert projected(first) == expected

    code, _, err = configured("sync", "--once")
    assert code == 0, err
    assert err.startswith("0 new call(s), 0 updated, 0 new queue item(s)")
    again = queue(configured)
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("age_s", "lane")}  # noqa
                          for r in rows]
    assert strip(again) == strip(first)
    # Every call-log read named its window and asked for the legs.
    assert all({"dateFrom", "dateTo"} <= q.keys() and q["view"] == "Detailed"
               for q in ringcentral.queries())


def test_first_sync_backfills_the_configured_days_and_never_relies_on_the_default(
        configured, ringcentral):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ringcentral.add(call_record("2001", now - timedelta(days=6), 30, "Inbound", "Missed",
                                "+13125550111"))
    ringcentral.add(call_record("2002", now - timedelta(days=8), 30, "Inbound", "Missed",
                                "+13125550112"))
    assert configured("sync", "--once")[0] == 0
    assert [row["phone"] for row in queue(configured)] == ["+13125550111"]
    (first,) = ringcentral.queries()
    date_from = datetime.fromisoformat(first["dateFrom"])
    # Seven days back, widened by the longest call because dateFrom filters start time.
    assert now - timedelta(days=7, hours=4, minutes=1) < date_from < now - timedelta(days=7)
    assert datetime.fromisoformat(first["dateTo"]) >= now


def test_the_fake_has_the_silent_24_hour_default(ringcentral):
    """The trap the adapter must avoid is really there: no dateFrom, only the last day."""
    import requests
    now = datetime.now(timezone.utc)
    for session, days in (("2101", 0.5), ("2102", 2)):
        ringcentral.add(call_record(session, now - timedelta(days=days), 30, "Inbound",
                                    "Missed", "+13125550113"))
    token = requests.post(f"{ringcentral.base_url}/restapi/oauth/token",
                          auth=(CLIENT_ID, CLIENT_SECRET),
                          data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                "assertion": JWT}, timeout=5).json()["access_token"]
    body = requests.get(f"{ringcentral.base_url}/restapi/v1.0/account/~/call-log",
                        headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    assert [r["sessionId"] for r in body["records"]] == ["2101"]
    assert body["paging"]["totalElements"] == 1 and "nextPage" not in body["navigation"]


# -- pagination, overlap, legs across pages -----------------------------------------------------
def test_pages_are_followed_and_overlap_rereads_do_not_duplicate(synced_app, ringcentral, clock):
    app, line, sync, _ = synced_app
    line.page_size = 3
    now = clock()
    for n in range(10):
        ringcentral.add(call_record(f"30{n:02d}", now - timedelta(minutes=50 - n * 4), 20,
                                    "Inbound", "Missed", f"+1312555{1200 + n}"))
    # The second record of session 3000 lands on a later page than the first.
    ringcentral.add(call_record("3000", now - timedelta(minutes=50, seconds=-3), 15,
                                "Outbound", "Accepted", "+13125550177", action="FindMe",
                                record_id="A3000fwd"))
    result = sync.poll()
    assert result.error is None and result.new_calls == 10 and result.new_items == 9
    assert [q["page"] for q in ringcentral.queries()] == ["1", "2", "3", "4"]
    assert {q["perPage"] for q in ringcentral.queries()} == {"3"}
    with app.uow() as uow:
        assert uow.calls.by_provider_id("ringcentral", "3000").outcome == Outcome.ANSWERED

    clock.advance(seconds=30)
    again = sync.poll()
    assert again.error is None and again.new_calls == 0 and again.new_items == 0
    with app.uow() as uow:
        assert uow.calls.count() == 10


def test_outbound_calls_name_the_customer_as_the_callee(synced_app, ringcentral, clock):
    _, line, _, _ = synced_app
    now = clock()
    ringcentral.add(call_record("4001", now - timedelta(minutes=5), 40, "Outbound",
                                "Call connected", "(773) 555-0142"))
    (page,) = list(line.list_calls(now - timedelta(hours=1), now))
    (call,) = page
    assert call.direction == Direction.OUTBOUND
    assert (call.from_number, call.to_number) == (SHOP_NUMBER, "+17735550142")
    assert call.outcome == Outcome.ANSWERED and call.started_at.tzinfo is not None


def test_a_call_is_listed_once_it_has_finished(synced_app, ringcentral, clock):
    _, line, _, _ = synced_app
    now = clock()
    ringcentral.add(call_record("4101", now - timedelta(hours=3), 3 * 3600 - 60, "Inbound",
                                "Accepted", "+17735550143"))
    ringcentral.add(call_record("4102", now - timedelta(minutes=1), 0, "Inbound",
                                "In Progress", "+17735550144"))
    calls = [c for page in line.list_calls(now - timedelta(minutes=5), now) for c in page]
    # The three-hour call started long before `since` but ended inside the window.
    assert [c.provider_call_id for c in calls] == ["4101"]
    assert calls[0].ended_at == now - timedelta(minutes=1)


# -- transcripts ------------------------------------------------------------------------------
def test_a_transcript_that_finishes_later_reaches_the_queue(synced_app, ringcentral, clock):
    app, line, sync, _ = synced_app
    now = clock()
    record = ringcentral.add(call_record("5001", now - timedelta(minutes=3), 40, "Inbound",
                                         "Voicemail", "+17735550145"))
    ringcentral.add_voicemail(record, "Gas smell in the basement, call me", "InProgress")
    assert sync.poll().new_items == 1
    with app.uow() as uow:
        assert uow.queue.open_items()[0].last_transcript is None

    ringcentral.messages[record["message"]["id"]]["vmTranscriptionStatus"] = "Completed"
    clock.advance(seconds=30)
    assert sync.poll().updated_calls == 1
    with app.uow() as uow:
        assert uow.queue.open_items()[0].last_transcript == "Gas smell in the basement, call me"
    assert line.fetch_transcript("5001") == "Gas smell in the basement, call me"
    # Finished transcripts are cached: an idle poll asks the message store nothing.
    before = ringcentral.request_count
    clock.advance(seconds=30)
    sync.poll()
    assert ringcentral.request_count - before == 1


# -- auth ---------------------------------------------------------------------------------------
def test_the_token_is_refreshed_before_it_expires_and_on_a_stale_401(synced_app, ringcentral,
                                                                       clock):
    _, _, sync, _ = synced_app
    assert sync.poll().error is None
    assert ringcentral.grants == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    grant = ringcentral.requests[0]
    assert grant[1] == "/restapi/oauth/token"

    clock.advance(minutes=59)  # inside the refresh margin: refreshed before any 401
    assert sync.poll().error is None
    assert ringcentral.grants[-1] == "refresh_token"

    ringcentral.expire_tokens()  # revoked early: the API says 401, we sign in again once
    clock.advance(seconds=30)
    assert sync.poll().error is None
    assert ringcentral.grants[-1] == "refresh_token" and len(ringcentral.grants) == 3

    ringcentral.refresh.clear()  # the refresh token is gone: back to the JWT
    clock.advance(minutes=59)
    assert sync.poll().error is None
    assert ringcentral.grants[-1] == "urn:ietf:params:oauth:grant-type:jwt-bearer"


def test_a_bad_jwt_and_a_bad_client_secret_are_named(synced_app, ringcentral, clock):
    _, _, sync, _ = synced_app
    ringcentral.jwt = "some-other-jwt"
    with pytest.raises(ProviderError) as info:
        list(sync.provider.list_calls(clock() - timedelta(hours=1), clock()))
    assert (str(info.value), info.value.kind) == (JWT_REJECTED, ProblemKind.AUTH)

    ringcentral.jwt, ringcentral.client_secret = JWT, "rotated-secret"
    with pytest.raises(ProviderError) as info:
        list(sync.provider.list_calls(clock() - timedelta(hours=1), clock()))
    assert info.value.kind == ProblemKind.AUTH
    assert str(info.value) == ("RingCentral rejected the app's client id or client secret: "
                               "check Settings → Phone")


def test_missing_credentials_are_plain_words(synced_app, ringcentral, clock):
    line = make_line(ringcentral, clock, jwt=lambda: None)
    check = line.test_connection()
    assert not check.ok
    assert check.message == ("RingCentral JWT credential is missing: run "
                             "`frontdesk secret set phone.ringcentral.jwt`")
    assert ringcentral.request_count == 0


# -- errors become plain words, and health follows -------------------------------------------
@pytest.mark.parametrize("setup, kind, words", [
    (lambda f: f.permissions.discard("ReadCallLog"), ProblemKind.PERMISSION,
     "RingCentral refused access (the app lacks a permission): In order to call this API "
     "endpoint, application needs to have [ReadCallLog] permission"),
    (lambda f: setattr(f, "account_found", False), ProblemKind.NOT_CONFIGURED,
     "RingCentral does not know this account or address"),
    (lambda f: f.fail(503, times=10), ProblemKind.NETWORK,
     "RingCentral is having trouble (HTTP 503); will retry"),
    (lambda f: f.fail(429, retry_after=120), ProblemKind.RATE_LIMITED,
     "RingCentral is rate-limiting us; the next poll waits 2 min"),
])
def test_failures_are_named_and_cleared_by_the_next_good_poll(synced_app, ringcentral, clock,
                                                              setup, kind, words):
    app, line, sync, _ = synced_app
    setup(ringcentral)
    with pytest.raises(ProviderError) as info:
        list(line.list_calls(clock() - timedelta(hours=1), clock()))
    assert info.value.kind == kind and str(info.value).startswith(words)
    ringcentral.failures.clear()
    setup(ringcentral)  # once more, now through a poll
    result = sync.poll()
    assert result.error is not None and result.error.startswith(words)
    assert health(app).startswith(words)

    ringcentral.permissions.add("ReadCallLog")
    ringcentral.account_found = True
    ringcentral.failures.clear()
    clock.advance(minutes=3)  # past any Retry-After the poll was told to respect
    assert sync.poll().error is None
    assert health(app) is None


def test_a_short_retry_after_is_waited_out(synced_app, ringcentral):
    _, _, sync, vt = synced_app
    ringcentral.fail(429, retry_after=7)
    assert sync.poll().error is None
    assert 7.0 in vt.sleeps


def test_a_long_retry_after_holds_the_next_poll(synced_app, ringcentral, clock):
    _, line, sync, _ = synced_app
    ringcentral.fail(429, retry_after=120)
    with pytest.raises(ProviderError) as info:
        list(line.list_calls(clock() - timedelta(hours=1), clock()))
    assert info.value.kind == ProblemKind.RATE_LIMITED and info.value.retry_after_s == 120
    ringcentral.fail(429, retry_after=120)
    assert sync.poll().error is not None
    sent = ringcentral.request_count
    clock.advance(seconds=30)
    assert sync.poll().waiting and ringcentral.request_count == sent  # asked nothing
    clock.advance(seconds=100)
    assert sync.poll().error is None


def test_server_errors_are_retried(synced_app, ringcentral):
    _, _, sync, vt = synced_app
    ringcentral.fail(503, times=2)
    assert sync.poll().error is None
    assert len(ringcentral.queries()) == 3 and len(vt.sleeps) >= 2


def test_an_unreachable_server_is_a_network_problem(synced_app, ringcentral, clock,
                                                    unused_port):
    app, _, _, _ = synced_app
    line = make_line(ringcentral, clock, base_url=f"http://127.0.0.1:{unused_port}")
    sync = PhoneSync(app.uow, line, SyncPolicy(), clock)
    result = sync.poll()
    assert result.error == ("RingCentral cannot be reached (connection refused): check the "
                            "internet connection")
    rows, _ = app.health.rows()
    assert rows[0].last_error == result.error


# -- test_connection ---------------------------------------------------------------------------
def test_test_connection_says_what_is_wrong(ringcentral, clock, unused_port):
    line = make_line(ringcentral, clock)
    check = line.test_connection()
    assert check.ok
    assert check.message == ("Connected to RingCentral account 37439510, main number "
                             "(312) 555-0100, status Confirmed.")

    ringcentral.client_secret = "rotated"
    check = line.test_connection()
    assert not check.ok and "rejected the app's client id or client secret" in check.message

    ringcentral.client_secret = CLIENT_SECRET
    ringcentral.account_found = False
    check = line.test_connection()
    assert not check.ok and check.message.startswith(
        "RingCentral does not know this account or address")

    gone = make_line(ringcentral, clock, base_url=f"http://127.0.0.1:{unused_port}")
    check = gone.test_connection()
    assert not check.ok and "cannot be reached (connection refused)" in check.message


# -- SMS -----------------------------------------------------------------------------------------
def test_send_sms_posts_the_real_body_from_the_sms_number(ringcentral, clock):
    line = make_line(ringcentral, clock)
    sent = line.send_sms("(773) 555-0142", "Hi Maria, we can be there at 3 pm.")
    line.send_sms("+17735550142", "See you soon.")
    assert ringcentral.sent_sms[0] == {"from": {"phoneNumber": SHOP_NUMBER},
                                       "to": [{"phoneNumber": "+17735550142"}],
                                       "text": "Hi Maria, we can be there at 3 pm."}
    assert sent.to_number == "+17735550142" and sent.provider_message_id.isdigit()
    assert sent.sent_at.tzinfo is not None
    assert len(ringcentral.queries("/phone-number")) == 1  # the sender number is cached

    ringcentral.permissions.discard("SMS")
    with pytest.raises(ProviderError) as info:
        line.send_sms("+17735550142", "again")
    assert info.value.kind == ProblemKind.PERMISSION and "[SMS]" in str(info.value)


# -- malformed records, and credentials never leak ------------------------------------------------
DROP = object()
FRESH_NUMBERS = itertools.count(5551000)
garbage = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
    # huge, but short of the 20,000 characters a quarantine payload keeps (the test looks
    # for its marker there)
    st.builds(lambda c, n: c * n, st.characters(), st.integers(1_000, 5_000)),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.text(max_size=5),
                                                         max_size=3))
FIELDS = ["id", "sessionId", "telephonySessionId", "startTime", "duration", "type", "direction",
          "action", "result", "from", "to", "legs", "message", "from.phoneNumber", "from.name",
          "legs.0", "legs.0.result", "legs.0.startTime", "legs.0.duration"]
# A mutation here may legitimately move the call out of the window or out of scope.
MAY_VANISH = ("startTime", "duration", "legs", "type", "from")
mutations = st.lists(st.tuples(st.sampled_from(FIELDS), st.one_of(st.just(DROP), garbage)),
                     min_size=1, max_size=3)


def mutate(record: dict, path: str, value) -> None:
    """Set (or drop) the value at a dotted path; an earlier mutation may have removed it."""
    *parents, last = path.split(".")
    target = record
    for key in parents:
        if isinstance(target, list):
            target = target[int(key)] if key.isdigit() and int(key) < len(target) else None
        elif isinstance(target, dict):
            target = target.get(key)
        if not isinstance(target, (dict, list)):
            return
    if isinstance(target, list):
        if not last.isdigit() or int(last) >= len(target):
            return
        if value is DROP:
            target.pop(int(last))
        else:
            target[int(last)] = value
    elif value is DROP:
        target.pop(last, None)
    else:
        target[last] = value


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(bad=st.lists(mutations, min_size=1, max_size=4))
def test_malformed_records_are_quarantined_and_the_rest_syncs(synced_app, ringcentral, clock,
                                                              bad):
    app, _, sync, _ = synced_app
    ringcentral.clear()
    now = clock.advance(hours=1)
    tag = int(now.timestamp())
    number = lambda: f"+1630{next(FRESH_NUMBERS)}"  # noqa: E731  (unique across examples)
    valid_numbers = [number() for _ in range(3)]
    valid = [call_record(f"v{tag}-{n}", now - timedelta(minutes=30 + n), 20, "Inbound",
                         "Missed", valid_numbers[n]) for n in range(3)]
    broken = []
    for n, changes in enumerate(bad):
        customer = number()
        record = call_record(f"b{tag}-{n}", now - timedelta(minutes=20 + n), 20, "Inbound",
                             "Missed", customer)
        record["uri"] = f"marker-{tag}-{n}"
        for path, value in changes:
            mutate(record, path, value)
        broken.append((record, changes, customer))
    for record in valid:
        ringcentral.add(record)
    for n, (record, _, _) in enumerate(broken):
        ringcentral.add(record, at=now - timedelta(minutes=20 + n))

    result = sync.poll()
    assert result.error is None
    with app.engine.connect() as conn:
        numbers = {row[0] for row in conn.execute(text("SELECT from_number FROM calls"))}
    with app.uow() as uow:
        quarantine = uow.quarantine.all()
    payloads = [q.payload for q in quarantine]
    assert set(valid_numbers) <= numbers
    for n, (_, changes, customer) in enumerate(broken):
        record_id = f"Ab{tag}-{n}x"
        stored = customer in numbers
        quarantined = any(f'"marker-{tag}-{n}"' in q.payload or q.external_id == record_id
                          for q in quarantine)
        assert not (stored and quarantined), changes
        if not any(path.startswith(MAY_VANISH) for path, _ in changes):
            assert stored or quarantined, changes
    assert all(JWT not in p and CLIENT_SECRET not in p for p in payloads)


def test_credentials_never_reach_the_logs(synced_app, ringcentral, clock, caplog):
    caplog.set_level(logging.DEBUG)
    _, line, sync, _ = synced_app
    ringcentral.fail(503)
    ringcentral.fail(429, retry_after=1)
    assert sync.poll().error is None
    ringcentral.expire_tokens()
    clock.advance(seconds=30)
    assert sync.poll().error is None
    ringcentral.jwt = "another"  # a failing sign-in, whose error text we also log
    line._access = line._refresh = None
    assert sync.poll().error == JWT_REJECTED
    secrets = [CLIENT_SECRET, JWT, *ringcentral.access, *ringcentral.refresh]
    assert caplog.text and not [s for s in secrets if s in caplog.text]


# -- texts customers send (list_messages) ----------------------------------------------------
@pytest.fixture
def texting(ringcentral, clock):
    """(line, virtual time) on the FakeClock. The heavy limiter is one request an hour: a
    message-store read that went through it would sleep (it is the Light group)."""
    ringcentral.now = clock
    vt = VirtualTime()
    return make_line(ringcentral, clock, vt, heavy_limit=(1, 3600.0)), vt


def texts_of(line: RingCentralLine, since: datetime, until: datetime) -> list:
    return [item for page in line.list_messages(since, until) for item in page]


def test_inbound_texts_in_the_window_come_back_oldest_first_across_pages(texting, ringcentral,
                                                                        clock):
    line, vt = texting
    line.page_size = 2
    now = clock()
    since = now - timedelta(days=3)  # a backfill: longer than the silent 24-hour default
    inside = [ringcentral.add_text(f"+1773555{1200 + i}", f"text {i}",
                                   since + timedelta(hours=12 * i)) for i in range(5)]
    ringcentral.add_text("+17735551290", "too early", since - timedelta(seconds=1))
    ringcentral.add_text("+17735551291", "at until: the next poll's", now)

    texts = texts_of(line, since, now)

    assert [t.provider_message_id for t in texts] == [str(m["id"]) for m in inside]
    first = texts[0]
    assert (first.from_number, first.to_number, first.body) == ("+17735551200", SHOP_NUMBER,
                                                                "text 0")
    assert first.received_at == since and first.received_at.tzinfo is not None
    asks = ringcentral.queries("/message-store")
    assert [q["page"] for q in asks] == ["1", "2", "3"]  # 6 in [dateFrom, dateTo], 2 a page
    assert all(q["dateFrom"] == "2025-02-09T21:00:00.000Z" and
               q["dateTo"] == "2025-02-12T21:00:00.000Z" and q["messageType"] == "SMS" and
               q["direction"] == "Inbound" and q["perPage"] == "2" for q in asks)
    assert vt.sleeps == []  # not held to the call log's Heavy limit


def test_texts_the_shop_sent_are_not_returned(texting, ringcentral, clock):
    line, _ = texting
    now = clock()
    line.send_sms("+17735550142", "Sorry we missed you, calling right back.")
    ringcentral.add_text(SHOP_NUMBER, "On our way", now - timedelta(minutes=4),
                         to="+17735550142", direction="Outbound")
    reply = ringcentral.add_text("+17735550142", "STOP", now - timedelta(minutes=2))

    texts = texts_of(line, now - timedelta(minutes=10), now + timedelta(seconds=1))

    assert [t.provider_message_id for t in texts] == [str(reply["id"])]
    assert sum(m["direction"] == "Outbound" for m in ringcentral.messages.values()) == 2


def test_a_malformed_text_is_quarantined_and_the_rest_of_the_page_returned(texting,
                                                                           ringcentral, clock):
    line, _ = texting
    now = clock()
    good = [ringcentral.add_text(f"+1773555{1300 + i}", "stop texting me",
                                 now - timedelta(minutes=30 - i)) for i in range(3)]
    no_sender = ringcentral.add_text("+17735551320", "hi", now - timedelta(minutes=20),
                                     **{"from": {"name": "WIRELESS CALLER"}})
    bad_date = ringcentral.add_text("+17735551321", "hi", now - timedelta(minutes=19),
                                    creationTime="last Tuesday-ish")

    items = texts_of(line, now - timedelta(hours=1), now)

    kept = [i for i in items if not isinstance(i, Quarantined)]
    held = {q.external_id: q for q in items if isinstance(q, Quarantined)}
    assert [t.provider_message_id for t in kept] == [str(g["id"]) for g in good]
    assert set(held) == {str(no_sender["id"]), str(bad_date["id"])}
    assert "the sender's phoneNumber is missing" in held[str(no_sender["id"])].reason
    assert "'last Tuesday-ish'" in held[str(bad_date["id"])].reason
    assert held[str(bad_date["id"])].payload == bad_date  # the raw record, for a person


def test_a_429_on_the_texts_is_waited_out_and_the_texts_still_come_back(texting, ringcentral,
                                                                       clock):
    line, vt = texting
    sent = ringcentral.add_text("+17735551330", "please call", clock() - timedelta(minutes=3))
    ringcentral.fail(429, retry_after=3, path="/message-store")
    texts = texts_of(line, clock() - timedelta(hours=1), clock())
    assert [t.provider_message_id for t in texts] == [str(sent["id"])]
    assert vt.sleeps == [3.0] and len(ringcentral.queries("/message-store")) == 2
