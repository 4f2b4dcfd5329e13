"""The Twilio adapter against a loopback fake of Twilio's REST API (tests/fake_twilio.py).

The CLI tests run `desktop.cli.main` in-process on a temporary data folder with the real
clock, so the scripted calls are placed relative to now. The other tests build the adapter
directly, with a FakeClock and an injected sleep.
"""

from __future__ import annotations

import json
import logging
import socket
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.adapters.phone.base import ProblemKind, ProviderError
from desktop.adapters.phone.twilio import TwilioLine
from desktop.domain.quarantine import Quarantined, stored_text
from desktop.services.sync import PhoneSync, SyncPolicy
from fake_twilio import (  # noqa: F401  (twilio_fake and twilio_server are fixtures)
    ACCOUNT_SID, AUTH_TOKEN, OFFICE_PHONE, SHOP_NUMBER, forwarded, twilio_call, twilio_fake,
    twilio_server,
)

TRACKING = "+13125550101"  # a second Twilio number, printed on the Yelp page
NOW = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)  # the FakeClock's default
WRONG_TOKEN = "0123456789abcdef0123456789abcdef"


def configure(cli, fake, token: str | None = AUTH_TOKEN) -> None:
    for key, value in (("phone.provider", "twilio"), ("phone.twilio.account_sid", ACCOUNT_SID),
                       ("phone.base_url", fake.url), ("phone.source_by_number", json.dumps(
                           {SHOP_NUMBER: "Google Ads", TRACKING: "Yelp"}))):
        code, _, err = cli("config", "set", key, value)
        assert code == 0, err
    if token:
        code, _, err = cli("secret", "set", "phone.twilio.auth_token", stdin=token + "\n")
        assert code == 0 and token not in err


def queue_json(cli) -> list[dict]:
    code, out, err = cli("queue", "--json")
    assert code == 0, err
    return json.loads(out)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def a_day(fake, now: datetime) -> list[dict]:
    """A scripted day; returns the queue `frontdesk queue --json` must show, by phone."""
    t = lambda minutes: (now - timedelta(minutes=minutes)).replace(microsecond=0)  # noqa: E731
    add = fake.add
    # Answered: forwarded to the office and picked up. Not queued.
    forwarded(fake, "+13125550121", t(300), [("completed", 95)])
    # Answered with no <Dial> leg (handled in the IVR) and no recording. Not queued.
    add(twilio_call(frm="+13125550127", to=SHOP_NUMBER, start=t(290), seconds=40))
    # Missed: rang out at Twilio; then the shop called back from the API.
    missed = twilio_call(frm="+13125550122", to=SHOP_NUMBER, start=t(280), ring=30,
                         status="no-answer")
    add(missed)
    add(twilio_call(frm=SHOP_NUMBER, to="+13125550122", start=t(270), seconds=45,
                    direction="outbound-api"))
    # Voicemail with a transcript: the forward rang out, then <Record>.
    vm = forwarded(fake, "+13125550123", t(260), [("no-answer", 0)], after=35,
                   caller_name="WHITE DANA")
    fake.add_voicemail(vm, "Hi, this is Dana, the water heater is leaking into the garage.")
    # Abandoned: hung up while it rang, on the Yelp number.
    cancel = twilio_call(frm="+13125550124", to=TRACKING, start=t(250), ring=8,
                         status="canceled")
    add(cancel)
    # Forwarded and missed: the parent says "completed", both legs rang out, no message.
    fwd = forwarded(fake, "+13125550125", t(240), [("no-answer", 0), ("busy", 0)])
    # The office cell's own voicemail took the forward (answering machine detection).
    machine = forwarded(fake, "+13125550130", t(230), [("completed", 30)],
                        leg_answered_by="machine_end_beep")
    # A repeat caller: missed, then a voicemail, then a forward nobody took.
    r1 = twilio_call(frm="+13125550126", to=SHOP_NUMBER, start=t(200), ring=25,
                     status="no-answer")
    add(r1)
    r2 = forwarded(fake, "+13125550126", t(150), [("no-answer", 0)], after=20)
    fake.add_voicemail(r2, "It's Sam again, the furnace is still clicking, please call.")
    r3 = forwarded(fake, "+13125550126", t(60), [("no-answer", 0)])
    # Still ringing: not finished, so not yet listed.
    add(twilio_call(frm="+13125550128", to=SHOP_NUMBER, start=t(0.5), status="ringing"))

    def item(call, outcome, transcript=None, source="Google Ads", name=None, calls=None):
        calls = calls or [call]
        started = [datetime.strptime(c["start_time"], "%a, %d %b %Y %H:%M:%S %z")
                   for c in calls]
        return {"phone": call["from"], "calls": len(calls), "call_ids": [c["sid"] for c in calls],
                "outcome": outcome, "transcript": transcript, "source": source,
                "caller_name": name, "first_call_at": iso(min(started)),
                "last_call_at": iso(max(started)), "callback_attempts": 0}

    expected = [
        {**item(missed, "missed"), "callback_attempts": 1},
        item(vm, "voicemail", "Hi, this is Dana, the water heater is leaking into the garage.",
             name="Dana White"),
        item(cancel, "abandoned", source="Yelp"),
        item(fwd, "missed"),
        item(r1, "missed", "It's Sam again, the furnace is still clicking, please call.",
             calls=[r1, r2, r3]),
        item(machine, "missed"),
    ]
    return sorted(expected, key=lambda i: i["phone"])


