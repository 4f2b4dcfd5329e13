"""The Queue tab: lane bar, the live table and the detail panel side by side."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QSplitter,
                               QTableView, QTabBar, QVBoxLayout, QWidget)

from desktop.domain.queue import Lane
from desktop.ui.delegates import QueueDelegate
from desktop.ui.detail_panel import DetailPanel
from desktop.ui.models.queue_model import LANE, ROW_ROLE, LaneFilterProxy, QueueModel

LANE_TABS = (None, Lane.CALL_NOW, Lane.TO_DO, Lane.WAITING, Lane.DONE)


class QueueTab(QWidget):
    selection_changed = Signal(object)  # item id or None

    def __init__(self, model: QueueModel, zone, parent=None):
        super().__init__(parent)
        self.model = model
        self.proxy = LaneFilterProxy(self)
        self.proxy.setSourceModel(model)

        self.lanes = QTabBar(objectName="laneBar")
        self.lanes.setExpanding(False)
        self.lanes.setDrawBase(False)
        for _ in LANE_TABS:
            self.lanes.addTab("")
        self.lanes.currentChanged.connect(self._lane_changed)
        self.summary = QLabel(objectName="queueSummary")

        self.table = QTableView(objectName="queueTable")
        self.table.setModel(self.proxy)
        self.table.setItemDelegate(QueueDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # The model is already in priority order; the header sorts only when clicked.
        header_bar = self.table.horizontalHeader()
        header_bar.setSectionsClickable(True)
        header_bar.sectionClicked.connect(self._header_clicked)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(QueueDelegate.ROW_HEIGHT)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((96, 84, 180, 68, 104, 92, 84, 70, 90)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(60)
        header.setHighlightSections(False)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())

        self.detail = DetailPanel(zone)
        self.empty = QLabel("No callers waiting. Nice work.", objectName="emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(self.lanes)
        bar.addStretch()
        bar.addWidget(self.summary)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([820, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(splitter)
        model.refreshed.connect(self.refresh_counts)  # once per refresh, not once per row
        model.aged.connect(self.table.viewport().update)
        self.refresh_counts()

    def _header_clicked(self, column: int) -> None:
        header = self.table.horizontalHeader()
        if column == LANE:  # back to "most pressing first"
            self.proxy.sort(-1)
            header.setSortIndicatorShown(False)
            return
        ascending = not (self.proxy.sortColumn() == column
                         and self.proxy.sortOrder() == Qt.SortOrder.AscendingOrder)
        order = Qt.SortOrder.AscendingOrder if ascending else Qt.SortOrder.DescendingOrder
        self.proxy.sort(column, order)
        header.setSortIndicator(column, order)
        header.setSortIndicatorShown(True)

    # -- lanes -----------------------------------------------------------------------------
    def refresh_counts(self) -> None:
        counts = self.model.lane_counts()
        open_count = sum(n for lane, n in counts.items() if lane != Lane.DONE)
        for position, lane in enumerate(LANE_TABS):
            label = "All open" if lane is None else lane.label
            self.lanes.setTabText(position, f"{label}  {open_count if lane is None else counts[lane]}")
        shown = self.proxy.rowCount()
        self.table.setVisible(shown > 0)
        self.empty.setVisible(shown == 0)
        self.summary.setText(f"{counts[Lane.CALL_NOW]} to call now · {open_count} open")

    def set_lane(self, lane: Lane | None) -> None:
        self.lanes.setCurrentIndex(LANE_TABS.index(lane))

    def _lane_changed(self, position: int) -> None:
        self.proxy.set_lane(LANE_TABS[position])
        self.refresh_counts()
        if self.selected_id() is None and self.proxy.rowCount():
            self.table.selectRow(0)

    # -- selection -------------------------------------------------------------------------
    def selected_id(self) -> int | None:
        # Single-selection by rows: the current row is the selection. (currentRowChanged
        # fires before the selection itself is updated, so don't ask isRowSelected here.)
        index = self.table.selectionModel().currentIndex()
        if not index.isValid():
            return None
        row = index.data(ROW_ROLE)
        return row.id if row else None

    def select_item(self, item_id: int) -> bool:
        for position in range(self.proxy.rowCount()):
            index = self.proxy.index(position, 0)
            if index.data(ROW_ROLE).id == item_id:
                self.table.selectionModel().setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows)
                return True
        return False

    def _selected(self) -> None:
        self.selection_changed.emit(self.selected_id())
