"""The OpenPhone (Quo) line against a loopback fake of its v1 API (tests/fake_openphone.py).

The fake enforces what the real API does: `/v1/calls` needs a phoneNumberId and exactly one
participant, lists newest first and pages with nextPageToken; conversations move with their
last activity. So these tests prove the adapter walks conversations, always sends its time
filters, merges forwarded legs, and turns every failure into plain words.
"""

from __future__ import annotations

import json
import logging
import socket
import string
from datetime import datetime, timedelta, timezone

import pytest
from fake_openphone import (  # noqa: F401  (openphone: fixture)
    OWNER, call_record, message_record, openphone, parse,
)
from fake_openphone import iso as op_iso
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.adapters.http import RateLimiter
from desktop.adapters.phone.base import InboundMessage, ProblemKind, ProviderError
from desktop.adapters.phone.openphone import REQUIRED, OpenPhoneLine
from desktop.domain.calls import Direction, Outcome
from desktop.domain.clock import iso
from desktop.domain.quarantine import Quarantined, stored_text
from desktop.services.sync import PhoneSync, SyncPolicy

MAIN, ADS = "PNmain0001", "PNads00002"
MAIN_NO, ADS_NO = "+13125550100", "+13125550177"
DESK_USER = "USdesk0002"   # the only member of the ads line: the owner is not
KEY = "phone.openphone.api_key"
NOW = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)


def lines(fake) -> None:
    fake.add_line(MAIN, MAIN_NO, "Main line", users=(OWNER, DESK_USER))
    fake.add_line(ADS, ADS_NO, "Google Ads line", users=(DESK_USER,))


def make_line(fake, **kwargs) -> tuple[OpenPhoneLine, list[float]]:
    """The adapter with recorded sleeps and a rate limiter that never makes a test wait."""
    sleeps: list[float] = []
    options = dict(api_key=fake.api_key, base_url=fake.url, sleep=sleeps.append,
                   limiter=RateLimiter(10_000, 1), clock=lambda: NOW)
    options.update(kwargs)
    return OpenPhoneLine(**options), sleeps


def flat(pages) -> list:
    return [item for page in pages for item in page]


# -- the CLI, end to end ---------------------------------------------------------------------
def configure(cli, fake) -> None:
    for args in (("config", "set", "phone.provider", "openphone"),
                 ("config", "set", "phone.base_url", fake.url),
                 ("config", "set", "phone.source_by_number", json.dumps({ADS_NO: "Google Ads"}))):
        code, _, err = cli(*args)
        assert code == 0, err
    code, _, err = cli("secret", "set", KEY, stdin=fake.api_key + "\n")
    assert code == 0, err
    assert fake.api_key not in err


