"""The CallRail adapter against a loopback CallRail (tests/fake_callrail.py): a scripted day
through the real command line, backfill and date filters, pages, in-progress calls, errors in
plain words, test connection, texts, transcripts, hostile records and secrets."""

from __future__ import annotations

import json
import logging
import socket
import string
import uuid
from datetime import datetime, timedelta, timezone

import keyring
import pytest
from fake_callrail import (  # noqa: F401  (callrail_server, callrail_fake: fixtures)
    ACCOUNT_ID, ACCOUNT_NAME, ADS_LINE, API_KEY, COMPANY_ID, SITE_LINE, call_record,
    callrail_fake, callrail_server,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.adapters.phone.base import InboundMessage, ProblemKind, ProviderError
from desktop.adapters.phone.callrail import CallRailLine
from desktop.adapters.secrets import SERVICE
from desktop.domain.calls import Direction, Outcome
from desktop.domain.clock import iso
from desktop.domain.quarantine import Quarantined
from desktop.services.sync import PhoneSync

KEY_NAME = "phone.callrail.api_key"
TECH_CELL = "+17735550177"   # where the call flow forwards after hours


def configure(cli, fake, **extra) -> None:
    """Set the line up the way an installer would: provider, account, address, key."""
    for key, value in {"phone.provider": "callrail", "phone.callrail.account_id": ACCOUNT_ID,
                       "phone.base_url": fake.base_url, **extra}.items():
        code, _, err = cli("config", "set", key, str(value))
        assert code == 0, err
    code, _, err = cli("secret", "set", KEY_NAME, stdin=API_KEY + "\n")
    assert code == 0, err


def queue(cli) -> dict[str, dict]:
    code, out, err = cli("queue", "--json")
    assert code == 0, err
    return {row["phone"]: row for row in json.loads(out)}


def ago(**kwargs) -> datetime:
    return (datetime.now(timezone.utc) - timedelta(**kwargs)).replace(microsecond=0)


@pytest.fixture
def line_app(app_factory, clock, callrail_fake):
    """An app whose bootstrap built the CallRail line from stored settings and the keyring."""
    callrail_fake.clock = clock
    app = app_factory()
    for key, value in {"phone.provider": "callrail", "phone.callrail.account_id": ACCOUNT_ID,
                       "phone.base_url": callrail_fake.base_url}.items():
        app.settings_service.set(key, value, actor="person:test")
    app.close()
    keyring.set_password(SERVICE, KEY_NAME, API_KEY)
    app = app_factory()
    assert isinstance(app.phone, CallRailLine)
    return app


def line(fake, clock, sleeps=None, **kwargs) -> CallRailLine:
    options = {"account_id": ACCOUNT_ID, "api_key": API_KEY, "base_url": fake.base_url,
               "clock": clock, "sleep": (sleeps if sleeps is not None else []).append}
    return CallRailLine(**{**options, **kwargs})


def missed_at(start: datetime, number: str, **kwargs) -> dict:
    return call_record(start=start, customer=number, duration=30, **kwargs)


# -- a scripted day through the command line ----------------------------------------------
def test_a_scripted_day_lands_in_the_queue_exactly_and_a_second_sync_changes_nothing(
        cli, callrail_fake):
    fake = callrail_fake
    day = {
        "answered": call_record(start=ago(hours=3), customer="+13125550111", answered=True,
                                duration=300, name="KOWALSKI ANNA"),
        "missed": call_record(start=ago(hours=2, minutes=50), customer="+17735550142",
                              name="GONZALEZ MARIA", duration=25),
        "callback": call_record(start=ago(hours=2, minutes=30), customer="+17735550142",
                                direction="outbound", answered=True, duration=180,
                                source=None, source_name=None),
        "voicemail": call_record(
            start=ago(hours=2), customer="+17735550143", voicemail=True, duration=70,
            name="OKAFOR DANIEL", source="Google Organic", source_name="Website",
            transcription="Hi, this is Daniel, the water heater is leaking in the basement. "
                          "Please call me back."),
        "abandoned": call_record(start=ago(hours=1, minutes=40), customer="+17735550144",
                                 call_type="abandoned", duration=6, source="Yelp",
                                 source_name="Yelp"),
        # One CallRail record, no legs: the after-hours flow forwarded it to the tech's cell,
        # which rang out. business_phone_number says where it rang last.
        "forwarded": call_record(start=ago(hours=1, minutes=20), customer="+17735550145",
                                 business=TECH_CELL, duration=35, source="Local Services Ads"),
        "repeat1": call_record(start=ago(hours=1), customer="+17735550146", duration=20,
                               name="WIRELESS CALLER"),
        "repeat2": call_record(start=ago(minutes=50), customer="+17735550146", duration=22,
                               name="WIRELESS CALLER"),
        "repeat3": call_record(start=ago(minutes=40), customer="+17735550146", voicemail=True,
                               duration=45, name="WIRELESS CALLER",
                               transcription="It's Priya again, no heat, please call."),
        "ringing": call_record(start=ago(minutes=1), customer="+17735550147", duration=None),
        "outbound_other": call_record(start=ago(minutes=30), customer="+17735550148",
                                      direction="outbound", duration=60, answered=True),
    }
    fake.add(*day.values())
    configure(cli, fake)

    code, _, err = cli("sync", "--once")
    assert code == 0, err
    assert "10 new call(s)" in err and "5 new queue item(s), 2 merged" in err

    def item(call, calls, outcome, transcript, source, name, cnam, first, last, callbacks=0):
        return {"phone": call["customer_phone_number"], "calls": calls,
                "call_ids": [c["id"] for c in calls_of(call["customer_phone_number"])],
                "outcome": outcome, "transcript": transcript, "source": source,
                "caller_name": name, "caller_id": cnam, "first_call_at": iso(first),
                "last_call_at": iso(last), "callback_attempts": callbacks,
                # A callback seen on the line is a follow-up attempt: the caller waits for
                # the plan's next one.
                "state": "waiting" if callbacks else "open",
                "owner": None, "disposition": None, "lead_id": None}

    def calls_of(number):
        return [c for c in day.values() if c["customer_phone_number"] == number
                and c["direction"] == "inbound" and c["duration"] is not None]

    def start(name):
        return datetime.fromisoformat(day[name]["start_time"])

    expected = {row["phone"]: row for row in [
        item(day["missed"], 1, "missed", None, "Google Ads", "Maria Gonzalez",
             "GONZALEZ MARIA", start("missed"), start("missed"), callbacks=1),
        item(day["voicemail"], 1, "voicemail", day["voicemail"]["transcription"],
             "Google Organic", "Daniel Okafor", "OKAFOR DANIEL", start("voicemail"),
             start("voicemail")),
        item(day["abandoned"], 1, "abandoned", None, "Yelp", None, None, start("abandoned"),
             start("abandoned")),
        item(day["forwarded"], 1, "missed", None, "Local Services Ads", None, None,
             start("forwarded"), start("forwarded")),
        item(day["repeat1"], 3, "voicemail", day["repeat3"]["transcription"], "Google Ads",
             None, "WIRELESS CALLER", start("repeat1"), start("repeat3")),
    ]}
    first = queue(cli)
    assert set(first) == set(expected)
    for phone, want in expected.items():
        assert {k: first[phone][k] for k in want} == want, phone
        assert (first[phone]["follow_up_at"] is None) == (want["state"] == "open")
    assert "+13125550111" not in first and "+17735550147" not in first

    code, _, err = cli("sync", "--once")
    assert code == 0, err
    assert "0 new call(s), 0 updated, 0 new queue item(s), 0 merged" in err
    again = queue(cli)
    moving = {"age_s", "lane"}
    assert {p: {k: v for k, v in r.items() if k not in moving} for p, r in again.items()} == \
        {p: {k: v for k, v in r.items() if k not in moving} for p, r in first.items()}


def test_first_sync_reads_the_backfill_days_and_never_omits_the_dates(cli, callrail_fake):
    fake = callrail_fake
    fake.add(missed_at(ago(days=6), "+17735550161"), missed_at(ago(days=8), "+17735550162"))
    configure(cli, fake)
    assert cli("sync", "--once")[0] == 0
    assert set(queue(cli)) == {"+17735550161"}
    listings = fake.calls_requests()
    assert listings and all(r.args.get("start_date") and r.args.get("end_date")
                            for r in listings)
    assert all(r.args["sort"] == "start_time" and r.args["order"] == "asc" for r in listings)


def test_a_backfill_longer_than_callrails_silent_default_window_is_read_whole(
        cli, callrail_fake):
    # Without dates CallRail answers only its default window (30 days here): 40 days back
    # is only there because the adapter asked for it.
    fake = callrail_fake
    fake.add(missed_at(ago(days=40), "+17735550163"), missed_at(ago(days=50), "+17735550164"))
    configure(cli, fake, **{"phone.backfill_days": 45})
    assert cli("sync", "--once")[0] == 0
    assert set(queue(cli)) == {"+17735550163"}


# -- dates, pages, in-progress calls --------------------------------------------------------
def test_the_start_goes_out_as_the_accounts_local_time_and_the_end_as_the_next_date(
        line_app, clock, callrail_fake):
    assert line_app.sync.poll().error is None   # clock: 2025-02-12 21:00 UTC
    first = callrail_fake.calls_requests()[0].args
    # 7 days back, 4 h lookback, in New York's EST (the company's zone, not the shop's Chicago)
    assert (first["start_date"], first["end_date"]) == ("2025-02-05T12:00", "2025-02-13")
    assert first["per_page"] == "250"
    assert set(first["fields"].split(",")) >= {"call_type", "source", "transcription"}
    clock.advance(seconds=30)
    assert line_app.sync.poll().error is None
    idle = callrail_fake.calls_requests()[-1].args
    # cursor 21:00 - 120 s overlap - 15 min lookback = 20:43 UTC = 15:43 EST
    assert idle["start_date"] == "2025-02-12T15:43"


def test_a_wall_time_that_a_dst_change_makes_ambiguous_is_stepped_back(clock, callrail_fake):
    # 2 Nov 2025, New York: 01:30 happens twice (EDT 05:30 UTC, then EST 06:30 UTC). Asked for
    # calls from 05:30 UTC, "01:30" could be read as 06:30 UTC and lose an hour: send 00:30.
    clock.set(datetime(2025, 11, 2, 10, 0, tzinfo=timezone.utc))
    since = datetime(2025, 11, 2, 9, 30, tzinfo=timezone.utc)   # minus the 4 h first lookback
    list(line(callrail_fake, clock).list_calls(since, clock()))
    assert callrail_fake.calls_requests()[0].args["start_date"] == "2025-11-02T00:30"


def test_pages_are_followed_and_overlap_rereads_add_nothing(app_factory, clock, callrail_fake):
    callrail_fake.clock = clock
    numbers = [f"+1773555{n:04d}" for n in range(170, 178)]
    callrail_fake.add(*[missed_at(clock() - timedelta(minutes=50 - 5 * i), number)
                        for i, number in enumerate(numbers)])
    app = app_factory()
    sync = PhoneSync(app.uow, line(callrail_fake, clock, page_size=3), clock=clock)
    first = sync.poll()
    assert (first.new_calls, first.new_items, first.pages, first.error) == (8, 8, 3, None)
    assert [r.args["page"] for r in callrail_fake.calls_requests()] == ["1", "2", "3"]
    clock.advance(seconds=45)
    again = sync.poll()
    assert (again.new_calls, again.updated_calls, again.error) == (0, 0, None)
    with app.uow() as uow:
        assert len(uow.queue.open_items()) == 8


def test_a_call_in_progress_is_followed_until_it_ends(app_factory, clock, callrail_fake):
    callrail_fake.clock = clock
    long_call = call_record(start=clock() - timedelta(minutes=30), customer="+17735550181",
                            duration=None)
    callrail_fake.add(long_call)
    app = app_factory()
    sync = PhoneSync(app.uow, line(callrail_fake, clock), clock=clock)
    assert sync.poll().new_calls == 0          # still ringing through the call flow
    clock.advance(minutes=20)
    callrail_fake.update(long_call["id"], duration=40 * 60, call_type="missed")
    # It began 50 minutes before this poll's window: only the follow-up by id finds it.
    result = sync.poll()
    assert (result.new_calls, result.new_items) == (1, 1)
    assert any(r.path.endswith(f"/calls/{long_call['id']}.json")
               for r in callrail_fake.requests)
    clock.advance(seconds=30)
    before = len(callrail_fake.requests)
    sync.poll()
    assert len(callrail_fake.requests) - before == 1   # no longer followed


def test_outcomes_directions_and_raw_status(clock, callrail_fake):
    callrail_fake.clock = clock
    start = clock() - timedelta(minutes=20)
    records = [
        call_record(start=start, customer="+17735550191", answered=True),
        call_record(start=start, customer="+17735550192", voicemail=True, transcription="hi"),
        call_record(start=start, customer="+17735550193", call_type="abandoned"),
        call_record(start=start, customer="+17735550194"),
        call_record(start=start, customer="+17735550195", direction="outbound"),
    ]
    callrail_fake.add(*records)
    calls = [c for page in line(callrail_fake, clock).list_calls(start, clock()) for c in page]
    seen = {c.customer_number: (c.direction, c.outcome, c.raw_status, c.transcript, c.source)
            for c in calls}
    assert seen == {
        "+17735550191": (Direction.INBOUND, Outcome.ANSWERED, "answered", None, "Google Ads"),
        "+17735550192": (Direction.INBOUND, Outcome.VOICEMAIL, "voicemail", "hi", "Google Ads"),
        "+17735550193": (Direction.INBOUND, Outcome.ABANDONED, "abandoned", None, "Google Ads"),
        "+17735550194": (Direction.INBOUND, Outcome.MISSED, "missed", None, "Google Ads"),
        "+17735550195": (Direction.OUTBOUND, Outcome.MISSED, "outbound", None, None),
    }
    outbound = next(c for c in calls if c.direction == Direction.OUTBOUND)
    assert (outbound.from_number, outbound.to_number) == (ADS_LINE, "+17735550195")
    assert all(c.started_at.tzinfo == timezone.utc and c.ended_at - c.started_at
               == timedelta(seconds=40) for c in calls)


# -- errors in plain words ----------------------------------------------------------------------
@pytest.mark.parametrize("setup, kind, words", [
    (lambda fake: {"api_key": "wrong-key-123"}, ProblemKind.AUTH,
     "CallRail rejected the API key: check Settings → Phone"),
    (lambda fake: fake.forbidden_keys.add("key-without-access") or
     {"api_key": "key-without-access"}, ProblemKind.PERMISSION,
     "CallRail refused access: the API key's user cannot see this account"),
    (lambda fake: {"account_id": "ACC000wrong"}, ProblemKind.NOT_CONFIGURED,
     "CallRail does not know account ACC000wrong: check the account id in Settings → Phone"),
    (lambda fake: {"api_key": None}, ProblemKind.NOT_CONFIGURED,
     "CallRail API key is missing: run `frontdesk secret set phone.callrail.api_key`"),
])
def test_request_failures_are_plain_words_of_the_right_kind(clock, callrail_fake, setup, kind,
                                                           words):
    adapter = line(callrail_fake, clock, **setup(callrail_fake))
    with pytest.raises(ProviderError) as caught:
        list(adapter.list_calls(clock() - timedelta(hours=1), clock()))
    assert caught.value.kind == kind
    assert str(caught.value).startswith(words)


def test_a_short_retry_after_is_waited_out(clock, callrail_fake):
    callrail_fake.fail_next(1, 429, retry_after="3", body={"error": "Too many requests"})
    sleeps = []
    list(line(callrail_fake, clock, sleeps).list_calls(clock() - timedelta(hours=1), clock()))
    assert sleeps == [3.0]


def test_a_long_retry_after_is_surfaced_not_waited(clock, callrail_fake):
    callrail_fake.fail_next(1, 429, retry_after="7200")
    sleeps = []
    with pytest.raises(ProviderError) as caught:
        list(line(callrail_fake, clock, sleeps).list_calls(clock() - timedelta(hours=1),
                                                           clock()))
    assert (caught.value.kind, caught.value.retry_after_s, sleeps) == (
        ProblemKind.RATE_LIMITED, 7200, [])


def test_a_429_without_retry_after_backs_off_by_itself(clock, callrail_fake):
    # CallRail's docs promise no Retry-After header: the shared client's backoff steps in.
    callrail_fake.fail_next(1, 429)
    sleeps = []
    list(line(callrail_fake, clock, sleeps).list_calls(clock() - timedelta(hours=1), clock()))
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 0.5


def test_server_errors_are_retried_then_surfaced(clock, callrail_fake):
    callrail_fake.fail_next(2, 503)
    sleeps = []
    list(line(callrail_fake, clock, sleeps).list_calls(clock() - timedelta(hours=1), clock()))
    assert len(sleeps) == 2
    callrail_fake.fail_next(4, 500)
    with pytest.raises(ProviderError) as caught:
        list(line(callrail_fake, clock).list_calls(clock() - timedelta(hours=1), clock()))
    assert caught.value.kind == ProblemKind.NETWORK
    assert str(caught.value) == "CallRail is having trouble (HTTP 500); will retry"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_a_network_problem(clock):
    adapter = CallRailLine(account_id=ACCOUNT_ID, api_key=API_KEY, clock=clock,
                           base_url=f"http://127.0.0.1:{closed_port()}/v3", sleep=lambda s: None)
    with pytest.raises(ProviderError) as caught:
        list(adapter.list_calls(clock() - timedelta(hours=1), clock()))
    assert caught.value.kind == ProblemKind.NETWORK
    assert "CallRail cannot be reached (connection refused)" in str(caught.value)


def test_health_names_a_long_rate_limit_and_the_next_good_poll_clears_it(
        line_app, clock, callrail_fake):
    callrail_fake.fail_next(1, 429, retry_after="7200")
    result = line_app.sync.poll()
    assert result.error == "CallRail is rate-limiting us (1,000 requests an hour); " \
                           "the next poll waits 120 min"
    rows, _ = line_app.health.rows()
    row = next(r for r in rows if r.connector == "phone:callrail")
    assert (row.level, row.message) == ("error", result.error)
    clock.advance(minutes=5)
    assert line_app.sync.poll().waiting          # Retry-After is respected: nothing sent
    clock.advance(hours=2)
    assert line_app.sync.poll().error is None
    rows, _ = line_app.health.rows()
    row = next(r for r in rows if r.connector == "phone:callrail")
    assert row.last_error is None and row.level != "error"


def test_health_names_a_bad_key_until_it_is_fixed_without_restart(line_app, clock,
                                                                  callrail_fake):
    keyring.set_password(SERVICE, KEY_NAME, "revoked-key-999")
    assert line_app.sync.poll().error.startswith("CallRail rejected the API key")
    rows, _ = line_app.health.rows()
    assert next(r for r in rows if r.connector == "phone:callrail").level == "error"
    keyring.set_password(SERVICE, KEY_NAME, API_KEY)   # fixed in Settings: read on next use
    clock.advance(seconds=30)
    assert line_app.sync.poll().error is None
    rows, _ = line_app.health.rows()
    assert next(r for r in rows if r.connector == "phone:callrail").last_error is None


# -- test connection, texts, transcripts -----------------------------------------------------
def test_connection_checks_in_plain_words(clock, callrail_fake):
    ok = line(callrail_fake, clock).test_connection()
    assert ok.ok
    assert ok.message == f"Connected to CallRail account “{ACCOUNT_NAME}” ({ACCOUNT_ID})."
    bad_key = line(callrail_fake, clock, api_key="nope-nope").test_connection()
    assert not bad_key.ok and bad_key.message.startswith("CallRail rejected the API key")
    wrong = line(callrail_fake, clock, account_id="ACCdeadbeef").test_connection()
    assert not wrong.ok and "does not know account ACCdeadbeef" in wrong.message
    away = CallRailLine(account_id=ACCOUNT_ID, api_key=API_KEY, sleep=lambda s: None,
                        base_url=f"http://127.0.0.1:{closed_port()}/v3").test_connection()
    assert not away.ok and "cannot be reached" in away.message
    missing = line(callrail_fake, clock, account_id="").test_connection()
    assert not missing.ok and "account id is missing" in missing.message


def test_a_text_goes_from_the_number_the_customer_called(clock, callrail_fake):
    callrail_fake.clock = clock
    callrail_fake.add(missed_at(clock() - timedelta(minutes=10), "+17735550142"))
    adapter = line(callrail_fake, clock)
    list(adapter.list_calls(clock() - timedelta(hours=1), clock()))
    sent = adapter.send_sms("+17735550142", "Sorry we missed you - calling back shortly.")
    assert callrail_fake.texts == [{
        "company_id": COMPANY_ID, "tracking_number": ADS_LINE,
        "customer_phone_number": "+17735550142",
        "content": "Sorry we missed you - calling back shortly."}]
    post = [r for r in callrail_fake.requests if r.method == "POST"][0]
    assert post.path == f"/v3/a/{ACCOUNT_ID}/text-messages.json"
    assert sent.provider_message_id.startswith("SMT") and sent.to_number == "+17735550142"


def test_a_text_to_someone_who_called_a_number_that_cannot_text_uses_one_that_can(
        clock, callrail_fake):
    callrail_fake.clock = clock
    callrail_fake.add(missed_at(clock() - timedelta(minutes=10), "+17735550143",
                                tracking=SITE_LINE))
    adapter = line(callrail_fake, clock)
    list(adapter.list_calls(clock() - timedelta(hours=1), clock()))
    adapter.send_sms("+17735550143", "Hello")
    fresh = line(callrail_fake, clock)   # never saw them call: first tracker that can text
    fresh.send_sms("+17735550149", "Hello")
    assert [t["tracking_number"] for t in callrail_fake.texts] == [ADS_LINE, ADS_LINE]
    with pytest.raises(ValueError):
        fresh.send_sms("773-555-0149", "not E.164")


def test_a_rejected_text_is_a_provider_error_and_is_not_sent_twice(clock, callrail_fake):
    callrail_fake.fail_next(1, 500, method="POST")
    with pytest.raises(ProviderError):
        line(callrail_fake, clock).send_sms("+17735550142", "Hello")
    assert len([r for r in callrail_fake.requests if r.method == "POST"]) == 1


def test_fetch_transcript(clock, callrail_fake):
    callrail_fake.clock = clock
    voicemail = call_record(start=clock() - timedelta(minutes=5), customer="+17735550150",
                            voicemail=True, transcription="Furnace is out, please call.")
    silent = call_record(start=clock() - timedelta(minutes=5), customer="+17735550151",
                         voicemail=True, transcription=None)
    callrail_fake.add(voicemail, silent)
    adapter = line(callrail_fake, clock)
    assert adapter.fetch_transcript(voicemail["id"]) == "Furnace is out, please call."
    assert adapter.fetch_transcript(silent["id"]) is None
    assert adapter.fetch_transcript("CALnosuchcall") is None
    asked = [r for r in callrail_fake.requests if voicemail["id"] in r.path][0]
    assert asked.args == {"fields": "transcription"}


# -- hostile and partial records, secrets -----------------------------------------------------
NOT_A_PHONE = st.one_of(st.none(), st.just(""), st.just("+1555"), st.integers(),
                        st.text(alphabet=string.ascii_letters, min_size=1, max_size=12),
                        st.just("9" * 400))
BAD_VALUES = {
    "id": st.sampled_from([None, "", "   ", 42, ["CAL1"], {"id": 1}, "C" * 300]),
    "start_time": st.one_of(st.none(), st.integers(), st.just("2025-02-12T20:40:00"),
                            st.text(alphabet=string.ascii_letters + " ", max_size=30)),
    "duration": st.one_of(st.just(-5), st.just(True), st.floats(allow_nan=True),
                          st.text(max_size=5), st.just(10 ** 30)),
    "direction": st.one_of(st.none(), st.just("sideways"), st.integers()),
    "answered": st.one_of(st.none(), st.just("yes"), st.integers(0, 1)),
    "voicemail": st.one_of(st.none(), st.just("no"), st.integers(0, 1)),
    "customer_phone_number": NOT_A_PHONE,
    "tracking_phone_number": NOT_A_PHONE,
    "customer_name": st.one_of(st.integers(), st.just(["A", "B"]), st.just("N" * 5000)),
    "source": st.one_of(st.integers(), st.just({"name": "x"}), st.just("S" * 500)),
    "call_type": st.one_of(st.integers(), st.just("T" * 500)),
}
DROPPABLE = ["id", "start_time", "direction", "answered", "voicemail", "customer_phone_number",
             "tracking_phone_number"]
MUTATION = st.one_of(
    st.sampled_from(DROPPABLE).map(lambda key: (key, "drop")),
    st.sampled_from(sorted(BAD_VALUES)).flatmap(
        lambda key: BAD_VALUES[key].map(lambda value: (key, value))))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_hostile_records_are_quarantined_and_the_rest_syncs(app_factory, clock, callrail_fake,
                                                            tmp_path, mutations):
    callrail_fake.clock = clock
    callrail_fake.clear()
    app = app_factory(tmp_path / uuid.uuid4().hex)   # a fresh database (and cursor) each time
    now = clock()
    good = [missed_at(now - timedelta(minutes=30 - i), f"+1773555{100 + i:04d}")
            for i in range(3)]
    bad = []
    for i, (key, value) in enumerate(mutations):
        record = missed_at(now - timedelta(minutes=20, seconds=i), f"+1773555{200 + i:04d}")
        if value == "drop":
            del record[key]
        else:
            record[key] = value
        bad.append(record)
    callrail_fake.add(*good)
    for i, record in enumerate(bad):
        callrail_fake.add(record, at=now - timedelta(minutes=20, seconds=i))
    with app.uow() as uow:
        kept_before = len(uow.quarantine.all())
    result = PhoneSync(app.uow, line(callrail_fake, clock), clock=clock).poll()
    assert result.error is None
    with app.uow() as uow:
        assert all(uow.calls.by_provider_id("callrail", r["id"]) for r in good)
        assert len(uow.quarantine.all()) - kept_before == len(bad)
    assert result.quarantined == len(bad)


def test_the_key_never_reaches_logs_health_or_quarantine(line_app, clock, callrail_fake,
                                                        caplog):
    caplog.set_level(logging.DEBUG)
    callrail_fake.add(missed_at(clock() - timedelta(minutes=9), "+17735550142"),
                      {"id": "CALjunk", "start_time": "soon"}, at=clock() - timedelta(minutes=8))
    callrail_fake.fail_next(1, 400, body={"error": f"bad token {API_KEY}"})   # a server echo
    failed = line_app.sync.poll()
    assert "•••" in failed.error and API_KEY not in failed.error
    clock.advance(seconds=30)
    assert line_app.sync.poll().quarantined == 1
    keyring.set_password(SERVICE, KEY_NAME, "x" + API_KEY)
    clock.advance(seconds=30)
    assert line_app.sync.poll().error.startswith("CallRail rejected")
    with line_app.uow() as uow:
        payloads = " ".join(q.payload for q in uow.quarantine.all())
        states = " ".join(str(s.last_error) for s in uow.connectors.all())
    assert API_KEY not in caplog.text and API_KEY not in payloads and API_KEY not in states
    assert callrail_fake.requests[0].authorization == f'Token token="{API_KEY}"'


def test_every_call_returns_a_provider_page_shape(clock, callrail_fake):
    callrail_fake.clock = clock
    callrail_fake.add({"id": "CALodd", "start_time": 7}, at=clock() - timedelta(minutes=3))
    pages = list(line(callrail_fake, clock).list_calls(clock() - timedelta(hours=1), clock()))
    assert pages == [[Quarantined("start_time is not a time: 7", {"id": "CALodd",
                                                                  "start_time": 7}, "CALodd")]]


# -- inbound texts ------------------------------------------------------------------------------
MARIA, LINDA, JAMES = "+17735550142", "+17735550143", "+17735550144"


def texts_of(pages) -> list:
    return [item for page in pages for item in page]


def test_inbound_texts_in_the_window_come_back_oldest_first_and_outgoing_ones_do_not(
        clock, callrail_fake):
    now = clock()                                  # 21:00 UTC = 16:00 in New York
    since = now - timedelta(minutes=10)
    fake = callrail_fake
    # Maria's thread began this morning, before the window; her STOP comes in it.
    fake.add_text(MARIA, "Can you come Tuesday?", now - timedelta(hours=7), name="GONZALEZ M")
    fake.add_text(MARIA, "Yes, 9am works", now - timedelta(minutes=8), direction="outgoing")
    fake.add_text(MARIA, "STOP", now - timedelta(minutes=5))
    fake.add_text(LINDA, "Thanks!", since)                   # the window includes its start
    fake.add_text(JAMES, "Still coming?", now)               # ... and excludes its end
    fake.add_text("+17735550145", "Yesterday's", now - timedelta(days=1, minutes=5))
    adapter = line(fake, clock)

    texts = texts_of(adapter.list_messages(since, now))

    assert [(t.from_number, t.to_number, t.body, t.received_at) for t in texts] == [
        (LINDA, ADS_LINE, "Thanks!", since),
        (MARIA, ADS_LINE, "STOP", now - timedelta(minutes=5))]
    assert all(isinstance(t, InboundMessage) and t.received_at.tzinfo == timezone.utc
               for t in texts)
    # The window always goes out, as the date it starts on in the account's zone.
    (request,) = fake.texts_requests()
    assert (request.args["start_date"], request.args["end_date"]) == ("2025-02-12",
                                                                      "2025-02-13")
    # Listed messages have no id of their own: the one we build is the same on a re-read.
    again = texts_of(adapter.list_messages(since, now))
    assert [t.provider_message_id for t in again] == [t.provider_message_id for t in texts]
    assert len({t.provider_message_id for t in texts}) == 2


def test_every_page_of_text_conversations_is_read(clock, callrail_fake):
    now = clock()
    numbers = [f"+1773555{n:04d}" for n in range(160, 165)]
    for i, number in enumerate(numbers):
        callrail_fake.add_text(number, f"text {i}", now - timedelta(minutes=30 - i))
    texts = texts_of(line(callrail_fake, clock, page_size=2).list_messages(
        now - timedelta(hours=1), now))
    assert sorted(t.from_number for t in texts) == numbers
    assert [r.args["page"] for r in callrail_fake.texts_requests()] == ["1", "2", "3"]
    assert all(r.args["per_page"] == "2" for r in callrail_fake.texts_requests())


def test_a_text_that_cannot_be_read_is_quarantined_and_the_rest_of_the_page_returns(
        clock, callrail_fake):
    now = clock()
    at = now - timedelta(minutes=5)
    good = callrail_fake.add_text(MARIA, "Please stop texting me", at)
    no_number = callrail_fake.add_text(LINDA, "STOP", at)
    del no_number["customer_phone_number"]
    bad_date = callrail_fake.add_text(JAMES, "Hi", at)
    bad_date["recent_messages"][0]["created_at"] = "Tuesday afternoon"
    callrail_fake.add_conversation(["not", "a", "conversation"], at=at)

    (page,) = line(callrail_fake, clock).list_messages(now - timedelta(hours=1), now)

    assert [(t.from_number, t.body) for t in page if isinstance(t, InboundMessage)] == [
        (MARIA, "Please stop texting me")]
    bad = {q.external_id: q.reason for q in page if isinstance(q, Quarantined)}
    assert bad == {no_number["id"]: "customer_phone_number is missing",
                   bad_date["id"]: "created_at is not a time: 'Tuesday afternoon'",
                   None: "the text conversation is not a JSON object"}
    assert good["id"] not in bad


def test_a_429_on_the_text_listing_is_waited_out_and_the_texts_still_come(clock,
                                                                          callrail_fake):
    now = clock()
    callrail_fake.add_text(MARIA, "STOP", now - timedelta(minutes=2))
    sleeps = []
    adapter = line(callrail_fake, clock, sleeps)
    window = (now - timedelta(hours=1), now)
    assert [t.body for t in texts_of(adapter.list_messages(*window))] == ["STOP"]
    callrail_fake.fail_next(1, 429, retry_after="3", body={"error": "Too many requests"})
    assert [t.body for t in texts_of(adapter.list_messages(*window))] == ["STOP"]
    assert sleeps == [3.0]
    # Both tries were the text listing itself (the zones were read on the first poll).
    assert all(r.path.endswith("/text-messages.json") for r in callrail_fake.requests[-2:])
