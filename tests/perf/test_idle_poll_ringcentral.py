"""Benchmark: an idle RingCentral poll costs the same whatever the history holds.

For 1,000, 10,000 and 100,000 calls held by the fake (at most 10,000 inside the 7-day
backfill window, the rest older: see `history`), a first sync loads them (not timed), then
a poll with nothing new is timed and its requests counted at the fake.

The rate limiters run on virtual time, so nothing here waits. At RingCentral's real limits
the first sync would: call-log reads are the Heavy group, 10 requests a minute, so a backfill
of 100,000 calls at 1,000 a page is 100 pages, about 10 minutes. The second line printed per
size says how long the limiters would have made this run wait.

An idle poll reads the last ~4 hours by start time (dateFrom filters start time, so the
window is widened by the longest call): it stays one request while the line takes fewer
than 1,000 calls in 4 hours.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest

from desktop.adapters.phone.ringcentral import RingCentralLine
from desktop.services.sync import PhoneSync, SyncPolicy
from fake_ringcentral import (CLIENT_ID, CLIENT_SECRET, JWT, call_record, parse_time,
                              ringcentral)  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow

SIZES = (1_000, 10_000, 100_000)
IN_WINDOW = 10_000  # calls inside the backfill window, at most
RESULTS = [("Accepted", "Inbound")] * 14 + [("Missed", "Inbound")] * 3 + \
          [("Voicemail", "Inbound"), ("Hang Up", "Inbound"), ("Call connected", "Outbound")]


IDLE_REQUESTS: dict[int, int] = {}


class VirtualTime:
    def __init__(self):
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def history(fake, size: int, now) -> None:
    """`size` calls at the provider. Up to IN_WINDOW of them are spread evenly over the 7-day
    backfill window (ending 10 minutes ago); the rest are older, history that RingCentral
    still holds but a first sync does not fetch. (Storing 100,000 calls through the sync
    service takes minutes, longer than this benchmark should.) Callers come from a pool so
    missed calls merge into queue items as at a busy shop; one voicemail in a hundred has a
    transcript in the message store."""
    recent = min(size, IN_WINDOW)
    span = timedelta(days=7) - timedelta(minutes=10)
    older = timedelta(days=82)  # 8 to 90 days ago
    records = []
    for n in range(size):
        if n < size - recent:
            at = now - timedelta(days=90) + older * n / (size - recent)
        else:
            at = now - timedelta(days=7) + span * (n - size + recent) / recent
        result, direction = RESULTS[n % len(RESULTS)]
        number = f"+1{(312, 773, 630, 847, 708)[n % 5]}555{n // 5 % 10_000:04d}"
        record = call_record(f"{n}", at.replace(microsecond=0), 30 + n % 300, direction,
                             result, number)
        if result == "Voicemail" and n % 2000 == 17:
            fake.add_voicemail(record, f"Please call me back about job {n}.")
        records.append((parse_time(record["startTime"]), record))
    fake.load_sorted(records)


@pytest.mark.parametrize("size", SIZES)
def test_an_idle_poll_costs_the_same_for_any_history(size, app_factory, clock, ringcentral):
    ringcentral.now = clock
    history(ringcentral, size, clock())
    vt = VirtualTime()
    line = RingCentralLine(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, jwt=JWT,
                           base_url=ringcentral.base_url, clock=clock, sleep=vt.sleep,
                           monotonic=vt.monotonic)
    app = app_factory()
    sync = PhoneSync(app.uow, line, SyncPolicy(), clock)

    started = time.perf_counter()
    first = sync.poll()
    first_s = time.perf_counter() - started
    assert first.error is None and first.new_calls == min(size, IN_WINDOW)
    first_requests, waited = ringcentral.request_count, vt.now

    timings, counts = [], set()
    for _ in range(5):  # the median of five idle polls, 30 s apart
        clock.advance(seconds=30)
        before = ringcentral.request_count
        started = time.perf_counter()
        idle = sync.poll()
        timings.append((time.perf_counter() - started) * 1000)
        counts.add(ringcentral.request_count - before)
        assert idle.error is None and idle.new_calls == 0 and idle.updated_calls == 0
    (requests,) = counts
    ms = statistics.median(timings)

    print(f"\n[idle poll ringcentral] history={size} requests={requests} ms={ms:.1f}")
    print(f"[first sync ringcentral] history={size} requests={first_requests} "
          f"s={first_s:.1f} rate-limit wait at RingCentral's limits={waited / 60:.1f} min")
    IDLE_REQUESTS[size] = requests
    assert set(IDLE_REQUESTS.values()) == {requests}  # the same for every size so far
    assert requests == 1  # one call-log page; the token from the first sync is reused