def scripted_day(fake, now: datetime) -> dict:
    """A day at the shop, in OpenPhone's own records. Returns the ids the queue should show."""
    def ago(minutes: float) -> datetime:
        return now - timedelta(minutes=minutes)

    maria, linda, james, susan = "+17735550142", "+17085550134", "+16305550192", "+16305550154"
    michael, robert, patricia = "+13125550133", "+17085550111", "+18475550192"
    answered = call_record(MAIN, robert, created=ago(300), answered=True, talk_s=300)
    missed = call_record(MAIN, maria, status="missed", created=ago(240))
    voicemail = call_record(MAIN, linda, created=ago(180), talk_s=40)  # completed, unanswered
    abandoned = call_record(MAIN, james, status="abandoned", created=ago(150), ring_s=8)
    # Dialed the Google Ads number, forwarded to the main line, where nobody picked up:
    # a hand-off record on the ads line and a continuation on the main line.
    handoff = call_record(ADS, susan, status="forwarded", created=ago(130), ring_s=2,
                          user_id=DESK_USER, forwarded_to=MAIN_NO)
    continuation = call_record(MAIN, susan, status="missed", created=ago(130) +
                               timedelta(seconds=2), ring_s=25, forwarded_from=ADS_NO)
    repeat = [call_record(MAIN, michael, status="no-answer", created=ago(120)),
              call_record(MAIN, michael, created=ago(90)),
              call_record(MAIN, michael, status="missed", created=ago(60), talk_s=30)]
    callback = call_record(MAIN, maria, "outgoing", created=ago(55), answered=True,
                           talk_s=120)
    not_queued = call_record(MAIN, patricia, created=ago(30), answered=True, talk_s=200)
    ringing = call_record(MAIN, "+18475550193", status="ringing", created=ago(0.5),
                          completed=False)
    old = call_record(MAIN, "+17735550108", status="missed", created=now - timedelta(days=8))
    week = call_record(MAIN, "+17085550104", status="missed", created=now - timedelta(days=6))
    fake.add_calls([answered, missed, voicemail, abandoned, handoff, continuation, *repeat,
                    callback, not_queued, ringing, old, week],
                   contact_names={maria: "Maria Gonzalez", linda: "Linda Kowalski"})
    fake.add_voicemail(voicemail["id"], "Hi, this is Linda, water is coming through the "
                                        "kitchen ceiling. Please call me back.")
    fake.add_voicemail(repeat[2]["id"], "It's Michael again, the furnace is still out.")

    def item(phone, calls, outcome, transcript=None, source=None, name=None):
        return {"phone": phone, "calls": len(calls), "call_ids": [c["id"] for c in calls],
                "outcome": outcome, "transcript": transcript, "source": source,
                "caller_name": name,
                "first_call_at": iso(parse(calls[0]["createdAt"])),
                "last_call_at": iso(parse(calls[-1]["createdAt"]))}

    return {"queue": sorted([
        item(maria, [missed], "missed", name="Maria Gonzalez"),
        item(linda, [voicemail], "voicemail", fake.voicemails[voicemail["id"]]["transcript"],
             name="Linda Kowalski"),
        item(james, [abandoned], "abandoned"),
        item(susan, [handoff], "missed", source="Google Ads"),
        item(michael, repeat, "voicemail", "It's Michael again, the furnace is still out."),
        item("+17085550104", [week], "missed"),
    ], key=lambda row: row["phone"]), "old": old, "week": week}


def queue(cli) -> list[dict]:
    code, out, err = cli("queue", "--json")
    assert code == 0, err
    return sorted(json.loads(out), key=lambda row: row["phone"])


COMPARED = ("phone", "calls", "call_ids", "outcome", "transcript", "source", "caller_name",
            "first_call_at", "last_call_at")


def test_a_scripted_day_lands_in_the_queue_exactly_once(cli, openphone, data_dir):
    lines(openphone)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    expected = scripted_day(openphone, now)
    configure(cli, openphone)

    code, _, err = cli("sync", "--once")
    assert code == 0, err
    assert "11 new call(s)" in err  # 12 records in the week; the forwarded pair is one call
    rows = queue(cli)
    assert [{k: row[k] for k in COMPARED} for row in rows] == expected["queue"]
    maria = next(row for row in rows if row["phone"] == "+17735550142")
    assert maria["callback_attempts"] == 1  # the outbound callback is seen as an attempt

    # Every /v1/calls request named one line and one participant, with both time filters;
    # the conversation walk always sent updatedAfter.
    for query in openphone.queries("/v1/calls"):
        assert len(query["participants"]) == 1 and query["phoneNumberId"]
        assert query["createdAfter"] and query["createdBefore"] and query["maxResults"]
        assert query["phoneNumberId"] != [ADS] or query["userId"] == [DESK_USER]
    assert all(q.get("updatedAfter") for q in openphone.queries("/v1/conversations"))
    # Backfill is 7 days: the 6-day-old call came in, the 8-day-old one was never asked for.
    asked = {q["participants"][0] for q in openphone.queries("/v1/calls")}
    assert "+17085550104" in asked and "+17735550108" not in asked
    # Voicemail was only looked up for unanswered inbound calls.
    looked_up = {p.rsplit("/", 1)[1] for _, p, _ in openphone.requests
                 if p.startswith("/v1/call-voicemails/")}
    assert expected["week"]["id"] in looked_up and len(looked_up) == 7

    code, _, err = cli("sync", "--once")
    assert code == 0, err
    assert "0 new call(s), 0 updated, 0 new queue item(s), 0 merged" in err
    log_text = "".join(p.read_text() for p in (data_dir / "logs").glob("*.log*"))
    assert log_text and openphone.api_key not in log_text
    moving = ("age_s", "lane")  # these follow the wall clock
    assert [{k: v for k, v in r.items() if k not in moving} for r in queue(cli)] == \
        [{k: v for k, v in r.items() if k not in moving} for r in rows]


