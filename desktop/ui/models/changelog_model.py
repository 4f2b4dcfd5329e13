"""The change log as a read-only table model (newest first)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.services.views import ChangeRow
from desktop.ui.models.base import RowsTableModel

COLUMNS = ("#", "Time", "Who", "What", "Action", "Details")


class ChangeLogModel(RowsTableModel):
    columns = COLUMNS

    def __init__(self, zone, parent=None):
        super().__init__(parent)
        self.zone = zone

    def entry(self, row: int) -> ChangeRow:
        return self._rows[row]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"before: {row.before}\nafter: {row.after}\nhash: {row.hash}"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return (
            str(row.seq),
            f"{row.at.astimezone(self.zone):%b %d %H:%M:%S}",
            row.actor.split(":", 1)[-1] + (" (worker)" if row.actor.startswith("worker:") else ""),
            f"{row.entity.replace('_', ' ')} {row.entity_id}",
            row.action.replace("_", " "),
            row.reason or _changes(row.before, row.after),
        )[index.column()]


def _changes(before: dict | None, after: dict | None) -> str:
    after = after or {}
    before = before or {}
    parts = [f"{key}: {before.get(key)!s} → {value!s}" for key, value in after.items()
             if before and before.get(key) != value]
    return "; ".join(parts)
