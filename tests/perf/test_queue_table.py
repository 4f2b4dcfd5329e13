"""Benchmark: the queue table at 2,000, 10,000 and 100,000 rows: first load, the
once-a-second tick, and a typical refresh (100 resolved, 50 new callers). Prints figures;
asserts only loose bounds for the sizes a shop really has."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from desktop.services.views import QueueRow

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 17, 15, 0, tzinfo=timezone.utc)
ZONE = ZoneInfo("America/Chicago")


def rows(count: int, start: int = 0) -> list[QueueRow]:
    out = []
    for n in range(start, start + count):
        first = NOW - timedelta(seconds=(n * 37) % 20_000)
        out.append(QueueRow(
            id=n + 1, phone=f"+1312555{n % 10_000:04d}", caller_name="GARCIA ROSA",
            calls=1 + n % 3, call_ids=("CA",), first_call_at=first, last_call_at=first,
            outcome="missed", transcript=None, urgency=("unknown", "emergency", "routine")[n % 3],
            state="open", owner=None, source=None, disposition=None, callback_attempts=0,
            follow_up_at=None, resolved_at=None, lead_id=None))
    return out


class Clock:
    now = NOW

    def __call__(self):
        return self.now


@pytest.mark.parametrize("size", [2_000, 10_000, 100_000])
def test_queue_table_load_tick_and_refresh(qtbot, qapp, size):
    from desktop.ui.models.queue_model import QueueModel
    from desktop.ui.queue_tab import QueueTab

    clock = Clock()
    model = QueueModel(timedelta(minutes=5), ZONE, clock)
    tab = QueueTab(model, ZONE)
    qtbot.addWidget(tab)
    tab.resize(1200, 800)
    tab.show()
    board = rows(size)

    def timed(action) -> float:
        started = time.perf_counter()
        action()
        qapp.processEvents()
        return (time.perf_counter() - started) * 1000

    load = timed(lambda: model.set_rows(board))
    tab.table.selectRow(5)
    selected = tab.selected_id()
    clock.now += timedelta(seconds=1)
    tick = timed(model.tick)
    refresh = timed(lambda: model.set_rows(board[:-100] + rows(50, size)))
    print(f"\n[queue table] rows={size:,}: first load {load:.0f} ms, tick {tick:.0f} ms, "
          f"refresh (-100 +50) {refresh:.0f} ms")
    assert tab.selected_id() == selected  # the selection survives refreshes and re-ordering
    if size <= 2_000:  # what a busy shop's board holds: well inside a frame or three
        assert load < 500 and tick < 250 and refresh < 250