def test_first_sync_reads_the_backfill_window_only(app_factory, clock, openphone):
    lines(openphone)
    clock.set(NOW)
    six = call_record(MAIN, "+17085550104", status="missed", created=NOW - timedelta(days=6))
    eight = call_record(MAIN, "+17735550108", status="missed", created=NOW - timedelta(days=8))
    openphone.add_calls([six, eight])
    app = app_factory()
    for key, value in (("phone.provider", "openphone"), ("phone.base_url", openphone.url)):
        app.settings_service.set(key, value, actor="person:test")
    app.secrets.set(KEY, openphone.api_key)
    app.close()
    app = app_factory()
    result = app.sync.poll()
    assert result.error is None and result.new_calls == 1
    with app.uow() as uow:
        assert uow.calls.by_provider_id("openphone", six["id"]) is not None
        assert uow.calls.by_provider_id("openphone", eight["id"]) is None
    (conversations,) = openphone.queries("/v1/conversations")
    since = parse(conversations["updatedAfter"][0])
    assert NOW - timedelta(days=7, seconds=2) <= since <= NOW - timedelta(days=7)


# -- listing rules ---------------------------------------------------------------------------
def test_pages_follow_next_page_token_and_overlap_does_not_duplicate(app_factory, clock,
                                                                     openphone):
    lines(openphone)
    clock.set(NOW)
    records = []
    for n in range(5):  # five callers, three calls each: pages of two everywhere
        for k in range(3):
            records.append(call_record(MAIN, f"+1708555{110 + n:04d}", status="missed",
                                       created=NOW - timedelta(hours=5 - n, minutes=10 * k)))
    openphone.add_calls(records)
    app = app_factory()
    line, _ = make_line(openphone, page_size=2, clock=clock)
    sync = PhoneSync(app.uow, line, SyncPolicy(), clock)
    first = sync.poll()
    assert first.error is None and first.new_calls == 15 and first.new_items == 5
    assert first.merged_calls == 10
    tokens = [q for q in openphone.queries("/v1/calls") if "pageToken" in q]
    assert len(tokens) == 5 and openphone.queries("/v1/conversations")[-1].get("pageToken")
    assert all(q["maxResults"] == ["2"] for q in openphone.queries("/v1/calls"))

    # One more call for the first caller; the next poll overlaps the last 120 s.
    clock.advance(minutes=5)
    late = call_record(MAIN, "+17085550110", status="missed", created=NOW + timedelta(minutes=1))
    openphone.add_calls([late])
    second = sync.poll()
    assert (second.new_calls, second.updated_calls, second.merged_calls) == (1, 0, 1)
    with app.uow() as uow:
        assert len(uow.queue.open_items()) == 5


def test_unfinished_calls_wait_for_a_later_poll(openphone):
    lines(openphone)
    live = call_record(MAIN, "+17085550111", status="in-progress",
                       created=NOW - timedelta(minutes=3), answered=True, completed=False)
    openphone.add_calls([live])
    line, _ = make_line(openphone)
    assert flat(line.list_calls(NOW - timedelta(hours=1), NOW)) == []
    # It ends; its thread is asked again even if its updatedAt had not moved.
    live.update(status="completed", completedAt=op_iso(NOW - timedelta(minutes=1)))
    (call,) = flat(line.list_calls(NOW - timedelta(minutes=2), NOW + timedelta(minutes=1)))
    assert call.outcome == Outcome.ANSWERED and call.ended_at == NOW - timedelta(minutes=1)


