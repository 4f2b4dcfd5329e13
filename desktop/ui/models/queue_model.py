"""The queue as a Qt table model, and the proxy that filters it by lane and sorts it by
priority. Rows are plain QueueRow data; lanes and ages come from the domain rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QSortFilterProxyModel

from desktop.domain.calls import Outcome
from desktop.domain.clock import utcnow
from desktop.domain.queue import Lane
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
    columns = COLUMNS
    RESET_ABOVE = 200  # rows added or removed in one refresh

    def __init__(self, target: timedelta, zone, clock=utcnow, parent=None):
        super().__init__(parent)
        self.target = target
        self.zone = zone
        self._clock = clock
        self.now: datetime = clock()
        self._index: dict[int, int] = {}  # item id -> row number

    # -- feeding it ------------------------------------------------------------------
    def set_rows(self, rows: list[QueueRow]) -> None:
        """Apply a fresh board keyed by item id: update in place, append, remove.

        Keyed updates (not a model reset) keep the selection and scroll position steady
        while sync runs in the background.
        """
        self.now = self._clock()
        fresh = {row.id: row for row in rows}
        gone = [i for i in self._index if i not in fresh]
        if len(gone) + len(fresh.keys() - self._index.keys()) > self.RESET_ABOVE:
            # A backfill or first load: one reset beats thousands of row inserts.
            self.beginResetModel()
            self._rows = list(rows)
            self._reindex()
            self.endResetModel()
            return
        for item_id in gone:
            position = self._index[item_id]
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._rows[position]
            self.endRemoveRows()
            self._reindex()
        for item_id, row in fresh.items():
            position = self._index.get(item_id)
            if position is None:
                self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
                self._rows.append(row)
                self._index[item_id] = len(self._rows) - 1
                self.endInsertRows()
            elif self._rows[position] != row:
                self._rows[position] = row
                self.dataChanged.emit(self.index(position, 0),
                                      self.index(position, len(COLUMNS) - 1))

    def tick(self) -> None:
        """Time moved: ages grow and items cross into Call now."""
        self.now = self._clock()
        if self._rows:
            self.dataChanged.emit(self.index(0, LANE), self.index(len(self._rows) - 1, AGE))

    def _reindex(self) -> None:
        self._index = {row.id: n for n, row in enumerate(self._rows)}

    # -- reading it --------------------------------------------------------------------
    def row_for(self, item_id: int) -> QueueRow | None:
        position = self._index.get(item_id)
        return None if position is None else self._rows[position]

    def rows(self) -> list[QueueRow]:
        return list(self._rows)

    def lane_counts(self) -> dict[Lane, int]:
        counts = {lane: 0 for lane in Lane}
        for row in self._rows:
            counts[row.as_item().lane(self.now, self.target)] += 1
        return counts

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        item = row.as_item()
        column = index.column()
        if role == LANE_ROLE:
            return item.lane(self.now, self.target)
        if role == LEVEL_ROLE:
            return item.age_level(self.now, self.target)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, item, column)
        if role == SORT_ROLE:
            return self._sort_value(row, item, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == CALLER:
            return row.transcript or None
        return None

    def _text(self, row: QueueRow, item, column: int) -> str:
        if column == LANE:
            return item.lane(self.now, self.target).label
        if column == AGE:
            return format_age(item.age(self.now))
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

    def _sort_value(self, row: QueueRow, item, column: int):
        if column == AGE:
            return item.age(self.now).total_seconds()
        if column == CALLS:
            return row.calls
        if column == LAST_CALL:
            return row.last_call_at.timestamp()
        return self._text(row, item, column).lower()


class LaneFilterProxy(QSortFilterProxyModel):
    """Shows one lane (or every open lane) and keeps the most pressing items on top."""

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
        lane = self.sourceModel().index(source_row, 0, source_parent).data(LANE_ROLE)
        if self._lane is self.ALL_OPEN:
            return lane != Lane.DONE
        return lane == self._lane

    def lessThan(self, left, right) -> bool:
        if left.column() == LANE:  # the default order: priority
            model = self.sourceModel()
            a, b = left.data(ROW_ROLE), right.data(ROW_ROLE)
            return (a.as_item().priority_key(model.now, model.target)
                    < b.as_item().priority_key(model.now, model.target))
        return left.data(SORT_ROLE) < right.data(SORT_ROLE)
