"""Leads and their delivery state as a read-only table model (newest first); a lead that
failed to reach the CRM is flagged in red with the CRM's words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from desktop.domain.phone import display
from desktop.services.views import LeadView
from desktop.ui.models.base import RowsTableModel
from desktop.ui.theme import PALETTE

COLUMNS = ("#", "Saved", "Name", "Phone", "Service", "Source", "Delivery", "CRM id", "Problem")
STATE_WORDS = {"delivered": "✔ Delivered", "pending": "… Sending", "failed": "✘ FAILED"}
STATE_COLOURS = {"delivered": PALETTE["ok"], "pending": PALETTE["warn"],
                 "failed": PALETTE["error"]}


class LeadsModel(RowsTableModel):
    columns = COLUMNS

    def __init__(self, zone, parent=None):
        super().__init__(parent)
        self.zone = zone

    def lead(self, row: int) -> LeadView:
        return self._rows[row]

    def failed_count(self) -> int:
        return sum(1 for lead in self._rows if lead.delivery_state == "failed")

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        lead = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and column in ("Delivery", "Problem"):
            return QColor(STATE_COLOURS.get(lead.delivery_state, PALETTE["text"]))
        if role == Qt.ItemDataRole.ToolTipRole and lead.last_error:
            return lead.last_error
        if role == Qt.ItemDataRole.UserRole:
            return lead.id
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return {
            "#": str(lead.id),
            "Saved": f"{lead.created_at.astimezone(self.zone):%b %d %H:%M}",
            "Name": lead.name,
            "Phone": display(lead.phone),
            "Service": lead.service_type,
            "Source": lead.source,
            "Delivery": STATE_WORDS.get(lead.delivery_state, lead.delivery_state)
            + (f" ({lead.attempts} tries)" if lead.attempts > 1 else ""),
            "CRM id": lead.crm_id or "",
            "Problem": lead.last_error or "",
        }[column]