def test_outcome_mapping(openphone):
    lines(openphone)
    at = NOW - timedelta(hours=1)
    cases = {
        "answered": call_record(MAIN, "+17085550101", created=at, answered=True, talk_s=60),
        "busy": call_record(MAIN, "+17085550102", status="busy", created=at),
        "failed": call_record(MAIN, "+17085550103", status="failed", created=at),
        "canceled": call_record(MAIN, "+17085550104", status="canceled", created=at),
        "no-answer": call_record(MAIN, "+17085550105", status="no-answer", created=at),
        "ai": call_record(MAIN, "+17085550106", created=at, answered=True, talk_s=60,
                          ai_handled="ai-agent"),
        "out-missed": call_record(MAIN, "+17085550107", "outgoing", created=at),
        "vm-pending": call_record(MAIN, "+17085550108", created=at, talk_s=20),
        # forwarded to an outside phone that did not pick up: one record, answeredAt null
        "fwd-out": call_record(MAIN, "+17085550109", status="forwarded", created=at,
                               forwarded_to="+17735550199"),
    }
    openphone.add_calls(cases.values())
    openphone.add_voicemail(cases["vm-pending"]["id"], None, status="in-progress")
    line, _ = make_line(openphone)
    got = {c.provider_call_id: c for c in flat(line.list_calls(at - timedelta(hours=1), NOW))}
    outcome = {name: got[rec["id"]].outcome for name, rec in cases.items()}
    assert outcome == {"answered": "answered", "busy": "busy", "failed": "failed",
                       "canceled": "abandoned", "no-answer": "missed", "ai": "missed",
                       "out-missed": "missed", "vm-pending": "voicemail", "fwd-out": "missed"}
    out = got[cases["out-missed"]["id"]]
    assert (out.direction, out.from_number, out.to_number) == (Direction.OUTBOUND, MAIN_NO,
                                                               "+17085550107")
    assert got[cases["vm-pending"]["id"]].transcript is None
    # The transcript arrives later: fetch_transcript asks again (an unfinished one is not cached).
    openphone.add_voicemail(cases["vm-pending"]["id"], "Call me back about the boiler.")
    assert line.fetch_transcript(cases["vm-pending"]["id"]) == "Call me back about the boiler."
    assert line.fetch_transcript(cases["answered"]["id"]) is None  # 404: no voicemail


def test_calls_endpoint_refuses_what_the_real_api_refuses(openphone):
    """The fake is strict, so the adapter's compliance above means something."""
    import requests
    lines(openphone)
    head = {"Authorization": openphone.api_key}
    url = openphone.url + "/v1/calls"
    for params in ({"participants": "+17085550101", "maxResults": 10},
                   {"phoneNumberId": MAIN, "maxResults": 10},
                   {"phoneNumberId": MAIN, "participants": ["+17085550101", "+17085550102"],
                    "maxResults": 10}):
        for endpoint in (url, openphone.url + "/v1/messages"):
            answer = requests.get(endpoint, params=params, headers=head, timeout=5)
            assert answer.status_code == 400 and answer.json()["title"] == "Bad Request"
            assert answer.json()["errors"][0]["path"] in ("/phoneNumberId", "/participants")
    answer = requests.get(url, params={"phoneNumberId": MAIN, "participants": "+17085550101",
                                       "maxResults": 10},
                          headers={"Authorization": "Bearer " + openphone.api_key}, timeout=5)
    assert answer.status_code == 401 and answer.json()["message"] == "Unauthorized"


# -- errors in plain words -------------------------------------------------------------------
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll_error(line) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        flat(line.list_calls(NOW - timedelta(hours=1), NOW))
    return caught.value