KEYS = ("phone", "calls", "call_ids", "outcome", "transcript", "source", "caller_name",
        "first_call_at", "last_call_at", "callback_attempts")


def test_a_day_of_calls_reaches_the_queue_exactly_once(cli, twilio_fake, data_dir):
    expected = a_day(twilio_fake, datetime.now(timezone.utc))
    configure(cli, twilio_fake)

    code, _, err = cli("sync", "--once")
    assert code == 0, err
    first = queue_json(cli)
    assert sorted(({k: row[k] for k in KEYS} for row in first), key=lambda r: r["phone"]) \
        == expected

    code, _, err = cli("sync", "--once")  # nothing new: nothing changes
    assert code == 0, err
    assert "0 new call(s), 0 updated, 0 new queue item(s), 0 merged" in err
    moving = ("age_s", "lane")
    again = queue_json(cli)
    assert [{k: v for k, v in r.items() if k not in moving} for r in again] == \
           [{k: v for k, v in r.items() if k not in moving} for r in first]
    code, out, _ = cli("doctor")  # test connection, through the real composition root
    assert f"[ok] phone (Twilio): Connected to Twilio account “Riverside Plumbing” " \
           f"({ACCOUNT_SID})" in out
    log_text = "".join(p.read_text() for p in (data_dir / "logs").glob("*.log*"))
    assert ACCOUNT_SID in cli("config", "list")[1] and AUTH_TOKEN not in log_text


def test_first_sync_backfills_seven_days_and_always_sends_a_date_filter(cli, twilio_fake):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    six = twilio_call(frm="+13125550141", to=SHOP_NUMBER, start=now - timedelta(days=6),
                      ring=20, status="no-answer")
    eight = twilio_call(frm="+13125550142", to=SHOP_NUMBER, start=now - timedelta(days=8),
                        ring=20, status="no-answer")
    # Same UTC date as the window's start for part of the day, but before it: cut here.
    edge = twilio_call(frm="+13125550143", to=SHOP_NUMBER,
                       start=now - timedelta(days=7, minutes=30), ring=20, status="no-answer")
    twilio_fake.add(six, eight, edge)
    configure(cli, twilio_fake)

    assert cli("sync", "--once")[0] == 0
    assert [row["phone"] for row in queue_json(cli)] == ["+13125550141"]
    listings = twilio_fake.list_requests()
    assert listings and all(set(r.args) & {"EndTime", "EndTime>", "StartTime>", "StartTime"}
                            for r in listings)
    assert len(listings) >= 8  # one UTC date at a time across the week


def test_a_missing_auth_token_is_named_in_plain_words(cli, twilio_fake):
    configure(cli, twilio_fake, token=None)
    code, _, err = cli("sync", "--once")
    assert code == 1
    assert "Twilio auth token is missing: run `frontdesk secret set phone.twilio.auth_token`" \
        in err
    assert twilio_fake.requests == []


