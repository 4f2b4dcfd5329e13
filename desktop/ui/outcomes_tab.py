"""The Outcomes tab: what happened to every call of a period, how fast callers were
reached, where the leads went and what got booked -- as figures and four charts.

Anyone at the desk sees the calls, callbacks and leads. Revenue, the ROI model and the
exports are the owner's: "Owner view…" asks for the owner passcode, and the tab locks
again when the desk leaves it. The numbers are computed on a worker thread
(OutcomesService, definitions in desktop/domain/outcomes.py)."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDateEdit, QFileDialog, QFrame, QGridLayout,
                               QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout,
                               QWidget)

from desktop.domain.outcomes import PeriodError
from desktop.ui.charts import ChartView
from desktop.ui.formatting import minutes_text, money, percent
from desktop.ui.owner_dialog import ask_owner_passcode
from desktop.ui.roi_panel import FIELDS, RoiPanel

log = logging.getLogger(__name__)

PERIODS = (("today", "Today"), ("yesterday", "Yesterday"), ("this_week", "This week"),
           ("last_7_days", "Last 7 days"), ("last_30_days", "Last 30 days"),
           ("this_month", "This month"), ("last_month", "Last month"),
           ("this_year", "This year"), ("custom", "Custom dates"))
ROI_MEMORY = "roi_inputs"  # this desk's memory (desk.json): the owner's ROI inputs


class Card(QFrame):
    """One headline figure: a big number, what it is, and a line of detail."""

    def __init__(self, name: str, caption: str):
        super().__init__(objectName="kpiCard")
        self.name = name
        self.value = QLabel("—", objectName="kpiValue")
        self.caption = QLabel(caption, objectName="kpiCaption")
        self.detail = QLabel("", objectName="kpiDetail", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)

    def show_figure(self, value: str, detail: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)


class OutcomesTab(QWidget):
    loaded = Signal(object)      # the Outcomes just shown (tests and screenshots wait on it)
    owner_changed = Signal(bool)  # the owner view was unlocked (True) or locked (False)
    exported = Signal(list)      # the files an export wrote

    def __init__(self, app, runner, who: str, parent=None):
        super().__init__(parent)
        self._app, self._runner, self.who = app, runner, who
        self.service = app.outcomes
        self.result = None
        self.owner = False
        self._asking = False  # a passcode dialog is on its way or open
        self._requests = self._applied = 0

        # -- the period bar ------------------------------------------------------------
        self.period_box = QComboBox(objectName="periodBox")
        for key, label in PERIODS:
            self.period_box.addItem(label, key)
        self.period_box.setCurrentIndex(self.period_box.findData("last_30_days"))
        self.period_box.currentIndexChanged.connect(self._period_chosen)
        today = self.service.today()
        self.first_edit = self._date_edit("periodFrom", today.replace(day=1))
        self.last_edit = self._date_edit("periodTo", today)
        self.period_label = QLabel(objectName="periodLabel")
        self.problem = QLabel(objectName="formError")
        self.owner_button = QPushButton("Owner view…", objectName="ownerButton")
        self.owner_button.setToolTip("Revenue, the ROI model and exports (owner passcode)")
        self.owner_button.clicked.connect(self.toggle_owner)
        self.csv_button = QPushButton("Export CSV…", objectName="exportCsv")
        self.csv_button.clicked.connect(self.choose_csv_folder)
        self.pdf_button = QPushButton("PDF report…", objectName="exportPdf")
        self.pdf_button.clicked.connect(self.choose_pdf_file)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Period"))
        bar.addWidget(self.period_box)
        bar.addWidget(self.first_edit)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.last_edit)
        bar.addSpacing(12)
        bar.addWidget(self.period_label)
        bar.addWidget(self.problem)
        bar.addStretch()
        bar.addWidget(self.csv_button)
        bar.addWidget(self.pdf_button)
        bar.addWidget(self.owner_button)

        # -- headline figures ------------------------------------------------------------
        self.cards = {card.name: card for card in (
            Card("inbound_calls", "Inbound calls"), Card("missed", "Missed calls"),
            Card("missed_callers", "Missed callers"), Card("callback", "Time to callback (median)"),
            Card("leads", "Qualified leads"), Card("followup", "Follow-up done"),
            Card("booked", "Booked jobs"), Card("revenue", "Booked revenue"))}
        cards = QHBoxLayout()
        cards.setSpacing(10)
        for card in self.cards.values():
            cards.addWidget(card)
        self.hint = QLabel("Revenue, the ROI model and the exports are for the owner "
                           "(Owner view…).", objectName="formHint")

        # -- charts and the ROI model ----------------------------------------------------
        self.charts = {name: ChartView(name) for name in
                       ("calls", "heatmap", "sources", "callbacks")}
        grid = QGridLayout()
        grid.setSpacing(10)
        for index, view in enumerate(self.charts.values()):
            grid.addWidget(view, index // 2, index % 2)
        self.roi = RoiPanel()
        self.roi.setFixedWidth(380)
        self._roi_timer = QTimer(self, singleShot=True, interval=800)
        self._roi_timer.timeout.connect(self._remember_roi)
        self.roi.changed.connect(lambda _inputs: self._roi_timer.start())
        body = QHBoxLayout()
        body.addLayout(grid, 1)
        body.addWidget(self.roi)

        content = QWidget(objectName="outcomesContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(bar)
        layout.addLayout(cards)
        layout.addWidget(self.hint)
        layout.addLayout(body, 1)
        scroll = QScrollArea(objectName="outcomesScroll", widgetResizable=True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._dates_from_box()  # computed when the tab is first shown (refresh)
        self._show_owner(False)

    def _date_edit(self, name: str, day: date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day), objectName=name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("MMM d, yyyy")
        edit.dateChanged.connect(self._dates_edited)
        return edit

    # -- the period ------------------------------------------------------------------------
    def _period_chosen(self, *_args) -> None:
        self._dates_from_box()
        self.refresh()

    def _dates_from_box(self) -> None:
        key = self.period_box.currentData()
        if key != "custom":
            period = self.service.named(key)
            for edit, day in ((self.first_edit, period.first), (self.last_edit, period.last)):
                edit.blockSignals(True)
                edit.setDate(QDate(day.year, day.month, day.day))
                edit.blockSignals(False)

    def _dates_edited(self, *_args) -> None:
        if self.period_box.currentData() != "custom":
            self.period_box.blockSignals(True)
            self.period_box.setCurrentIndex(self.period_box.findData("custom"))
            self.period_box.blockSignals(False)
        self.refresh()

    def period(self):
        first, last = (edit.date().toPython() for edit in (self.first_edit, self.last_edit))
        return self.service.period(first, last)

    def set_period(self, key: str, first: date | None = None, last: date | None = None):
        """Choose a named period, or custom dates (tests, the screenshots)."""
        if key != "custom":
            self.period_box.setCurrentIndex(self.period_box.findData(key))  # refreshes
            return
        for edit, day in ((self.first_edit, first), (self.last_edit, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)
        self.period_box.blockSignals(True)
        self.period_box.setCurrentIndex(self.period_box.findData("custom"))
        self.period_box.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        try:
            period = self.period()
        except PeriodError as exc:
            self._requests += 1  # a period still loading must not land under these dates
            self.problem.setText(str(exc))  # what is on screen stays
            return
        self.problem.setText("")
        self.period_label.setText(f"{period.label()}  ·  loading…")
        self._requests += 1
        number = self._requests
        self._runner.submit(self.service.compute, period,
                            on_done=lambda result: self._loaded(result, number),
                            on_error=lambda exc: self._failed(exc, number))

    def _loaded(self, result, number: int) -> None:
        if number != self._requests:
            return  # an older period finished after a newer one was asked for
        self._applied = number
        self.result = result
        days = len(result.period.days)
        self.period_label.setText(f"{result.period.label()}  ·  {days} day(s)")
        self._show_cards(result)
        for view in self.charts.values():
            view.show_outcomes(result)
        self.roi.set_history(result)
        self.loaded.emit(result)

    def _failed(self, exc: Exception, number: int) -> None:
        if number != self._requests:
            return
        log.error("outcomes failed: %s", exc)
        self.period_label.setText("")
        self.problem.setText(f"Could not compute the outcomes: {exc}")

    def _show_cards(self, r) -> None:
        c = self.cards
        c["inbound_calls"].show_figure(f"{r.inbound_calls:,}",
                                       f"{r.answered:,} answered ({percent(r.answer_rate)})")
        reasons = ", ".join(f"{n:,} {reason.replace('missed', 'rang out')}"
                            for reason, n in sorted(r.missed_by_reason.items(),
                                                    key=lambda kv: -kv[1])[:3])
        c["missed"].show_figure(f"{r.missed:,}", reasons or "none")
        reached = r.callers_reached / r.missed_callers if r.missed_callers else None
        c["missed_callers"].show_figure(f"{r.missed_callers:,}",
                                        f"{r.callers_reached:,} reached back "
                                        f"({percent(reached)})")
        c["callback"].show_figure(minutes_text(r.time_to_callback_median_s),
                                  f"90% within {minutes_text(r.time_to_callback_p90_s)}")
        c["leads"].show_figure(f"{r.qualified_leads:,}",
                               f"{r.leads_delivered:,} delivered, "
                               f"{r.delivery_failures:,} failed")
        c["followup"].show_figure(percent(r.followup_completion),
                                  f"{r.tasks_done:,} of {r.tasks_due:,} tasks due")
        c["booked"].show_figure(f"{r.booked_jobs:,}",
                                f"booking rate {percent(r.booking_rate)}")
        average = r.booked_revenue / r.booked_jobs if r.booked_jobs else None
        c["revenue"].show_figure(money(r.booked_revenue),
                                 f"average job {money(average)}" if average else "")

    # -- the owner's view ----------------------------------------------------------------
    def toggle_owner(self) -> None:
        if self.owner:
            self.lock()
            return
        if self._asking:
            return  # one passcode dialog at a time
        self._asking = True
        ask_owner_passcode(self._app.settings_service.owner, self._runner,
                           "The owner's view of Outcomes", self,
                           on_accepted=lambda _passcode: self.unlock(),
                           on_error=self._ask_failed, on_open=self._asked)

    def _ask_failed(self, exc: Exception) -> None:
        self._asking = False
        self.problem.setText(f"Could not check the owner passcode: {exc}")

    def _asked(self, dialog) -> None:
        dialog.finished.connect(lambda _code: setattr(self, "_asking", False))
        self.passcode_dialog = dialog  # tests type into it

    def unlock(self) -> None:
        """The owner's view opens at once; the owner's ROI inputs follow from this desk's
        memory when the worker has read them (unless the view was locked meanwhile)."""
        self._show_owner(True)
        self._runner.submit(self._app.desk_file.read, on_done=self._remembered,
                            on_error=lambda exc: log.warning("desk.json: %s", exc))

    def _remembered(self, memory: dict) -> None:
        if self.owner and not self.roi.touched:
            self.roi.restore(memory.get(ROI_MEMORY))

    def lock(self) -> None:
        if self.owner:
            if self._roi_timer.isActive():
                self._roi_timer.stop()
                self._remember_roi()
            self._show_owner(False)

    def _show_owner(self, owner: bool) -> None:
        self.owner = owner
        self.cards["revenue"].setVisible(owner)
        self.roi.setVisible(owner)
        self.csv_button.setVisible(owner)
        self.pdf_button.setVisible(owner)
        self.hint.setVisible(not owner)
        self.owner_button.setText("Lock owner view" if owner else "Owner view…")
        self.owner_changed.emit(owner)

    def _remember_roi(self) -> None:
        if not self.roi.touched:
            return  # the example inputs are nobody's to keep
        inputs = {name: getattr(self.roi.current(), name) for name in FIELDS}
        self._runner.submit(self._app.desk_file.update, {ROI_MEMORY: inputs},
                            on_error=lambda exc: log.warning(
                                "could not keep the ROI inputs: %s", exc))

    # -- exports -------------------------------------------------------------------------
    def choose_csv_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the period as CSV into…")
        if folder:
            self.export_csv(folder)

    def export_csv(self, folder) -> None:
        if not self.owner or self.result is None:
            return
        self._runner.submit(self.service.export_csv, self.result, folder,
                            on_done=self._exported, on_error=self._export_failed)

    def choose_pdf_file(self) -> None:
        if self.result is None:
            return
        period = self.result.period
        suggested = str(Path.home() / f"outcomes-{period.first}_{period.last}.pdf")
        path, _filter = QFileDialog.getSaveFileName(self, "Save the report as…", suggested,
                                                    "PDF (*.pdf)")
        if path:
            self.export_pdf(path)

    def export_pdf(self, path) -> None:
        """The charts are drawn here (a few tens of ms; QtCharts lives on the UI thread),
        the document is laid out and written on a worker."""
        if not self.owner or self.result is None:
            return
        from desktop.ui.outcomes_report import chart_images, write_report
        images = chart_images(self.result)
        roi = self.roi.current() if self.roi.touched else None
        self._runner.submit(write_report, Path(path), self.result,
                            self._app.settings["business.name"], images, roi,
                            on_done=lambda written: self._exported([written]),
                            on_error=self._export_failed)

    def _exported(self, paths) -> None:
        self.problem.setText("")
        names = ", ".join(Path(p).name for p in paths)
        self.period_label.setText(f"{self.result.period.label()}  ·  saved {names}")
        self.exported.emit(list(paths))

    def _export_failed(self, exc: Exception) -> None:
        self.problem.setText(f"Could not export: {exc}")
