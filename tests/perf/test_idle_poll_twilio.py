"""Benchmark: a Twilio poll that finds nothing new costs the same requests whatever the
history. For 1,000, 10,000 and 100,000 calls spread over the 7-day backfill window, the first
sync (not timed; about 30 s for 100,000 here) stores them all; then an idle poll 30 s later
is timed and its requests are counted at the fake. Prints one line per size."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from desktop.adapters.phone.twilio import TwilioLine
from desktop.services.sync import PhoneSync, SyncPolicy
from fake_twilio import (  # noqa: F401  (twilio_server is a fixture)
    ACCOUNT_SID, AUTH_TOKEN, SHOP_NUMBER, FakeTwilio, twilio_call, twilio_server,
)

pytestmark = pytest.mark.slow

SIZES = (1_000, 10_000, 100_000)
NOW = datetime(2025, 2, 12, 18, 0, tzinfo=timezone.utc)  # the idle window stays in one UTC day
AREAS = ("312", "773", "630", "847", "708")


def customer(k: int) -> str:
    """One of 3,000 regular callers (valid North American numbers)."""
    k %= 3000
    return f"+1{AREAS[k % 5]}{200 + k % 700:03d}{k:04d}"


def history(fake: FakeTwilio, size: int) -> None:
    """`size` calls evenly over the backfill window, the newest ten minutes before NOW. Per
    hundred: 25 rang out, 5 busy, 5 hung up, 4 callbacks, the rest answered (each of those a
    `completed` call with no leg, so its recordings must be checked); one in a thousand is a
    voicemail with a transcript."""
    step = (timedelta(days=7) - timedelta(minutes=20)) / size
    records, voicemails = [], []
    for i in range(size):
        start = (NOW - timedelta(minutes=10) - step * (i + 1)).replace(microsecond=0)
        kind = i % 100
        if i % 1000 == 999:
            call = twilio_call(frm=customer(i), to=SHOP_NUMBER, start=start, seconds=40)
            voicemails.append(call)
        elif kind < 25:
            call = twilio_call(frm=customer(i), to=SHOP_NUMBER, start=start, ring=25,
                               status="no-answer")
        elif kind < 30:
            call = twilio_call(frm=customer(i), to=SHOP_NUMBER, start=start, status="busy")
        elif kind < 35:
            call = twilio_call(frm=customer(i), to=SHOP_NUMBER, start=start, ring=6,
                               status="canceled")
        elif kind < 39:
            call = twilio_call(frm=SHOP_NUMBER, to=customer(i - 1), start=start, seconds=50,
                               direction="outbound-api")
        else:
            call = twilio_call(frm=customer(i), to=SHOP_NUMBER, start=start, seconds=120)
        records.append(call)
    fake.add_many(records)
    for call in voicemails:
        fake.add_voicemail(call, "Hi, please call me back about the water heater.")


def test_an_idle_poll_costs_the_same_whatever_the_history(app_factory, clock, twilio_server,
                                                          tmp_path):
    requests = {}
    for size in SIZES:
        twilio_server.clear()
        fake = FakeTwilio(twilio_server)
        history(fake, size)
        clock.set(NOW)
        folder = tmp_path / f"history-{size}"
        folder.mkdir()
        app = app_factory(folder)
        line = TwilioLine(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=fake.url,
                          clock=clock)
        sync = PhoneSync(app.uow, line, SyncPolicy(), clock)

        first = sync.poll()  # the backfill: not timed
        assert first.error is None and first.new_calls == size and first.skipped == 0

        clock.advance(seconds=30)
        fake.reset_requests()
        started = time.perf_counter()
        idle = sync.poll()
        elapsed_ms = (time.perf_counter() - started) * 1000
        assert idle.error is None and idle.new_calls == 0 and idle.updated_calls == 0
        requests[size] = len(fake.requests)
        print(f"[idle poll twilio] history={size} requests={requests[size]} "
              f"ms={elapsed_ms:.1f}")
        app.close()

    assert len(set(requests.values())) == 1, requests
