"""The queue as a Qt table model, and the proxy that filters it by lane and sorts it by
priority. Rows are plain QueueRow data; lanes and ages come from the domain rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from collections import Counter

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QSortFilterProxyModel, Signal

from desktop.domain.calls import Outcome
from desktop.domain.clock import utcnow
from desktop.domain.queue import Lane, age_level, lane_at, priority_key
from desktop.services.views import QueueRow
from desktop.ui.formatting import day_and_time, format_age
from desktop.ui.models.base import RowsTableModel

COLUMNS = ("Lane", "Waiting", "Caller", "Calls", "Urgency", "Outcome", "Last call",
           "Owner", "Source")
LANE, AGE, CALLER, CALLS, URGENCY, OUTCOME, LAST_CALL, OWNER, SOURCE = range(len(COLUMNS))
ROW_ROLE = Qt.ItemDataRole.UserRole + 1     # the QueueRow
LANE_ROLE = Qt.ItemDataRole.UserRole + 2    # Lane
LEVEL_ROLE = Qt.ItemDataRole.UserRole + 3   # AgeLevel
SORT_ROLE = Qt.ItemDataRole.UserRole + 4    # a plain comparable value


class QueueModel(RowsTableModel):
    """Rows are plain QueueRow data, kept in priority order (most pressing first). Each
    row's lane and sort key are worked out once per refresh or tick and cached; ordering
    is one list.sort over those keys, so no proxy has to sort thousands of rows through
    Python comparisons."""

    columns = COLUMNS
    RESET_ABOVE = 200  # rows added or removed in one refresh
    refreshed = Signal()  # after set_rows or tick: the lane counts may have changed
    aged = Signal()       # a second passed: views repaint the ages

    def __init__(self, target: timedelta, zone, clock=utcnow, parent=None):
        super().__init__(parent)
        self.target = target
        self.zone = zone
        self._clock = clock
        self.now: datetime = clock()
        self._index: dict[int, int] = {}  # item id -> row number
        self._lanes: list[Lane] = []
        self._keys: list[tuple] = []

    # -- feeding it ------------------------------------------------------------------
    def set_rows(self, rows: list[QueueRow]) -> None:
        """Apply a fresh board keyed by item id: update in place, append, remove.

        Keyed updates (not a model reset) keep the selection and scroll position steady
        while sync runs in the background; a large change is one reset instead.
        """
        self.now = self._clock()
        fresh = {row.id: row for row in rows}
        gone = sorted((self._index[i] for i in self._index if i not in fresh), reverse=True)
        if len(gone) + len(fresh.keys() - self._index.keys()) > self.RESET_ABOVE:
            self.beginResetModel()
            self._rows = list(rows)
            self._derive_all()
            self._order(announce=False)
            self.endResetModel()
            self.refreshed.emit()
            return
        for position in gone:  # from the bottom up, so positions stay valid
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._rows[position], self._lanes[position], self._keys[position]
            self.endRemoveRows()
        if gone:
            self._reindex()
        for item_id, row in fresh.items():
            position = self._index.get(item_id)
            if position is None:
                position = len(self._rows)
                self.beginInsertRows(QModelIndex(), position, position)
                self._rows.append(row)
                self._lanes.append(Lane.TO_DO)
                self._keys.append(())
                self._derive(position)
                self._index[item_id] = position
                self.endInsertRows()
            elif self._rows[position] != row:
                self._rows[position] = row
                self._derive(position)
                self.dataChanged.emit(self.index(position, 0),
                                      self.index(position, len(COLUMNS) - 1))
        self._order()
        self.refreshed.emit()

    def tick(self) -> None:
        """Time moved: every age grows; only rows that crossed a threshold change lane."""
        self.now = self._clock()
        if not self._rows:
            return
        # Ages are worked out when painted and all grow alike (their order never changes),
        # so a repaint shows them: no dataChanged over every row, which would make the
        # proxy re-filter thousands of rows each second.
        self.aged.emit()
        for position, row in enumerate(self._rows):
            lane = lane_at(row.state, row.urgency, row.first_call_at, row.follow_up_at,
                           self.now, self.target)
            if lane != self._lanes[position]:
                self._derive(position, lane)
                self.dataChanged.emit(self.index(position, LANE), self.index(position, LANE))
        self._order()
        self.refreshed.emit()

    def _order(self, announce: bool = True) -> None:
        """Put the rows back in priority order, if anything moved. Views keep their
        selection: persistent indexes follow their rows through the layout change."""
        keys = self._keys
        if all(keys[n] <= keys[n + 1] for n in range(len(keys) - 1)):
            return
        order = sorted(range(len(keys)), key=keys.__getitem__)
        if announce:
            self.layoutAboutToBeChanged.emit()
            held = self.persistentIndexList()
            held_ids = [self._rows[index.row()].id for index in held]
        self._rows = [self._rows[n] for n in order]
        self._lanes = [self._lanes[n] for n in order]
        self._keys = [keys[n] for n in order]
        self._reindex()
        if announce:
            self.changePersistentIndexList(held, [self.index(self._index[item_id], index.column())
                                                  for item_id, index in zip(held_ids, held)])
            self.layoutChanged.emit()

    def _derive(self, position: int, lane: Lane | None = None) -> None:
        row = self._rows[position]
        if lane is None:
            lane = lane_at(row.state, row.urgency, row.first_call_at, row.follow_up_at,
                           self.now, self.target)
        self._lanes[position] = lane
        # The id last: equal priorities keep one stable order.
        self._keys[position] = (*priority_key(lane, row.urgency, row.calls, row.first_call_at),
                                row.id)

    def _derive_all(self) -> None:
        count = len(self._rows)
        self._lanes, self._keys = [Lane.TO_DO] * count, [()] * count
        for position in range(count):
            self._derive(position)
        self._reindex()

    def _reindex(self) -> None:
        self._index = {row.id: n for n, row in enumerate(self._rows)}

    # -- reading it --------------------------------------------------------------------
    def row_for(self, item_id: int) -> QueueRow | None:
        position = self._index.get(item_id)
        return None if position is None else self._rows[position]

    def rows(self) -> list[QueueRow]:
        return list(self._rows)

    def lane_of(self, position: int) -> Lane:
        return self._lanes[position]

    def lane_counts(self) -> dict[Lane, int]:
        counts = dict.fromkeys(Lane, 0)
        counts.update(Counter(self._lanes))
        return counts

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        position, column = index.row(), index.column()
        row = self._rows[position]
        if role == ROW_ROLE:
            return row
        if role == LANE_ROLE:
            return self._lanes[position]
        if role == LEVEL_ROLE:
            return age_level(self.now - row.first_call_at, self.target)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, position, column)
        if role == SORT_ROLE:
            return self._sort_value(row, position, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == CALLER:
            return row.transcript or None
        return None

    def _age(self, row: QueueRow) -> timedelta:
        end = row.resolved_at if row.state == "done" and row.resolved_at else self.now
        return max(end - row.first_call_at, timedelta(0))

    def _text(self, row: QueueRow, position: int, column: int) -> str:
        if column == LANE:
            return self._lanes[position].label
        if column == AGE:
            return format_age(self._age(row))
        if column == CALLER:
            return row.display_name or "Unknown caller"
        if column == CALLS:
            return f"{row.calls} call" + ("" if row.calls == 1 else "s")
        if column == URGENCY:
            return row.urgency.capitalize()
        if column == OUTCOME:
            return Outcome(row.outcome).label if row.outcome else ""
        if column == LAST_CALL:
            return day_and_time(row.last_call_at, self.zone, self.now.astimezone(self.zone).date())
        if column == OWNER:
            return row.owner or "—"
        return row.source or "—"

    def _sort_value(self, row: QueueRow, position: int, column: int):
        if column == AGE:
            return self._age(row).total_seconds()
        if column == CALLS:
            return row.calls
        if column == LAST_CALL:
            return row.last_call_at.timestamp()
        return self._text(row, position, column).lower()


class LaneFilterProxy(QSortFilterProxyModel):
    """Shows one lane (or every open lane). Unsorted, it keeps the model's priority order;
    a person may sort by another column, and the Lane column goes back to priority."""

    ALL_OPEN = None

    def __init__(self, parent=None):
        super().__init__(parent)
        self._lane: Lane | None = self.ALL_OPEN
        self.setDynamicSortFilter(True)
        self.setSortRole(SORT_ROLE)

    def set_lane(self, lane: Lane | None) -> None:
        self.beginFilterChange()
        self._lane = lane
        self.endFilterChange()

    def lane(self) -> Lane | None:
        return self._lane

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        lane = self.sourceModel().lane_of(source_row)
        if self._lane is self.ALL_OPEN:
            return lane != Lane.DONE
        return lane == self._lane

    def lessThan(self, left, right) -> bool:
        return left.data(SORT_ROLE) < right.data(SORT_ROLE)
