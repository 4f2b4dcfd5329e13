"""The lead form's duplicate warnings: who this caller may already be, and why.

Each match shows its reasons in plain words. A customer can be linked with one click (the
form pre-fills from it and the lead goes onto that customer). When a match looks like the
same person and the receptionist does not link, she ticks "Create new anyway" and says
why; the reason goes to the change log. "Same phone, different name" reads as a possible
household member, which needs no decision.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from desktop.domain.phone import display
from desktop.services.duplicates import MatchView

SHOWN = 4


class DuplicatePanel(QFrame):
    link_requested = Signal(object)   # the MatchView to link to
    unlinked = Signal()
    decision_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("duplicatePanel")
        self.matches: list[MatchView] = []
        self.linked: MatchView | None = None
        self.title = QLabel(objectName="duplicateTitle")
        self.rows = QVBoxLayout()
        self.rows.setSpacing(4)
        self.create_anyway = QCheckBox("Create new anyway", objectName="createAnyway")
        self.reason = QLineEdit(objectName="duplicateReason",
                                placeholderText="Why is this a different customer?")
        self.reason.setEnabled(False)
        self.create_anyway.toggled.connect(self._toggled)
        self.reason.textChanged.connect(lambda _t: self.decision_changed.emit())
        override = QHBoxLayout()
        override.addWidget(self.create_anyway)
        override.addWidget(self.reason, 1)
        self.unlink_button = QPushButton("Unlink", objectName="unlinkButton")
        self.unlink_button.clicked.connect(self.unlink)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.title)
        layout.addLayout(self.rows)
        layout.addLayout(override)
        layout.addWidget(self.unlink_button)
        self.buttons: dict[tuple[str, int], QPushButton] = {}
        self.set_matches([])

    # -- what the form asks --------------------------------------------------------------
    def needs_decision(self) -> bool:
        """A likely same person is shown and the receptionist has neither linked nor said
        why this is someone else."""
        if self.linked is not None:
            return False
        if not any(m.same_person for m in self.matches):
            return False
        return not (self.create_anyway.isChecked() and self.reason.text().strip())

    def override_reason(self) -> str | None:
        if self.linked is None and self.create_anyway.isChecked() and self.reason.text().strip():
            shown = ", ".join(f"{m.kind} {m.id}" for m in self.matches if m.same_person)
            return f"{self.reason.text().strip()} (warned about {shown})"
        return None

    # -- showing matches -----------------------------------------------------------------
    def set_matches(self, matches: list[MatchView]) -> None:
        """New matches for what is typed now. A link to someone no longer among them is
        dropped (the caller's details changed), and a "create new anyway" reason given for
        other warnings no longer counts."""
        same_before = {(m.kind, m.id) for m in self.matches if m.same_person}
        self.matches = list(matches)
        ids = {(m.kind, m.id) for m in self.matches}
        if self.linked is not None and (self.linked.kind, self.linked.id) not in ids:
            self.linked = None
            self.unlinked.emit()
        if {(m.kind, m.id) for m in self.matches if m.same_person} != same_before:
            self.create_anyway.setChecked(False)
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.buttons.clear()
        for match in self.matches[:SHOWN]:
            self.rows.addWidget(self._row(match))
        same = any(m.same_person for m in self.matches)
        if self.linked is not None:
            self.title.setText(f"✔ Linked to {self.linked.name}: the lead goes onto this "
                               "customer.")
        elif same:
            self.title.setText("⚠ This caller may already be a customer")
        elif self.matches:
            self.title.setText("Others with something in common (not the same person)")
        self.create_anyway.setVisible(same and self.linked is None)
        self.reason.setVisible(same and self.linked is None)
        self.unlink_button.setVisible(self.linked is not None)
        self.setVisible(bool(self.matches) or self.linked is not None)
        self.decision_changed.emit()

    def _row(self, match: MatchView) -> QWidget:
        row = QWidget(objectName="duplicateRow")
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        who = " · ".join(p for p in (match.name, display(match.phone) if match.phone else "",
                                     match.address or "") if p)
        kind = "customer" if match.kind == "contact" else f"earlier lead #{match.id}"
        verdict = "same person?" if match.same_person else "related"
        text = QLabel(f"<b>{who}</b> <i>({kind}, {verdict}, {match.score:.0%})</i><br>"
                      + "; ".join(match.reasons), objectName="duplicateText")
        text.setWordWrap(True)
        line.addWidget(text, 1)
        if match.kind == "contact" and self.linked is None:
            button = QPushButton("Link", objectName="linkButton")
            button.setToolTip("Use this customer: the form fills in what it knows")
            button.clicked.connect(lambda _c=False, m=match: self.link_requested.emit(m))
            self.buttons[(match.kind, match.id)] = button
            line.addWidget(button)
        return row

    def link(self, match: MatchView) -> None:
        self.linked = match
        self.create_anyway.setChecked(False)
        self.set_matches(self.matches)

    def unlink(self) -> None:
        self.linked = None
        self.set_matches(self.matches)
        self.unlinked.emit()

    def _toggled(self, checked: bool) -> None:
        self.reason.setEnabled(checked)
        if checked:
            self.reason.setFocus()
        self.decision_changed.emit()