def test_failures_become_plain_words(openphone, caplog):
    caplog.set_level(logging.DEBUG)
    lines(openphone)
    line, sleeps = make_line(openphone, api_key="wrong-key-123")
    error = poll_error(line)
    assert error.kind == ProblemKind.AUTH and "OpenPhone rejected the API key" in str(error)

    missing, _ = make_line(openphone, api_key=lambda: None)
    error = poll_error(missing)
    assert error.kind == ProblemKind.NOT_CONFIGURED
    assert "frontdesk secret set phone.openphone.api_key" in str(error)

    openphone.forbidden = True
    line, sleeps = make_line(openphone)
    error = poll_error(line)
    assert error.kind == ProblemKind.PERMISSION and "forbidden" in str(error)
    openphone.forbidden = False

    wrong, _ = make_line(openphone, base_url=openphone.url + "/nope")
    error = poll_error(wrong)
    assert error.kind == ProblemKind.NOT_CONFIGURED and "phone.base_url" in str(error)

    openphone.fail_next(1, 429, retry_after="2")
    assert flat(line.list_calls(NOW - timedelta(hours=1), NOW)) == []
    assert sleeps == [2.0]  # waited exactly what Retry-After said, then went on

    openphone.fail_next(1, 429, retry_after="120")
    error = poll_error(line)
    assert error.kind == ProblemKind.RATE_LIMITED and error.retry_after_s == 120
    assert "2 min" in str(error)

    sleeps.clear()
    openphone.fail_next(2, 503)
    assert flat(line.list_calls(NOW - timedelta(hours=1), NOW)) == []
    assert len(sleeps) == 2  # retried with backoff, then it worked
    openphone.fail_next(4, 500)
    error = poll_error(line)
    assert error.kind == ProblemKind.NETWORK and "HTTP 500" in str(error)

    down, _ = make_line(openphone, base_url=f"http://127.0.0.1:{closed_port()}")
    error = poll_error(down)
    assert error.kind == ProblemKind.NETWORK and "connection refused" in str(error)
    assert openphone.api_key not in caplog.text and "wrong-key-123" not in caplog.text


def test_health_names_the_failure_and_recovers(app_factory, clock, openphone):
    lines(openphone)
    clock.set(NOW)
    openphone.add_calls([call_record(MAIN, "+17085550101", status="missed",
                                     created=NOW - timedelta(minutes=30))])
    app = app_factory()
    key = {"value": "stale-key-0000"}
    line, _ = make_line(openphone, api_key=lambda: key["value"], clock=clock)
    sync = PhoneSync(app.uow, line, SyncPolicy(), clock)
    assert sync.poll().error
    (row,), _ = app.health.rows()
    assert row.level == "error" and "OpenPhone rejected the API key" in row.message
    key["value"] = openphone.api_key  # fixed in Settings: no restart needed
    clock.advance(seconds=30)
    result = sync.poll()
    assert result.error is None and result.new_items == 1
    (row,), _ = app.health.rows()
    assert row.level != "error" and row.last_error is None


def test_connection_check(openphone):
    lines(openphone)
    line, _ = make_line(openphone)
    check = line.test_connection()
    assert check.ok and "Main line" in check.message and "Google Ads line" in check.message
    assert "(312) 555-0100" in check.message
    bad, _ = make_line(openphone, api_key="nope-nope")
    assert not bad.test_connection().ok
    assert "rejected the API key" in bad.test_connection().message
    wrong, _ = make_line(openphone, base_url=openphone.url + "/nope")
    assert "phone.base_url" in wrong.test_connection().message
    down, _ = make_line(openphone, base_url=f"http://127.0.0.1:{closed_port()}")
    check = down.test_connection()
    assert not check.ok and "cannot be reached" in check.message


def test_send_sms_posts_the_real_body(openphone):
    lines(openphone)
    line, _ = make_line(openphone)
    sent = line.send_sms("(773) 555-0142", "Sorry we missed you! Call us back anytime.")
    assert openphone.sent == [{"content": "Sorry we missed you! Call us back anytime.",
                               "from": MAIN, "to": ["+17735550142"]}]
    assert sent.provider_message_id.startswith("AC") and sent.to_number == "+17735550142"
    assert sent.sent_at.tzinfo is not None
    openphone.fail_next(1, 503)
    with pytest.raises(ProviderError):
        line.send_sms("+17735550142", "again")  # a POST that may have landed is not resent
    assert len(openphone.sent) == 1


