"""Benchmark: a CallRail poll that finds nothing new costs the same whatever the history.

For 1,000, 10,000 and 100,000 calls of history at the (loopback) provider, the first sync
stores what lies in the backfill window (not timed); then one idle poll is timed and its
requests are counted at the fake. Prints one line per size:
    [idle poll callrail] history=100000 requests=1 ms=3.1

Storing 100,000 calls takes the sync service about two minutes (its per-call ORM work, not
the adapter), so at most IN_WINDOW calls sit in the backfill window, the newest five minutes
old (the idle poll's lookback reads a dozen of them); the rest are older history at the
provider, which the date filters keep out of every request. FRONTDESK_PERF_FULL=1 puts all
of them in the window.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from fake_callrail import (  # noqa: F401  (callrail_server, callrail_fake: fixtures)
    ACCOUNT_ID, API_KEY, call_record, callrail_fake, callrail_server,
)

from desktop.adapters.phone.callrail import CallRailLine
from desktop.services.sync import PhoneSync, SyncPolicy

pytestmark = pytest.mark.slow

SIZES = (1_000, 10_000, 100_000)
BACKFILL = timedelta(days=7)
CALLERS = 5_000
IN_WINDOW = 100_000 if os.environ.get("FRONTDESK_PERF_FULL") else 10_000


def history(now, size: int) -> list[dict]:
    """`size` finished calls, a mix of answered, missed and voicemail from a pool of callers
    plus the shop's callbacks: up to IN_WINDOW spread over the backfill window (the newest
    five minutes old), the rest over the 60 days before it."""
    recent = min(size, IN_WINDOW)
    starts = [now - BACKFILL + timedelta(minutes=5) + (BACKFILL - timedelta(minutes=10)) * i
              / recent for i in range(recent)]
    older = now - BACKFILL - timedelta(days=60)
    starts += [older + timedelta(days=59) * i / (size - recent) for i in range(size - recent)]
    records = []
    for i, start in enumerate(starts):
        number = f"+1773555{i % CALLERS:04d}"   # 773-555-0000..4999 all validate
        kind = i % 10
        records.append(call_record(
            start=start, customer=number, duration=30 + i % 200,
            answered=kind < 6, voicemail=kind == 9,
            direction="outbound" if kind == 8 else "inbound",
            transcription="Please call me back about the water heater." if kind == 9 else None))
    return records


def test_an_idle_poll_costs_the_same_for_any_history(app_factory, clock, callrail_fake,
                                                     tmp_path):
    callrail_fake.clock = clock
    counts = {}
    for size in SIZES:
        callrail_fake.clear()
        callrail_fake.add(*history(clock(), size))
        app = app_factory(tmp_path / f"history-{size}")
        line = CallRailLine(account_id=ACCOUNT_ID, api_key=API_KEY, clock=clock,
                            base_url=callrail_fake.base_url, sleep=lambda s: None)
        sync = PhoneSync(app.uow, line, SyncPolicy(backfill=BACKFILL), clock=clock)
        started = time.perf_counter()
        first = sync.poll()
        assert first.error is None and first.new_calls == min(size, IN_WINDOW)
        backfill_s = time.perf_counter() - started

        clock.advance(seconds=30)
        before = len(callrail_fake.requests)
        started = time.perf_counter()
        idle = sync.poll()
        ms = (time.perf_counter() - started) * 1000
        counts[size] = len(callrail_fake.requests) - before
        assert idle.error is None and not idle.changed
        print(f"\n[idle poll callrail] history={size} requests={counts[size]} ms={ms:.1f} "
              f"(stored {first.new_calls}; first sync {backfill_s:.1f} s, {first.pages} pages)")
        app.close()
    assert len(set(counts.values())) == 1, counts