# -- the adapter directly: paging, errors, health ----------------------------------------
class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def line_for(fake, token=AUTH_TOKEN, sleep=None, **kwargs) -> TwilioLine:
    return TwilioLine(account_sid=ACCOUNT_SID, auth_token=token, base_url=fake.url,
                      sleep=Sleeps() if sleep is None else sleep, **kwargs)


def missed_calls(count: int, end: datetime, every: timedelta) -> list[dict]:
    return [twilio_call(frm=f"+1312555{200 + i:04d}", to=SHOP_NUMBER,
                        start=end - every * (i + 1), ring=25, status="no-answer")
            for i in range(count)]


def test_pages_are_followed_and_overlapping_polls_store_each_call_once(app_factory, clock,
                                                                       twilio_fake):
    clock.set(NOW)
    calls = missed_calls(20, NOW, timedelta(seconds=50))  # the newest ends 25 s before NOW
    twilio_fake.add(*calls)
    app = app_factory()
    sync = PhoneSync(app.uow, line_for(twilio_fake, page_size=3), SyncPolicy(), clock)

    first = sync.poll()
    assert first.error is None and first.new_calls == 20 and first.new_items == 20
    tokens = [r.args.get("PageToken") for r in twilio_fake.list_requests()]
    assert sum(1 for t in tokens if t) >= 6  # 20 calls at 3 a page

    twilio_fake.reset_requests()
    clock.advance(seconds=30)
    again = sync.poll()  # re-reads the last 120 s: the newest calls come back
    assert again.error is None and again.calls_seen >= 2
    assert again.new_calls == 0 and again.new_items == 0 and again.updated_calls == 0
    with app.uow() as uow:
        assert len(uow.queue.open_items()) == 20


def test_legs_of_a_call_that_began_before_the_window_are_asked_for(app_factory, clock,
                                                                   twilio_fake):
    """A forward that rang out long before the voicemail ended: the walk stops before the
    leg, so the adapter asks for the parent's legs by ParentCallSid."""
    clock.set(NOW)
    app = app_factory()
    sync = PhoneSync(app.uow, line_for(twilio_fake), SyncPolicy(), clock)
    assert sync.poll().error is None  # the first (empty) sync sets the cursor
    start = NOW - timedelta(minutes=5)
    parent = forwarded(twilio_fake, "+13125550161", start, [("no-answer", 0)], after=260)
    clock.advance(seconds=30)
    result = sync.poll()
    assert result.error is None and result.new_items == 1
    asked = [r.args for r in twilio_fake.list_requests() if "ParentCallSid" in r.args]
    assert asked == [{"ParentCallSid": parent["sid"], "StartTime>": start.date().isoformat(),
                      "PageSize": "1000"}]
    with app.uow() as uow:
        call = uow.calls.by_provider_id("twilio", parent["sid"])
        assert (call.outcome, call.raw_status) == ("missed", "completed (dial: no-answer)")


def test_a_page_out_of_dateupdated_order_turns_the_early_stop_off(twilio_fake, caplog):
    """Twilio documents DateUpdated order; if a page ever breaks it, read whole dates."""
    recent = twilio_call(frm="+13125550181", to=SHOP_NUMBER, start=NOW - timedelta(minutes=3),
                         ring=25, status="no-answer")
    old = twilio_call(frm="+13125550182", to=SHOP_NUMBER, start=NOW - timedelta(hours=5),
                      ring=25, status="no-answer")
    late = twilio_call(frm="+13125550183", to=SHOP_NUMBER, start=NOW - timedelta(hours=2),
                       seconds=7100)  # ended a minute ago, listed below an older record
    tail = missed_calls(3, NOW - timedelta(hours=6), timedelta(minutes=5))
    twilio_fake.add(recent, old, *tail)
    twilio_fake.add(late, sort_at=NOW - timedelta(hours=5, minutes=1))
    line = line_for(twilio_fake, page_size=3)
    found = [c.provider_call_id for page in line.list_calls(NOW - timedelta(minutes=10), NOW)
             for c in page]
    assert sorted(found) == sorted([recent["sid"], late["sid"]])
    assert "out of DateUpdated order" in caplog.text
    assert len(twilio_fake.list_requests()) == 3  # the whole date: 6 records at 3 a page


