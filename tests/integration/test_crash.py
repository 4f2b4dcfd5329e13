"""Killed at any moment, the sync loses nothing it committed and leaves a consistent queue.

A large backfill (30 days plus hours of demo-pace traffic: thousands of calls over dozens
of pages) is started with `python -m desktop sync --once` and killed with SIGKILL mid-sync,
several times; then one run is left to finish. The database must never lose a call it once
held, never hold one twice, keep every queue item's count in step with its linked calls,
and keep an intact change log.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from desktop.adapters.phone.simulator import SimulatedLine
from desktop.domain.calls import MISSED_OUTCOMES

ROOT = Path(__file__).resolve().parents[2]
KILLS = 3
LIVE_HOURS = 24
LIVE_GAP_SECONDS = 4  # ~21,600 calls: a sync --once takes seconds, long enough to strike
BACKFILL_DAYS = 30
MISSED = tuple(str(o) for o in MISSED_OUTCOMES)


def say(capsys, message: str) -> None:
    """A line in pytest's output even with capture on: the figures belong in the log."""
    with capsys.disabled():
        print(f"\n[crash] {message}")


def frontdesk(data_dir: Path, *args: str, wait: bool = True):
    command = [sys.executable, "-m", "desktop", *args, "--data-dir", str(data_dir)]
    if wait:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def call_ids(db: Path) -> set[tuple[str, str]]:
    if not db.exists():
        return set()
    conn = sqlite3.connect(db, timeout=30)
    try:
        return set(conn.execute("SELECT provider, provider_call_id FROM calls"))
    except sqlite3.OperationalError:  # the schema is not there yet
        return set()
    finally:
        conn.close()


def query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def big_backfill(app_factory, data_dir):
    """A data folder whose first sync has thousands of calls to store."""
    live_from = (datetime.now(timezone.utc) - timedelta(hours=LIVE_HOURS)).replace(microsecond=0)
    app = app_factory()
    for key, value in {
        "phone.provider": "simulator",
        "phone.backfill_days": BACKFILL_DAYS,
        "phone.simulator.live_from": live_from.isoformat(),
        "phone.simulator.live_gap_seconds": LIVE_GAP_SECONDS,
    }.items():
        app.settings_service.set(key, value, actor="person:test")
    app.close()
    return live_from


def test_kill_9_mid_sync_loses_nothing_and_leaves_a_consistent_queue(
        big_backfill, data_dir, capsys):
    db = data_dir / "frontdesk.db"
    rng = random.Random()
    began = time.monotonic()
    observed = [call_ids(db)]
    figures = []
    for kill in range(1, KILLS + 1):
        before = len(observed[-1])
        proc = frontdesk(data_dir, "sync", "--once", wait=False)
        try:
            # Wait until this run has committed something new, then strike a moment later.
            deadline = time.monotonic() + 60
            while len(current := call_ids(db)) <= before:
                assert proc.poll() is None, f"sync ended before any progress: {proc.stderr.read()}"
                assert time.monotonic() < deadline, "sync made no progress in 60 s"
                observed.append(current)
                time.sleep(0.05)
            observed.append(current)
            time.sleep(rng.uniform(0.05, 0.5))
            assert proc.poll() is None, "sync finished before it could be killed; enlarge it"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        observed.append(call_ids(db))
        figures.append(len(observed[-1]))
        say(capsys, f"after kill {kill}: {len(observed[-1])} calls stored")

    final_started = datetime.now(timezone.utc)
    done = frontdesk(data_dir, "sync", "--once")
    assert done.returncode == 0, done.stderr
    observed.append(call_ids(db))
    say(capsys, f"after the completing run: {len(observed[-1])} calls stored "
                 f"({done.stderr.strip()}); {time.monotonic() - began:.1f} s in all")

    # Nothing committed is ever lost: each observation holds every call of the one before.
    for earlier, later in zip(observed, observed[1:]):
        assert earlier <= later, f"{len(earlier - later)} stored call(s) disappeared"
    assert figures == sorted(figures) and figures[0] > 0
    assert len(observed[-1]) > figures[-1]  # the kills really landed mid-sync

    # No call twice.
    assert query(db, "SELECT provider, provider_call_id, COUNT(*) FROM calls "
                     "GROUP BY provider, provider_call_id HAVING COUNT(*) > 1") == []

    # Every call the line reported for the window is there.
    line = SimulatedLine(seed=7, timezone="America/Chicago", live_from=big_backfill,
                         live_gap_seconds=LIVE_GAP_SECONDS, clock=lambda: final_started)
    since = final_started - timedelta(days=BACKFILL_DAYS) + timedelta(minutes=5)
    expected = {("simulator", c.provider_call_id)
                for page in line.list_calls(since, final_started) for c in page}
    assert len(expected) > 5000
    missing = expected - observed[-1]
    assert not missing, f"{len(missing)} call(s) never stored"

    # Each queue item counts exactly the missed inbound calls linked to it.
    placeholders = ", ".join("?" * len(MISSED))
    conn = sqlite3.connect(db)
    try:
        mismatched = conn.execute(f"""
            SELECT q.id, q.call_count, COUNT(c.id) FROM queue_items q
            LEFT JOIN calls c ON c.queue_item_id = q.id AND c.direction = 'inbound'
                             AND c.outcome IN ({placeholders})
            GROUP BY q.id HAVING q.call_count != COUNT(c.id)""", MISSED).fetchall()
        assert mismatched == []
        # Every missed inbound call belongs to an item; one open item per caller.
        orphans = conn.execute(f"""SELECT COUNT(*) FROM calls WHERE direction = 'inbound'
            AND outcome IN ({placeholders}) AND queue_item_id IS NULL""", MISSED).fetchone()
        assert orphans == (0,)
        assert conn.execute("SELECT phone FROM queue_items WHERE state != 'done' "
                            "GROUP BY phone HAVING COUNT(*) > 1").fetchall() == []
        items = conn.execute("SELECT COUNT(*) FROM queue_items").fetchone()[0]
    finally:
        conn.close()
    assert items > 100

    verified = frontdesk(data_dir, "changelog", "--verify")
    assert verified.returncode == 0, verified.stderr
    assert "change log intact" in verified.stderr
