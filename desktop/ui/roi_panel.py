"""The owner's ROI model: their own numbers in, what unanswered calls cost out, updated
as they type (the arithmetic is desktop/domain/roi.py). "Fill from my history" takes the
inputs from the period on screen."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDoubleSpinBox, QFormLayout, QFrame, QGroupBox, QLabel,
                               QPushButton, QSpinBox, QVBoxLayout)

from desktop.domain.roi import RoiError, RoiInputs, from_history, model
from desktop.ui.formatting import money

DEFAULTS = RoiInputs(monthly_calls=600, answer_rate=0.70, lead_share=0.45,
                     booking_rate=0.55, average_job_value=450.0, target_answer_rate=0.95)
FIELDS = ("monthly_calls", "answer_rate", "lead_share", "booking_rate",
          "average_job_value", "target_answer_rate")


class RoiPanel(QGroupBox):
    changed = Signal(dict)  # the inputs, after each edit (the tab keeps them for this desk)

    def __init__(self, parent=None):
        super().__init__("What missed calls cost you", parent)
        self.setObjectName("roiPanel")
        self._history = None
        self._loading = False
        # Whether the inputs are the owner's (typed, filled from history or kept from last
        # time) rather than the example ones: only the owner's go into a report or are kept.
        self.touched = False
        self.inputs: dict[str, QSpinBox | QDoubleSpinBox] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.inputs["monthly_calls"] = self._spin(QSpinBox(), 0, 100_000, "", " calls")
        self.inputs["answer_rate"] = self._percent()
        self.inputs["lead_share"] = self._percent()
        self.inputs["booking_rate"] = self._percent()
        self.inputs["average_job_value"] = self._spin(QDoubleSpinBox(), 0, 1_000_000, "$ ", "")
        self.inputs["target_answer_rate"] = self._percent()
        labels = ("Calls a month", "Answer rate", "Missed callers who are real leads",
                  "Leads that book", "Average job value", "Target answer rate")
        for name, label in zip(FIELDS, labels):
            self.inputs[name].setObjectName(f"roi_{name}")
            form.addRow(label, self.inputs[name])
        self.fill_button = QPushButton("Fill from my history", objectName="roiFill")
        self.fill_button.setToolTip("Use the calls, leads and bookings of the period shown")
        self.fill_button.clicked.connect(self.fill_from_history)
        self.fill_button.setEnabled(False)
        self.note = QLabel(objectName="formHint", wordWrap=True)

        self.outputs = {name: QLabel(objectName=f"roiOut_{name}") for name in (
            "missed_calls_per_month", "missed_leads_per_month", "revenue_at_stake_per_month",
            "revenue_at_stake_per_year", "recovered_per_month_at_target")}
        results = QFormLayout()
        results.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        results.addRow("Missed calls a month", self.outputs["missed_calls_per_month"])
        results.addRow("Missed leads a month", self.outputs["missed_leads_per_month"])
        results.addRow("At stake a month", self.outputs["revenue_at_stake_per_month"])
        results.addRow("At stake a year", self.outputs["revenue_at_stake_per_year"])
        self.target_label = QLabel()
        results.addRow(self.target_label, self.outputs["recovered_per_month_at_target"])
        for label in self.outputs.values():
            label.setProperty("roiFigure", True)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.error = QLabel(objectName="formError", wordWrap=True)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setObjectName("roiRule")

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.fill_button)
        layout.addWidget(self.note)
        layout.addWidget(line)
        layout.addLayout(results)
        layout.addWidget(self.error)
        layout.addStretch()
        self.set_inputs(DEFAULTS)

    def _spin(self, box, low, high, prefix, suffix):
        box.setRange(low, high)
        box.setPrefix(prefix)
        box.setSuffix(suffix)
        box.setGroupSeparatorShown(True)
        if isinstance(box, QDoubleSpinBox):
            box.setDecimals(0)
            box.setSingleStep(25)
        else:
            box.setSingleStep(10)
        box.setKeyboardTracking(True)  # recompute on each key, not only on Enter
        box.valueChanged.connect(self.recompute)
        return box

    def _percent(self) -> QDoubleSpinBox:
        box = self._spin(QDoubleSpinBox(), 0, 100, "", " %")
        box.setDecimals(1)
        box.setSingleStep(1)
        return box

    # -- values ----------------------------------------------------------------------------
    def current(self) -> RoiInputs:
        value = {name: box.value() for name, box in self.inputs.items()}
        for name in ("answer_rate", "lead_share", "booking_rate", "target_answer_rate"):
            value[name] /= 100
        return RoiInputs(**value)

    def set_inputs(self, inputs: RoiInputs) -> None:
        self._loading = True  # set by the program: not the owner's edit
        try:
            for name in FIELDS:
                value = getattr(inputs, name)
                if name not in ("monthly_calls", "average_job_value"):
                    value *= 100
                box = self.inputs[name]
                box.setValue(round(value) if isinstance(box, QSpinBox) else value)
            self.recompute()
        finally:
            self._loading = False

    def restore(self, saved: dict | None) -> None:
        """Inputs kept from last time (this desk's memory); junk there is ignored."""
        if not isinstance(saved, dict):
            return
        try:
            self.set_inputs(RoiInputs(**{k: float(saved[k]) for k in FIELDS}).check())
        except (KeyError, TypeError, ValueError):
            return
        self.touched = True

    def recompute(self, *_args) -> None:
        target = self.inputs["target_answer_rate"].value()
        self.target_label.setText(f"Won back a month at {target:.0f} %")
        self.target_label.setToolTip("Revenue a month if the answer rate rose to the target")
        try:
            result = model(self.current())
        except RoiError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.outputs["missed_calls_per_month"].setText(f"{result.missed_calls_per_month:,.0f}")
        self.outputs["missed_leads_per_month"].setText(f"{result.missed_leads_per_month:,.1f}")
        for name in ("revenue_at_stake_per_month", "revenue_at_stake_per_year",
                     "recovered_per_month_at_target"):
            self.outputs[name].setText(money(getattr(result, name)))
        if not self._loading:
            self.touched = True
            self.changed.emit({name: getattr(self.current(), name) for name in FIELDS})

    # -- history ---------------------------------------------------------------------------
    def set_history(self, outcomes) -> None:
        self._history = outcomes
        self.fill_button.setEnabled(outcomes is not None and outcomes.inbound_calls > 0)

    def fill_from_history(self) -> None:
        if self._history is None:
            return
        inputs = from_history(self._history, self.current().target_answer_rate)
        if inputs is None:
            self.note.setText("The period shown has no calls to go on: pick a longer one.")
            return
        # What the period cannot tell keeps the owner's own figure.
        gaps, mine = [], self.current()
        if not self._history.qualified_leads:
            gaps.append("no leads were saved")
            inputs = replace(inputs, lead_share=mine.lead_share)
        if not self._history.booked_jobs:
            gaps.append("no jobs were booked")
            inputs = replace(inputs, booking_rate=mine.booking_rate,
                             average_job_value=mine.average_job_value)
        self.set_inputs(inputs)
        self.touched = True
        self.changed.emit({name: getattr(inputs, name) for name in FIELDS})
        days = len(self._history.period.days)
        self.note.setText(f"From {self._history.period.label()} ({days} day(s)), scaled to "
                          "30 days." + (f" {' and '.join(gaps).capitalize()} in it: the "
                                        "rest are still your own figures." if gaps else ""))
