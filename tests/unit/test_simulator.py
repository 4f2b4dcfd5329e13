"""The simulated phone line: deterministic, realistic traffic behind the PhoneProvider port."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from desktop.adapters.phone.simulator import (
    EMERGENCY_TRANSCRIPTS, REGULAR_CALLERS, TRACKING_SOURCES, TRANSCRIPTS, SimulatedLine,
    tracking_source,
)
from desktop.domain.calls import MISSED_OUTCOMES, Direction, Outcome

CHICAGO = ZoneInfo("America/Chicago")
# A Friday at noon in Chicago; the week before it crosses the March DST change.
NOW = datetime(2025, 3, 14, 17, 0, tzinfo=timezone.utc)
WEEK_AGO = NOW - timedelta(days=7)


def make_line(**kwargs) -> SimulatedLine:
    kwargs.setdefault("clock", lambda: NOW)
    return SimulatedLine(**kwargs)


def listed(line: SimulatedLine, since: datetime, until: datetime):
    return [call for page in line.list_calls(since, until) for call in page]


def local_day(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), CHICAGO)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


@pytest.fixture(scope="module")
def week():
    return listed(make_line(), WEEK_AGO, NOW)


def inbound(calls):
    return [c for c in calls if c.direction == Direction.INBOUND]


def test_same_seed_gives_the_same_calls_and_another_seed_does_not():
    first = listed(make_line(seed=3), WEEK_AGO, NOW)
    second = listed(make_line(seed=3), WEEK_AGO, NOW)
    other = listed(make_line(seed=4), WEEK_AGO, NOW)
    assert first == second
    assert [(c.provider_call_id, c.outcome) for c in first] != \
           [(c.provider_call_id, c.outcome) for c in other]


def test_a_day_does_not_depend_on_the_window_it_is_asked_through():
    line = make_line()
    since, until = local_day(date(2025, 3, 12))
    whole = [c for c in listed(line, WEEK_AGO, NOW) if since <= c.ended_at < until]
    assert listed(make_line(), since, until) == whole


def test_weekdays_are_busy_and_concentrated_in_business_hours():
    line = make_line()
    weekdays = [date(2025, 3, d) for d in (3, 4, 5, 6, 7, 10, 11, 12, 13)]
    calls = inbound(listed(line, NOW - timedelta(days=14), NOW))
    for day in weekdays:
        todays = [c for c in calls if c.started_at.astimezone(CHICAGO).date() == day]
        assert 35 <= len(todays) <= 60, (day, len(todays))
        in_hours = [c for c in todays if 7 <= c.started_at.astimezone(CHICAGO).hour < 18]
        assert len(in_hours) >= 0.75 * len(todays)
        assert len(in_hours) < len(todays)  # there are always a few after-hours calls
        morning = sum(9 <= c.started_at.astimezone(CHICAGO).hour < 11 for c in todays)
        afternoon = sum(15 <= c.started_at.astimezone(CHICAGO).hour < 17 for c in todays)
        assert morning > 0 and morning >= afternoon - 3


def test_weekends_are_quieter():
    calls = inbound(listed(make_line(), WEEK_AGO, NOW))
    per_day = defaultdict(int)
    for c in calls:
        per_day[c.started_at.astimezone(CHICAGO).date()] += 1
    saturday, sunday = per_day[date(2025, 3, 8)], per_day[date(2025, 3, 9)]
    assert 10 <= saturday <= 35
    assert 2 <= sunday <= 14
    assert sunday < saturday < per_day[date(2025, 3, 11)]


def test_about_a_third_of_inbound_calls_go_unanswered(week):
    calls = inbound(week)
    unanswered = [c for c in calls if c.outcome in MISSED_OUTCOMES]
    assert 0.25 <= len(unanswered) / len(calls) <= 0.45
    outcomes = {c.outcome for c in calls}
    assert {Outcome.ANSWERED, Outcome.MISSED, Outcome.VOICEMAIL} <= outcomes


def test_outcomes_carry_twilio_statuses_and_plausible_durations(week):
    statuses = {Outcome.ANSWERED: "completed", Outcome.VOICEMAIL: "completed",
                Outcome.MISSED: "no-answer", Outcome.ABANDONED: "canceled",
                Outcome.BUSY: "busy", Outcome.FAILED: "failed"}
    limits = {Outcome.ANSWERED: (60, 720), Outcome.VOICEMAIL: (20, 90),
              Outcome.MISSED: (20, 35), Outcome.ABANDONED: (3, 15),
              Outcome.BUSY: (0, 2), Outcome.FAILED: (0, 2)}
    for c in week:
        assert c.raw_status == statuses[c.outcome]
        low, high = limits[c.outcome]
        assert low <= c.duration_s <= high
        assert c.ended_at == c.started_at + timedelta(seconds=c.duration_s)
        assert c.started_at.utcoffset() == timedelta(0) and c.ended_at.utcoffset() == timedelta(0)
        if c.direction == Direction.INBOUND:  # the tracking number the caller dialled
            assert c.source == tracking_source(c.from_number)
        else:
            assert c.source is None
    sources = Counter(c.source for c in week if c.direction == Direction.INBOUND)
    assert set(sources) == {name for name, _weight in TRACKING_SOURCES}
    assert sources.most_common(1)[0][0] == "Google Ads"


def test_transcript_library_is_realistic():
    assert len(TRANSCRIPTS) >= 30
    assert 0.15 <= len(EMERGENCY_TRANSCRIPTS) / len(TRANSCRIPTS) <= 0.20
    text = " ".join(TRANSCRIPTS)
    for phrase in ("water coming through the kitchen ceiling", "I smell gas in the basement",
                   "no heat and we have a newborn"):
        assert phrase in text


def template_of(transcript: str) -> str:
    """The library template a generated transcript was filled in from."""
    def pattern(template: str) -> str:
        return re.sub(r"\\\{(full|first)\\\}", "(.+?)", re.escape(template))
    matches = [t for t in TRANSCRIPTS if re.fullmatch(pattern(t), transcript)]
    assert len(matches) == 1, transcript
    return matches[0]


def caller_name(line: SimulatedLine, number: str) -> str:
    regulars = {number: name for name, number in REGULAR_CALLERS}
    return regulars.get(number) or line._stranger(number).name


def test_voicemails_carry_transcripts_including_an_emergency(week):
    voicemails = [c for c in week if c.outcome == Outcome.VOICEMAIL]
    assert voicemails and all(template_of(c.transcript) for c in voicemails)
    assert all(c.transcript is None for c in week if c.outcome != Outcome.VOICEMAIL)
    assert any(template_of(c.transcript) in EMERGENCY_TRANSCRIPTS for c in voicemails)


def test_voicemails_speak_with_the_callers_own_name(week):
    line = make_line(live_from=NOW - timedelta(hours=1))
    live = listed(line, NOW - timedelta(hours=1), NOW)
    voicemails = [c for c in week + live if c.outcome == Outcome.VOICEMAIL]
    named = 0
    for c in voicemails:
        assert "{" not in c.transcript and "}" not in c.transcript
        template = template_of(c.transcript)
        if "{full}" in template or "{first}" in template:
            full = caller_name(line, c.from_number)
            assert full.split()[0] in c.transcript, (full, c.transcript)
            if "{full}" in template:
                assert full in c.transcript
            named += 1
    assert named >= 10
    # Caller ID may show nothing useful, but the caller still says who they are.
    assert any(c.caller_name in (None, "WIRELESS CALLER") and "{" in template_of(c.transcript)
               for c in voicemails)
    # The stock library names nobody who is not the caller (third parties aside).
    assert not any(stock in c.transcript for c in voicemails
                   for stock in ("Karen Novak", "Tom Brennan", "Priya", "Darnell"))
    again = [c.transcript for c in listed(make_line(), WEEK_AGO, NOW)
             if c.outcome == Outcome.VOICEMAIL]
    assert again == [c.transcript for c in week if c.outcome == Outcome.VOICEMAIL]


def test_unanswered_callers_sometimes_call_again_shortly(week):
    repeats = []
    by_number = defaultdict(list)
    for c in sorted(inbound(week), key=lambda c: c.started_at):
        by_number[c.from_number].append(c)
    for same in by_number.values():
        for earlier, later in zip(same, same[1:]):
            gap = later.started_at - earlier.ended_at
            if earlier.outcome in MISSED_OUTCOMES and timedelta(minutes=5) <= gap <= \
                    timedelta(minutes=40):
                repeats.append(later)
    assert len(repeats) >= 3


def test_callbacks_follow_an_earlier_unanswered_call_from_that_number(week):
    line = make_line()
    everything = listed(line, WEEK_AGO - timedelta(days=4), NOW)
    callbacks = [c for c in week if c.direction == Direction.OUTBOUND]
    assert len(callbacks) >= 10
    for cb in callbacks:
        assert cb.from_number == line.shop_number and cb.caller_name is None
        assert cb.outcome in (Outcome.ANSWERED, Outcome.MISSED)
        assert any(c.direction == Direction.INBOUND and c.from_number == cb.to_number
                   and c.outcome in MISSED_OUTCOMES
                   and c.ended_at + timedelta(minutes=10) <= cb.started_at
                   for c in everything)


def test_no_call_is_reported_before_it_ends():
    line = make_line()
    calls = listed(line, NOW - timedelta(days=1), NOW + timedelta(days=3))
    assert calls and all(c.ended_at <= NOW for c in calls)
    later = make_line(clock=lambda: NOW + timedelta(hours=3))
    assert len(listed(later, NOW - timedelta(days=1), NOW + timedelta(days=3))) > len(calls)


def test_adjacent_windows_page_exactly_like_one_window():
    line = make_line()
    a, b, c = WEEK_AGO, WEEK_AGO + timedelta(days=3, hours=5, minutes=17), NOW
    pages = list(line.list_calls(a, c))
    assert all(len(page) <= 200 for page in pages) and len(pages[0]) == 200
    whole = [call for page in pages for call in page]
    split = listed(line, a, b) + listed(make_line(), b, c)
    assert split == whole
    assert len({call.provider_call_id for call in whole}) == len(whole)
    assert [x.ended_at for x in whole] == sorted(x.ended_at for x in whole)
    assert all(a <= x.ended_at < c for x in whole)


def test_an_inverted_window_is_refused_and_an_empty_one_is_empty():
    line = make_line()
    with pytest.raises(ValueError):
        line.list_calls(NOW, NOW - timedelta(hours=1))
    assert list(line.list_calls(NOW, NOW)) == []


def test_start_hides_earlier_calls(week):
    start = NOW - timedelta(days=2)
    calls = listed(make_line(start=start), WEEK_AGO, NOW)
    assert calls and all(c.started_at >= start for c in calls)
    assert calls == [c for c in week if c.started_at >= start]


def test_live_from_adds_calls_at_demo_pace():
    live_from = NOW - timedelta(minutes=30)
    plain = listed(make_line(), live_from, NOW)
    live = listed(make_line(live_from=live_from, live_gap_seconds=20), live_from, NOW)
    plain_ids = {c.provider_call_id for c in plain}
    assert plain_ids <= {c.provider_call_id for c in live}
    extra = [c for c in live if c.provider_call_id not in plain_ids]
    assert 50 <= len(extra) <= 150
    assert all(c.direction == Direction.INBOUND and c.started_at >= live_from for c in extra)
    unanswered = sum(c.outcome in MISSED_OUTCOMES for c in extra)
    assert unanswered / len(extra) >= 0.45
    again = listed(make_line(live_from=live_from, live_gap_seconds=20), live_from, NOW)
    assert again == live


def test_live_traffic_far_after_live_from_is_still_quick():
    live_from = NOW - timedelta(hours=8)
    line = make_line(live_from=live_from, live_gap_seconds=20)
    began = time.perf_counter()
    calls = listed(line, NOW - timedelta(days=7), NOW)
    listed(line, NOW - timedelta(minutes=5), NOW)
    assert time.perf_counter() - began < 5
    assert len(calls) > 1000
    assert len({c.provider_call_id for c in calls}) == len(calls)


def test_numbers_are_valid_e164_in_the_fiction_range_and_never_the_shop(week):
    shop = REGULAR_CALLERS[0][1]  # even a shop number that is also a regular's
    calls = listed(make_line(shop_number=shop, live_from=NOW - timedelta(hours=1)),
                   WEEK_AGO, NOW)
    for shop_number, batch in (("+13125550100", week), (shop, calls)):
        for c in batch:
            assert shop_number in (c.from_number, c.to_number)
            assert c.customer_number != shop_number
            for number in (c.from_number, c.to_number):
                assert re.fullmatch(r"\+1(312|773|630|847|708)55501\d\d", number)
                parsed = phonenumbers.parse(number)
                assert phonenumbers.is_valid_number(parsed)
                assert phonenumbers.format_number(
                    parsed, phonenumbers.PhoneNumberFormat.E164) == number


def test_regulars_recur_and_caller_id_looks_like_cnam(week):
    regular_numbers = {number for _, number in REGULAR_CALLERS}
    seen = defaultdict(set)
    for c in inbound(week):
        seen[c.from_number].add(c.started_at.astimezone(CHICAGO).date())
    assert any(len(days) >= 2 for number, days in seen.items() if number in regular_numbers)
    assert any(number not in regular_numbers for number in seen)
    names = {c.caller_name for c in inbound(week)}
    assert None in names and "WIRELESS CALLER" in names
    assert "GONZALEZ MARIA" in names or any(n and re.fullmatch(r"[A-Z' -]+", n) for n in names)
    assert all(n is None or len(n) <= 15 for n in names)


def test_call_ids_look_like_twilio_and_are_unique_across_days():
    calls = listed(make_line(), NOW - timedelta(days=30), NOW)
    assert all(re.fullmatch(r"CA[0-9a-f]{32}", c.provider_call_id) for c in calls)
    assert len({c.provider_call_id for c in calls}) == len(calls)


def test_fetch_transcript_finds_listed_and_recent_voicemails(week):
    voicemail = next(c for c in week if c.outcome == Outcome.VOICEMAIL)
    line = make_line()
    assert line.fetch_transcript(voicemail.provider_call_id) == voicemail.transcript  # fresh
    listed(line, WEEK_AGO, NOW)
    assert line.fetch_transcript(voicemail.provider_call_id) == voicemail.transcript
    answered = next(c for c in week if c.outcome == Outcome.ANSWERED)
    assert line.fetch_transcript(answered.provider_call_id) is None
    assert line.fetch_transcript("CA" + "0" * 32) is None


def test_send_sms_records_the_message():
    line = make_line()
    sent = line.send_sms("+17735550142", "Hi Maria, this is the shop returning your call.")
    assert re.fullmatch(r"SM[0-9a-f]{32}", sent.provider_message_id)
    assert (sent.to_number, sent.sent_at) == ("+17735550142", NOW)
    second = line.send_sms("+17735550142", "Hi Maria, this is the shop returning your call.")
    assert line.sent_messages == [sent, second]
    assert second.provider_message_id != sent.provider_message_id
    for bad in ("7735550142", "+1 773 555 0142", "", "+abc"):
        with pytest.raises(ValueError):
            line.send_sms(bad, "hello")
    assert len(line.sent_messages) == 2


def test_connection_check_names_the_line():
    check = make_line(seed=11).test_connection()
    assert check.ok
    assert check.message == "Simulator line +13125550100 is running (seed 11)."
    assert SimulatedLine.name == "simulator" and SimulatedLine.label == "Simulator"