def test_unauthorised_is_plain_words_and_names_no_secret(twilio_fake, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderError) as failed:
        list(line_for(twilio_fake, token=WRONG_TOKEN).list_calls(NOW - timedelta(hours=1), NOW))
    assert failed.value.kind == ProblemKind.AUTH
    assert str(failed.value) == (f"Twilio rejected the auth token for account {ACCOUNT_SID}: "
                                 "check the Account SID and auth token in Settings → Phone")
    assert WRONG_TOKEN not in caplog.text and AUTH_TOKEN not in caplog.text


def test_no_permission(twilio_fake):
    twilio_fake.forbidden = True
    with pytest.raises(ProviderError) as failed:
        list(line_for(twilio_fake).list_calls(NOW - timedelta(hours=1), NOW))
    assert failed.value.kind == ProblemKind.PERMISSION
    assert str(failed.value) == ("Twilio refused access (these credentials lack a permission): "
                                 "403 Forbidden")


def api_key_line(fake, account_sid: str) -> TwilioLine:
    """Credentials of an API key (SK…) that belongs to the shop's account."""
    fake.api_keys["SK" + "7" * 32] = ("keysecret0123456789abcdef", ACCOUNT_SID)
    return TwilioLine(account_sid=account_sid, api_key="SK" + "7" * 32,
                      auth_token="keysecret0123456789abcdef", base_url=fake.url, sleep=Sleeps())


def test_an_account_sid_the_credentials_cannot_reach_is_a_wrong_account_id(twilio_fake):
    typo = "AC" + "5e1f0a2b3c4d5e6f7a8b9c0d1e2f3a4c"
    with pytest.raises(ProviderError) as failed:
        list(api_key_line(twilio_fake, typo).list_calls(NOW - timedelta(hours=1), NOW))
    assert failed.value.kind == ProblemKind.NOT_CONFIGURED
    assert str(failed.value) == (f"Twilio does not know account {typo}: check the Account SID "
                                 "in Settings → Phone")
    assert list(api_key_line(twilio_fake, ACCOUNT_SID).list_calls(NOW - timedelta(hours=1),
                                                                  NOW)) == []


def test_a_short_retry_after_is_waited_out(twilio_fake):
    twilio_fake.add(*missed_calls(2, NOW, timedelta(minutes=5)))
    twilio_fake.fail_next(1, 429, retry_after=2)
    sleeps = Sleeps()
    pages = list(line_for(twilio_fake, sleep=sleeps).list_calls(NOW - timedelta(hours=1), NOW))
    assert 2.0 in sleeps and sum(len(p) for p in pages) == 2


def test_a_long_retry_after_is_surfaced_as_rate_limited(twilio_fake):
    twilio_fake.fail_next(1, 429, retry_after=600)
    sleeps = Sleeps()
    with pytest.raises(ProviderError) as failed:
        list(line_for(twilio_fake, sleep=sleeps).list_calls(NOW - timedelta(hours=1), NOW))
    assert failed.value.kind == ProblemKind.RATE_LIMITED
    assert failed.value.retry_after_s == 600 and 600 not in sleeps
    assert str(failed.value) == ("Twilio is rate-limiting us (too many requests at once); the "
                                 "next poll waits 10 min")


def test_server_errors_are_retried_then_surfaced(twilio_fake):
    twilio_fake.fail_next(2, 503)
    assert list(line_for(twilio_fake).list_calls(NOW - timedelta(hours=1), NOW)) == []
    twilio_fake.fail_next(4, 500)
    with pytest.raises(ProviderError) as failed:
        list(line_for(twilio_fake).list_calls(NOW - timedelta(hours=1), NOW))
    assert failed.value.kind == ProblemKind.NETWORK
    assert str(failed.value) == "Twilio is having trouble (HTTP 500); will retry"


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_connection_refused_is_a_network_problem():
    line = TwilioLine(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=closed_port_url(),
                      sleep=Sleeps())
    with pytest.raises(ProviderError) as failed:
        list(line.list_calls(NOW - timedelta(hours=1), NOW))
    assert failed.value.kind == ProblemKind.NETWORK
    assert str(failed.value) == ("Twilio cannot be reached (connection refused): check the "
                                 "internet connection")