def test_default_manners():
    line = OpenPhoneLine(api_key="k")
    assert line.http.base_url == "https://api.openphone.com"
    assert (line.http.limiter.capacity, line.http.limiter.fill_per_second) == (10, 10)


# -- hostile data ----------------------------------------------------------------------------
def _garbage(field: str, text: str):
    if field == "participants":
        return ["no number " + text]
    return {"id": "zz", "phoneNumberId": "XX"}.get(field, "x-") + text


MUTATION = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(REQUIRED), st.none()),
    st.tuples(st.just("type"), st.sampled_from(REQUIRED),
              st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(),
                        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))),
    st.tuples(st.just("garbage"), st.sampled_from(REQUIRED),
              st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=40)),
    st.tuples(st.just("none"), st.sampled_from([f for f in REQUIRED
                                                if f not in ("answeredAt", "completedAt")]),
              st.none()),
    st.tuples(st.just("huge"), st.sampled_from(REQUIRED), st.integers(10_000, 200_000)),
)


def mutate(record: dict, mutation) -> dict:
    kind, field, value = mutation
    bad = dict(record)
    if kind == "drop":
        del bad[field]
    elif kind == "type":
        bad[field] = value
    elif kind == "garbage":
        bad[field] = _garbage(field, value)
    elif kind == "none":
        bad[field] = None
    else:
        bad[field] = _garbage(field, "q" * value)
    return bad


@pytest.fixture
def hostile(app_factory, clock, openphone):
    lines(openphone)
    clock.set(NOW)
    app = app_factory()
    line, _ = make_line(openphone, clock=clock)
    return app, openphone, PhoneSync(app.uow, line, SyncPolicy(), clock), clock


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_malformed_records_are_quarantined_and_the_rest_syncs(hostile, mutations, caplog):
    app, fake, sync, clock = hostile
    now = clock.advance(days=1)
    fake.clear_calls()
    customer = "+17085550142"
    good = [call_record(MAIN, customer, status="missed", created=now - timedelta(minutes=m))
            for m in (30, 20, 10)]
    bad = []
    for i, mutation in enumerate(mutations):
        record = call_record(MAIN, customer, status="missed",
                             created=now - timedelta(minutes=25), user_id=f"USbad{i}")
        bad.append(mutate(record, mutation))
    fake.add_calls(good + bad, pair=(MAIN, customer), at=now - timedelta(minutes=25))

    result = sync.poll()

    assert result.error is None
    with app.uow() as uow:
        stored = [uow.calls.by_provider_id("openphone", r["id"]) for r in good]
        kept = {q.payload for q in uow.quarantine.all()}
    assert all(stored) and result.new_calls == 3
    assert result.skipped == len(bad)  # each bad record quarantined (a repeat is stored once)
    assert {stored_text(r) for r in bad} <= kept
    assert all(fake.api_key not in payload for payload in kept)
    assert fake.api_key not in caplog.text


# -- inbound texts ---------------------------------------------------------------------------
MARIA, LINDA, JAMES = "+17735550142", "+17085550134", "+16305550192"


