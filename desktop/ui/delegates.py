"""Painting for the queue table: lane and urgency pills, the age clock, the caller's two
lines (name over number) and the call-count badge."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.domain.queue import AgeLevel, Lane, Urgency
from desktop.ui.models.queue_model import AGE, CALLER, CALLS, LANE, LANE_ROLE, LEVEL_ROLE, \
    ROW_ROLE, URGENCY
from desktop.ui.theme import PALETTE

LANE_COLORS = {Lane.CALL_NOW: ("#fde8e8", "#b42318"), Lane.TO_DO: ("#e8f0fe", "#1d4ed8"),
               Lane.WAITING: ("#f3f0ff", "#6d28d9"), Lane.DONE: ("#ecfdf3", "#067647")}
URGENCY_COLORS = {Urgency.EMERGENCY: ("#b42318", "#ffffff"), Urgency.URGENT: ("#fef0c7", "#93370d"),
                  Urgency.ROUTINE: ("#f2f4f7", "#344054"), Urgency.UNKNOWN: ("#f2f4f7", "#667085")}
AGE_COLORS = {AgeLevel.OK: ("#ecfdf3", "#067647"), AgeLevel.AMBER: ("#fffaeb", "#b54708"),
              AgeLevel.RED: ("#fef3f2", "#b42318")}


class QueueDelegate(QStyledItemDelegate):
    ROW_HEIGHT = 46

    def sizeHint(self, option, index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), self.ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        column = index.column()
        if column not in (LANE, AGE, CALLER, CALLS, URGENCY):
            super().paint(painter, option, index)
            return
        self._background(painter, option, index)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = index.data()
        if column == LANE:
            self._pill(painter, option.rect, text, *LANE_COLORS[index.data(LANE_ROLE)])
        elif column == AGE:
            self._pill(painter, option.rect, text, *AGE_COLORS[index.data(LEVEL_ROLE)], mono=True)
        elif column == URGENCY:
            row = index.data(ROW_ROLE)
            self._pill(painter, option.rect, text, *URGENCY_COLORS[Urgency(row.urgency)])
        elif column == CALLS:
            row = index.data(ROW_ROLE)
            colors = ("#fee4e2", "#b42318") if row.calls >= 3 else \
                ("#fef0c7", "#93370d") if row.calls == 2 else ("#f2f4f7", "#344054")
            self._pill(painter, option.rect, text, *colors)
        else:
            self._caller(painter, option, index)
        painter.restore()

    def _background(self, painter, option, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)

    def _pill(self, painter, rect: QRect, text: str, bg: str, fg: str, mono=False) -> None:
        font = QFont(painter.font())
        font.setPointSizeF(font.pointSizeF() * 0.92)
        font.setBold(True)
        if mono:
            font.setFamilies(["DejaVu Sans Mono", "Consolas", "monospace"])
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(text) + 18
        height = painter.fontMetrics().height() + 6
        pill = QRectF(rect.x() + 8, rect.center().y() - height / 2 + 1, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(QColor(fg))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def _caller(self, painter, option, index) -> None:
        row = index.data(ROW_ROLE)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = option.rect.adjusted(10, 4, -6, -4)
        name_font = QFont(option.font)
        name_font.setBold(True)
        painter.setFont(name_font)
        painter.setPen(QColor(PALETTE["text"]))
        top = QRect(rect.x(), rect.y(), rect.width(), rect.height() // 2)
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                         painter.fontMetrics().elidedText(index.data(), Qt.TextElideMode.ElideRight,
                                                          rect.width()))
        painter.setFont(option.font)
        painter.setPen(QColor(PALETTE["muted"] if not selected else PALETTE["text"]))
        bottom = QRect(rect.x(), rect.y() + rect.height() // 2, rect.width(), rect.height() // 2)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                         row.phone_display)