def test_health_names_the_failure_and_the_next_good_poll_clears_it(app_factory, clock,
                                                                   twilio_fake):
    clock.set(NOW)
    token = {"value": WRONG_TOKEN}
    line = line_for(twilio_fake, token=lambda: token["value"])
    app = app_factory()
    sync = PhoneSync(app.uow, line, SyncPolicy(), clock)

    assert sync.poll().error
    rows, _ = app.health.rows()
    assert [(r.connector, r.level) for r in rows] == [("phone:twilio", "error")]
    assert rows[0].message.startswith("Twilio rejected the auth token")

    token["value"] = AUTH_TOKEN  # fixed in Settings: no restart needed
    clock.advance(seconds=30)
    assert sync.poll().error is None
    rows, _ = app.health.rows()
    assert rows[0].last_error is None and rows[0].level == "ok"


# -- test connection, texts ----------------------------------------------------------------
def test_connection_checks(twilio_fake):
    ok = line_for(twilio_fake).test_connection()
    assert ok.ok
    assert ok.message == f"Connected to Twilio account “Riverside Plumbing” ({ACCOUNT_SID})"
    bad_key = line_for(twilio_fake, token=WRONG_TOKEN).test_connection()
    assert not bad_key.ok and "rejected the auth token" in bad_key.message
    typo = "AC" + "0" * 32
    wrong = api_key_line(twilio_fake, typo).test_connection()
    assert not wrong.ok and wrong.message.startswith(f"Twilio does not know account {typo}")
    offline = TwilioLine(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                         base_url=closed_port_url(), sleep=Sleeps()).test_connection()
    assert not offline.ok and "cannot be reached" in offline.message
    missing = TwilioLine(account_sid=ACCOUNT_SID, auth_token=lambda: None,
                         base_url=twilio_fake.url).test_connection()
    assert not missing.ok and "auth token is missing" in missing.message


def test_send_sms_posts_to_messages_from_the_shops_number(twilio_fake):
    line = line_for(twilio_fake)
    sent = line.send_sms("(312) 555-0122", "Sorry we missed you — we'll call right back.")
    line.send_sms("+13125550123", "Second text")
    posts = [r for r in twilio_fake.requests if r.method == "POST"]
    assert [r.path for r in posts] == [f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"] * 2
    assert posts[0].form == {"To": "+13125550122", "From": SHOP_NUMBER,
                             "Body": "Sorry we missed you — we'll call right back."}
    assert sent.provider_message_id == twilio_fake.messages[0]["sid"]
    assert sent.to_number == "+13125550122"
    numbers = [r for r in twilio_fake.requests if r.path.endswith("IncomingPhoneNumbers.json")]
    assert len(numbers) == 1  # read once


def test_fetch_transcript(twilio_fake):
    call = forwarded(twilio_fake, "+13125550171", NOW - timedelta(minutes=9),
                     [("no-answer", 0)], after=30)
    twilio_fake.add_voicemail(call, "Please call me back about the sump pump.")
    line = line_for(twilio_fake)
    assert line.fetch_transcript(call["sid"]) == "Please call me back about the sump pump."
    assert line.fetch_transcript("CA" + "9" * 32) is None  # Twilio: 404, no such call


# -- malformed and hostile records -----------------------------------------------------------
NO_DIGITS = st.text(st.characters(blacklist_categories=("Cs", "Nd"), blacklist_characters=":"),
                    max_size=40)
SOME = st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                 st.booleans(), st.lists(st.integers(), max_size=3), NO_DIGITS,
                 st.just("x" * 200_000))  # hostile: huge
GARBAGE = st.one_of(st.none(), SOME)
BREAKS = {  # key -> values that make a record unreadable (`None`: the key is dropped)
    "sid": GARBAGE.filter(lambda v: not (isinstance(v, str) and v.startswith("CA"))),
    "status": GARBAGE,
    "direction": GARBAGE,
    "from": GARBAGE,
    "start_time": GARBAGE,
    "end_time": SOME,  # never missing: Twilio lists no call without one under EndTime=D
    "duration": st.one_of(NO_DIGITS.filter(bool), st.integers(max_value=-1),
                          st.floats(allow_nan=False, allow_infinity=False)),
    "parent_call_sid": st.one_of(st.integers(), st.lists(st.integers(), max_size=2)),
}
NOISE = st.dictionaries(st.sampled_from(["caller_name", "answered_by", "forwarded_from",
                                         "price", "uri", "surprise"]), GARBAGE, max_size=3)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(breaks=st.dictionaries(st.sampled_from(sorted(BREAKS)), st.just(0), min_size=1,
                              max_size=3).flatmap(lambda keys: st.fixed_dictionaries(
                                  {k: BREAKS[k] for k in keys})),
       noise=NOISE)