def test_inbound_texts_in_the_window_come_through_the_conversations_and_outgoing_do_not(
        openphone):
    lines(openphone)
    since = NOW - timedelta(hours=1)
    # Maria's thread began with a call days ago: her texts today move it back up.
    openphone.add_calls([call_record(MAIN, MARIA, status="missed",
                                     created=NOW - timedelta(days=3))])
    openphone.add_text(MAIN, MARIA, "Is someone coming today?", created=NOW - timedelta(minutes=30))
    openphone.add_text(MAIN, MARIA, "Yes, by 3pm", created=NOW - timedelta(minutes=25),
                       direction="outgoing")
    openphone.add_text(MAIN, MARIA, "STOP", created=NOW - timedelta(minutes=5))
    openphone.add_text(ADS, LINDA, "Thanks!", created=since)          # the start is in
    openphone.add_text(MAIN, LINDA, "Later one", created=NOW)          # the end is not
    openphone.add_text(MAIN, JAMES, "Old news", created=NOW - timedelta(hours=3))
    line, _ = make_line(openphone)

    texts = flat(line.list_messages(since, NOW))

    assert [(t.from_number, t.to_number, t.body, t.received_at) for t in texts] == [
        (LINDA, ADS_NO, "Thanks!", since),
        (MARIA, MAIN_NO, "Is someone coming today?", NOW - timedelta(minutes=30)),
        (MARIA, MAIN_NO, "STOP", NOW - timedelta(minutes=5))]
    assert all(isinstance(t, InboundMessage) and t.provider_message_id.startswith("AC")
               for t in texts)
    (walk,) = openphone.queries("/v1/conversations")
    assert parse(walk["updatedAfter"][0]) <= since
    asked = openphone.queries("/v1/messages")
    # James's thread was quiet since the window began: not asked about at all.
    assert sorted((q["phoneNumberId"][0], q["participants"][0]) for q in asked) == [
        (ADS, LINDA), (MAIN, LINDA), (MAIN, MARIA)]
    assert all(parse(q["createdAfter"][0]) <= since and parse(q["createdBefore"][0]) >= NOW
               and "userId" not in q for q in asked)


def test_every_page_of_conversations_and_messages_is_followed(openphone):
    lines(openphone)
    for n in range(3):
        for k in range(3):
            openphone.add_text(MAIN, f"+1708555{120 + n:04d}", f"text {n}.{k}",
                               created=NOW - timedelta(minutes=50 - 10 * n - k))
    line, _ = make_line(openphone, page_size=2)
    texts = flat(line.list_messages(NOW - timedelta(hours=1), NOW))
    assert sorted(t.body for t in texts) == [f"text {n}.{k}" for n in range(3) for k in range(3)]
    assert [q for q in openphone.queries("/v1/conversations") if "pageToken" in q]
    assert len([q for q in openphone.queries("/v1/messages") if "pageToken" in q]) == 3


def test_a_text_that_cannot_be_read_is_quarantined_and_the_rest_returns(openphone):
    lines(openphone)
    at = NOW - timedelta(minutes=10)
    good = message_record(MAIN, MAIN_NO, MARIA, "Please stop texting me", created=at)
    no_sender = {**message_record(MAIN, MAIN_NO, MARIA, "STOP", created=at), "from": None}
    bad_time = {**message_record(MAIN, MAIN_NO, MARIA, "hi", created=at),
                "createdAt": "yesterday"}
    openphone.add_texts([good, no_sender, bad_time], pair=(MAIN, MARIA), at=at)
    line, _ = make_line(openphone)

    (page,) = list(line.list_messages(NOW - timedelta(hours=1), NOW))

    assert [t.body for t in page if isinstance(t, InboundMessage)] == ["Please stop texting me"]
    assert {q.external_id: q.reason for q in page if isinstance(q, Quarantined)} == {
        no_sender["id"]: "OpenPhone message: from is missing",
        bad_time["id"]: "OpenPhone message: createdAt is not an ISO 8601 time: 'yesterday'"}


def test_a_429_on_the_messages_listing_is_waited_out_and_the_texts_still_come(openphone):
    lines(openphone)
    openphone.add_text(MAIN, MARIA, "STOP", created=NOW - timedelta(minutes=5))
    line, sleeps = make_line(openphone)
    flat(line.list_calls(NOW - timedelta(hours=1), NOW))   # the numbers are read once
    openphone.fail_next(1, 429, retry_after="2")
    before = openphone.count()
    assert [t.body for t in flat(line.list_messages(NOW - timedelta(hours=1), NOW))] == [
        "STOP"]
    assert sleeps == [2.0]
    assert [p for _, p, _ in openphone.requests[before:]] == [
        "/v1/conversations", "/v1/conversations", "/v1/messages"]
