"""Benchmark: an OpenPhone poll that finds nothing new costs the same whatever the history.

For 1,000, 10,000 and 100,000 calls of history at the provider (the loopback fake of the
v1 API), a first sync stores what falls in the 7-day backfill window (not timed), then an
idle poll is timed and its requests are counted at the fake. At most 10,000 calls are put
inside the backfill window and the rest in the 60 days before it, on the same customers'
conversations: storing 100,000 calls through the sync service alone takes over a minute,
and older calls are history the provider holds all the same. OpenPhone has no "calls since
T" listing; the adapter asks `/v1/conversations?updatedAfter=<cursor>` first, so a quiet
line answers one request.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

import pytest
from fake_openphone import call_record, openphone  # noqa: F401  (fixture)

from desktop.adapters.http import RateLimiter
from desktop.adapters.phone.openphone import OpenPhoneLine
from desktop.services.sync import PhoneSync, SyncPolicy

pytestmark = pytest.mark.slow

NOW = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)
MAIN = "PNmain0001"
CUSTOMERS = 2_000
SIZES = (1_000, 10_000, 100_000)
IN_WINDOW = 10_000


def history(size: int, seed: int = 7) -> list[dict]:
    """`size` calls, mostly answered: up to IN_WINDOW over the last 7 days (ending 10 minutes
    ago), the rest over the 60 days before that."""
    rng = random.Random(seed)
    span = timedelta(days=7) - timedelta(hours=1)
    start = NOW - timedelta(days=7) + timedelta(minutes=50)
    calls = []
    for n in range(size):
        if n < IN_WINDOW:
            created = start + span * rng.random()
        else:
            created = start - timedelta(days=1) - timedelta(days=60) * rng.random()
        customer = f"+1708555{rng.randrange(CUSTOMERS):04d}"
        roll = rng.random()
        if roll < 0.9:
            rec = call_record(MAIN, customer, created=created, answered=True, talk_s=120)
        elif roll < 0.95:
            rec = call_record(MAIN, customer, "outgoing", created=created, answered=True)
        else:
            rec = call_record(MAIN, customer, status="missed", created=created)
        calls.append(rec)
    return calls


def test_idle_poll_costs_the_same_for_any_history(app_factory, clock, data_dir, openphone):
    openphone.add_line(MAIN, "+13125550100", "Main line")
    figures = {}
    for size in SIZES:
        openphone.clear_calls()
        openphone.add_calls(history(size))
        clock.set(NOW)
        app = app_factory(data_dir / f"history-{size}")
        line = OpenPhoneLine(api_key=openphone.api_key, base_url=openphone.url, clock=clock,
                             limiter=RateLimiter(100_000, 1))  # count requests, don't wait
        sync = PhoneSync(app.uow, line, SyncPolicy(), clock)
        started = time.perf_counter()
        first = sync.poll()
        backfill_s = time.perf_counter() - started
        assert first.error is None and first.new_calls == min(size, IN_WINDOW)

        clock.advance(seconds=30)
        before = openphone.count()
        started = time.perf_counter()
        idle = sync.poll()
        ms = (time.perf_counter() - started) * 1000
        requests = openphone.count() - before
        assert idle.error is None and idle.new_calls == 0 and idle.pages == 0
        figures[size] = requests
        print(f"\n[idle poll openphone] history={size} requests={requests} ms={ms:.1f} "
              f"(first sync {backfill_s:.1f} s, {first.new_calls} calls)")
    assert len(set(figures.values())) == 1 and figures[SIZES[0]] == 1