def test_malformed_records_are_quarantined_and_the_rest_syncs(
        breaks, noise, app_factory, clock, twilio_fake, caplog):
    caplog.set_level(logging.DEBUG)
    if not hasattr(twilio_fake, "app"):
        clock.set(NOW)
        twilio_fake.app = app_factory()
        twilio_fake.sync = PhoneSync(twilio_fake.app.uow, line_for(twilio_fake), SyncPolicy(),
                                     clock)
    clock.advance(hours=1)
    now = clock()
    good = missed_calls(3, now - timedelta(minutes=10), timedelta(minutes=7))
    good[0].update(noise)  # optional fields may hold anything
    bad = twilio_call(frm="+13125550199", to=SHOP_NUMBER, start=now - timedelta(minutes=20),
                      ring=25, status="no-answer")
    for key, value in breaks.items():
        if value is None:
            bad.pop(key, None)
        else:
            bad[key] = value
    twilio_fake.add(*good)
    twilio_fake.add(bad, sort_at=now - timedelta(minutes=19))

    result = twilio_fake.sync.poll()

    assert not twilio_fake.server.handler_errors, twilio_fake.server.handler_errors
    assert result.error is None
    with twilio_fake.app.uow() as uow:
        stored = {c.provider_call_id for c in (uow.calls.by_provider_id("twilio", g["sid"])
                                               for g in good) if c}
        payloads = [q.payload for q in uow.quarantine.all()]
    assert stored == {g["sid"] for g in good}
    assert stored_text(json.loads(json.dumps(bad))) in payloads
    assert all(AUTH_TOKEN not in p for p in payloads) and AUTH_TOKEN not in caplog.text


# -- texts customers send (list_messages) ----------------------------------------------------
def texts_of(line: TwilioLine, since: datetime, until: datetime) -> list:
    return [item for page in line.list_messages(since, until) for item in page]


def test_inbound_texts_in_the_window_come_back_oldest_first_across_pages(twilio_fake):
    since = NOW - timedelta(hours=1)
    inside = [twilio_fake.add_text(f"+1312555{300 + i:04d}", f"text {i}",
                                   since + timedelta(minutes=10 * i)) for i in range(5)]
    twilio_fake.add_text("+13125550390", "too early", since - timedelta(seconds=1))
    twilio_fake.add_text("+13125550391", "at until: the next poll's", NOW)
    twilio_fake.add_text("+13125550392", "yesterday", NOW - timedelta(days=1))
    twilio_fake.add_text("+13125550393", "to another number", NOW - timedelta(minutes=5),
                         to=TRACKING)

    texts = texts_of(line_for(twilio_fake, page_size=2), since, NOW)

    assert [t.provider_message_id for t in texts] == [m["sid"] for m in inside]
    first = texts[0]
    assert (first.from_number, first.to_number, first.body) == ("+13125550300", SHOP_NUMBER,
                                                                "text 0")
    assert first.received_at == since and first.received_at.tzinfo is not None
    asks = twilio_fake.message_requests()
    assert len(asks) == 4  # the day's 7 texts to the shop's number, 2 a page
    # Whole UTC dates: on or after midnight of since's date, on or before the midnight that
    # ends until's date; the shop's texting number, never the whole account's history.
    assert asks[0].args == {"To": SHOP_NUMBER, "DateSent>": "2025-02-12",
                            "DateSent<": "2025-02-13", "PageSize": "2"}
    assert all(a.args.get("PageToken") for a in asks[1:])


