"""The queue table model without a window: keyed updates and lanes over time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPersistentModelIndex

from desktop.domain.queue import Lane
from desktop.services.views import QueueRow
from desktop.ui.models.queue_model import AGE, CALLS, LANE, LANE_ROLE, ROW_ROLE, LaneFilterProxy, \
    QueueModel

NOW = datetime(2026, 11, 17, 15, 0, tzinfo=timezone.utc)


def make_row(item_id: int, minutes_ago: float, calls: int = 1, urgency="unknown") -> QueueRow:
    first = NOW - timedelta(minutes=minutes_ago)
    return QueueRow(id=item_id, phone=f"+1312555{item_id:04d}", caller_name=None, calls=calls,
                    call_ids=tuple(f"CA{item_id}-{n}" for n in range(calls)), first_call_at=first,
                    last_call_at=first, outcome="missed", transcript=None, urgency=urgency,
                    state="open", owner=None, source=None, disposition=None,
                    callback_attempts=0, follow_up_at=None, resolved_at=None, lead_id=None)


class Clock:
    now = NOW

    def __call__(self):
        return self.now


def test_keyed_updates_keep_persistent_indexes(qtmodeltester):
    clock = Clock()
    model = QueueModel(timedelta(minutes=5), ZoneInfo("America/Chicago"), clock)
    model.set_rows([make_row(1, 1), make_row(2, 2)])
    ids = [model.index(n, 0).data(ROW_ROLE).id for n in range(2)]
    assert ids == [2, 1]  # the longest-waiting first
    kept = QPersistentModelIndex(model.index(1, 0))  # item 1, as a selection would hold it
    # Item 1 rings twice more: it rises above item 2; a new caller arrives at the bottom.
    model.set_rows([make_row(1, 1, calls=3), make_row(2, 2), make_row(3, 0.5)])
    assert [model.index(n, 0).data(ROW_ROLE).id for n in range(3)] == [1, 2, 3]
    assert kept.isValid() and kept.row() == 0 and kept.data(ROW_ROLE).id == 1
    assert model.index(0, CALLS).data() == "3 calls"
    assert model.rowCount() == 3
    model.set_rows([make_row(1, 1, calls=3)])
    assert model.rowCount() == 1 and model.row_for(1).calls == 3
    qtmodeltester.check(model)


def test_tick_moves_a_fresh_item_into_call_now_at_the_target():
    clock = Clock()
    model = QueueModel(timedelta(minutes=5), ZoneInfo("America/Chicago"), clock)
    model.set_rows([make_row(1, minutes_ago=4)])
    proxy = LaneFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_lane(Lane.TO_DO)
    assert proxy.rowCount() == 1
    assert model.index(0, AGE).data() == "4m 00s"
    clock.now = NOW + timedelta(minutes=1, seconds=5)
    model.tick()
    assert model.index(0, LANE).data(LANE_ROLE) == Lane.CALL_NOW
    assert proxy.rowCount() == 0
    proxy.set_lane(Lane.CALL_NOW)
    assert proxy.rowCount() == 1


def test_emergencies_sort_first():
    clock = Clock()
    model = QueueModel(timedelta(minutes=5), ZoneInfo("America/Chicago"), clock)
    model.set_rows([make_row(1, 30), make_row(2, 10, urgency="emergency"), make_row(3, 20, calls=2)])
    proxy = LaneFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(LANE)
    order = [proxy.index(n, 0).data(ROW_ROLE).id for n in range(3)]
    assert order == [2, 3, 1]


def test_the_lane_bar_follows_the_clock(qtbot):
    from desktop.ui.queue_tab import QueueTab

    clock = Clock()
    model = QueueModel(timedelta(minutes=5), ZoneInfo("America/Chicago"), clock)
    tab = QueueTab(model, ZoneInfo("America/Chicago"))
    qtbot.addWidget(tab)
    model.set_rows([make_row(1, minutes_ago=4), make_row(2, minutes_ago=30)])
    assert tab.lanes.tabText(1) == "Call now  1" and tab.lanes.tabText(2) == "To do  1"
    clock.now = NOW + timedelta(minutes=1, seconds=1)
    model.tick()
    assert tab.lanes.tabText(1) == "Call now  2" and tab.lanes.tabText(2) == "To do  0"
    assert tab.summary.text() == "2 to call now · 2 open"