def test_a_window_across_midnight_asks_for_both_dates(twilio_fake):
    before, after = (twilio_fake.add_text("+13125550301", "late", datetime(
        2025, 2, 12, 23, 55, tzinfo=timezone.utc)), twilio_fake.add_text(
        "+13125550302", "early", datetime(2025, 2, 13, 0, 5, tzinfo=timezone.utc)))
    since = datetime(2025, 2, 12, 23, 50, tzinfo=timezone.utc)
    texts = texts_of(line_for(twilio_fake), since, since + timedelta(minutes=20))
    assert [t.provider_message_id for t in texts] == [before["sid"], after["sid"]]
    (ask,) = twilio_fake.message_requests()
    assert (ask.args["DateSent>"], ask.args["DateSent<"]) == ("2025-02-12", "2025-02-14")


def test_texts_the_shop_sent_are_not_returned(twilio_fake):
    twilio_fake.now = lambda: NOW - timedelta(minutes=5)
    line = line_for(twilio_fake)
    line.send_sms("+13125550122", "Sorry we missed you, calling right back.")
    # The shop's tracking number texting its main number: Twilio keeps both halves, an
    # outbound-api record and an inbound one, both To the main number.
    twilio_fake.add_text(TRACKING, "test from the Yelp number", NOW - timedelta(minutes=4),
                         direction="outbound-api")
    twin = twilio_fake.add_text(TRACKING, "test from the Yelp number",
                                NOW - timedelta(minutes=4))
    twilio_fake.add_text(TRACKING, "auto-reply", NOW - timedelta(minutes=3),
                         direction="outbound-reply")
    customer = twilio_fake.add_text("+13125550122", "thanks, STOP", NOW - timedelta(minutes=2))

    texts = texts_of(line, NOW - timedelta(minutes=10), NOW)

    assert [t.provider_message_id for t in texts] == [twin["sid"], customer["sid"]]
    assert [m["direction"] for m in twilio_fake.messages][0] == "outbound-api"  # listed too


def test_a_malformed_text_is_quarantined_and_the_rest_of_the_page_returned(twilio_fake):
    since = NOW - timedelta(hours=1)
    good = [twilio_fake.add_text(f"+1312555{310 + i:04d}", "STOP", since + timedelta(minutes=i))
            for i in range(3)]
    no_sender = twilio_fake.add_text("+13125550320", "hi", since + timedelta(minutes=5))
    del no_sender["from"]
    bad_date = twilio_fake.add_text("+13125550321", "hi", since + timedelta(minutes=6),
                                    date_sent="last Tuesday-ish")
    not_a_number = twilio_fake.add_text("+13125550322", "hi", since + timedelta(minutes=7),
                                        **{"from": "not a phone"})
    odd_direction = twilio_fake.add_text("+13125550323", "hi", since + timedelta(minutes=8),
                                         direction=["inbound"])

    items = texts_of(line_for(twilio_fake, page_size=4), since, NOW)

    kept = [i for i in items if not isinstance(i, Quarantined)]
    held = {q.external_id: q for q in items if isinstance(q, Quarantined)}
    assert [t.provider_message_id for t in kept] == [g["sid"] for g in good]
    assert set(held) == {no_sender["sid"], bad_date["sid"], not_a_number["sid"],
                         odd_direction["sid"]}
    assert held[no_sender["sid"]].reason == "'from' is missing"
    assert "date_sent is not an RFC 2822 time" in held[bad_date["sid"]].reason
    assert "sender's number is unusable" in held[not_a_number["sid"]].reason
    assert "unknown message direction" in held[odd_direction["sid"]].reason
    assert held[bad_date["sid"]].payload == bad_date  # the raw record, for a person to read


def test_a_429_on_the_texts_is_waited_out_and_the_texts_still_come_back(twilio_fake):
    sent = twilio_fake.add_text("+13125550330", "please call", NOW - timedelta(minutes=3))
    sleeps = Sleeps()
    line = line_for(twilio_fake, sleep=sleeps)
    assert texts_of(line, NOW - timedelta(hours=2), NOW - timedelta(hours=1)) == []
    twilio_fake.reset_requests()
    twilio_fake.fail_next(1, 429, retry_after=1)  # the texting number is known: the listing
    texts = texts_of(line, NOW - timedelta(hours=1), NOW)
    assert [t.provider_message_id for t in texts] == [sent["sid"]]
    assert sleeps == [1.0] and len(twilio_fake.message_requests()) == 2
