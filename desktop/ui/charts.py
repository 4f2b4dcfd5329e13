"""The Outcomes tab's four charts, built with QtCharts from a computed `Outcomes`.

Each builder returns a fresh QChart, so the tab and the PDF report draw the same chart
from the same numbers. Colours follow the app's palette: green for answered, red for
missed, the accent blue for leads.
"""

from __future__ import annotations

from PySide6.QtCharts import (QBarCategoryAxis, QBarSeries, QBarSet, QCategoryAxis, QChart,
                              QChartView, QHorizontalBarSeries, QScatterSeries,
                              QStackedBarSeries, QValueAxis, QXYSeries)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QToolTip

from desktop.domain.outcomes import Outcomes, callback_histogram, calls_over_time
from desktop.ui.formatting import minutes_text
from desktop.ui.theme import PALETTE

ANSWERED, MISSED, LEADS, BOOKED = "#12b76a", "#f04438", "#1d4ed8", "#7a5af8"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Missed calls per hour, light to dark (an empty hour is the lightest grey).
HEAT = ("#f2f4f7", "#fee4e2", "#fecdca", "#fda29b", "#f97066", "#f04438", "#d92d20",
        "#b42318", "#912018")


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    font = QFont()
    font.setPointSize(11)
    font.setBold(True)
    chart.setTitleFont(font)
    chart.setTitleBrush(QColor(PALETTE["text"]))
    chart.setBackgroundRoundness(10)
    chart.setMargins(QMargins(6, 6, 6, 6))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.legend().setLabelColor(QColor(PALETTE["muted"]))
    return chart


def _value_axis(top: int, title: str = "") -> QValueAxis:
    axis = QValueAxis()
    axis.setRange(0, _nice(top))
    axis.setLabelFormat("%d")
    axis.setTickCount(5)
    axis.setGridLineColor(QColor(PALETTE["border"]))
    axis.setLabelsColor(QColor(PALETTE["muted"]))
    if title:
        axis.setTitleText(title)
    return axis


def _nice(top: int) -> int:
    """A round axis maximum at or a little above `top`, in four even ticks of a whole,
    round size (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten)."""
    if top <= 4:
        return 4
    magnitude = 1
    while True:
        for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8):
            tick = step * magnitude
            if tick * 4 >= top * 1.05 and float(tick).is_integer():
                return int(tick * 4)
        magnitude *= 10


def _categories(labels: list[str], angle: int = 0, small: bool = False) -> QBarCategoryAxis:
    axis = QBarCategoryAxis()
    axis.append(labels)
    axis.setLabelsColor(QColor(PALETTE["muted"]))
    axis.setGridLineVisible(False)
    axis.setTruncateLabels(False)
    if angle:
        axis.setLabelsAngle(angle)
    if small:
        font = axis.labelsFont()
        font.setPointSize(7)
        axis.setLabelsFont(font)
    return axis


def _bar_set(name: str, colour: str, values) -> QBarSet:
    bars = QBarSet(name)
    bars.setColor(QColor(colour))
    bars.setBorderColor(QColor(colour))
    bars.append([float(v) for v in values])
    return bars


def calls_chart(outcomes: Outcomes) -> QChart:
    """Answered vs missed calls per day (per week or month for a long period)."""
    unit, buckets = calls_over_time(outcomes)
    chart = _chart(f"Answered and missed calls per {unit}")
    series = QStackedBarSeries()
    series.append(_bar_set("Answered", ANSWERED, [b.answered for b in buckets]))
    series.append(_bar_set("Missed", MISSED, [b.missed for b in buckets]))
    series.setBarWidth(0.75)
    chart.addSeries(series)
    many = len(buckets) > 14
    x = _categories(_short_labels(unit, buckets) if many else [b.label for b in buckets],
                    small=many)
    y = _value_axis(max((b.answered + b.missed for b in buckets), default=0), "calls")
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x)
    series.attachAxis(y)
    return chart


def _short_labels(unit: str, buckets) -> list[str]:
    """Day numbers, with the month where it changes ("Oct 19", "20", … "Nov 1", "2"):
    they fit under 45 bars. A category axis needs unique labels, so a repeated day number
    (the 5th of two months) is told apart by zero-width spaces nobody sees."""
    if unit != "day":
        return [b.label for b in buckets]
    labels, month = [], None
    for b in buckets:
        text = f"{b.first:%b} {b.first.day}" if b.first.month != month else str(b.first.day)
        month = b.first.month
        while text in labels:
            text += "\u200b"
        labels.append(text)
    return labels


class HeatmapSeries(QScatterSeries):
    """Missed calls by weekday x hour: one square per hour, darker for more (hovering
    one says its count). Square size follows the plot area (fit_heatmap)."""

    def __init__(self, grid: list[list[int]]):
        super().__init__()
        self.grid = grid
        self.setName("Missed calls")
        self.setMarkerShape(QScatterSeries.MarkerShape.MarkerShapeRectangle)
        self.setBorderColor(QColor("#ffffff"))
        top = max((n for row in grid for n in row), default=0)
        self.peak = top
        config = QXYSeries.PointConfiguration
        index = 0
        for weekday, row in enumerate(grid):
            for hour, n in enumerate(row):
                self.append(QPointF(hour, 6 - weekday))
                shade = 0 if not n else 1 + round((len(HEAT) - 2) * n / top)
                self.setPointConfiguration(
                    index, {config.Color: QColor(HEAT[min(shade, len(HEAT) - 1)])})
                index += 1

    def count_at(self, point: QPointF) -> tuple[str, int]:
        hour, weekday = round(point.x()), 6 - round(point.y())
        return f"{WEEKDAYS[weekday]} {_hour(hour)}–{_hour(hour + 1)}", self.grid[weekday][hour]

    def busiest(self) -> tuple[str, int] | None:
        if not self.peak:
            return None
        weekday, hour = max(((d, h) for d in range(7) for h in range(24)),
                            key=lambda dh: self.grid[dh[0]][dh[1]])
        return self.count_at(QPointF(hour, 6 - weekday))


def _hour(hour: int) -> str:
    hour %= 24
    return f"{hour % 12 or 12} {'am' if hour < 12 else 'pm'}"


def heatmap_chart(outcomes: Outcomes) -> QChart:
    series = HeatmapSeries(outcomes.missed_by_hour)
    busiest = series.busiest()
    chart = _chart("Missed calls by hour" + (
        f"  ·  busiest {busiest[0]} ({busiest[1]})" if busiest else ""))
    chart.addSeries(series)
    x = QCategoryAxis()
    x.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    for hour in range(0, 24, 3):
        x.append(_hour(hour), hour)
    x.setRange(-0.5, 23.5)
    y = QCategoryAxis()
    y.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    for weekday in reversed(range(7)):  # end values must rise: Sunday at the bottom
        y.append(WEEKDAYS[weekday], 6 - weekday)
    y.setRange(-0.5, 6.5)
    for axis in (x, y):
        axis.setGridLineVisible(False)
        axis.setLineVisible(False)
        axis.setLabelsColor(QColor(PALETTE["muted"]))
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x)
    series.attachAxis(y)
    chart.legend().hide()
    chart.plotAreaChanged.connect(lambda area: fit_heatmap(series, area))
    return chart


def fit_heatmap(series: HeatmapSeries, area) -> None:
    """Squares as large as the plot area allows, with a hair of white between them."""
    side = min(area.width() / 24, area.height() / 7) - 2
    series.setMarkerSize(max(side, 4))


def sources_chart(outcomes: Outcomes) -> QChart:
    """Leads and booked jobs by marketing source (the lead's source)."""
    rows = sorted(((name, row) for name, row in outcomes.by_source.items()
                   if row.qualified_leads or row.booked_jobs),
                  key=lambda pair: (pair[1].qualified_leads, pair[1].booked_jobs))
    chart = _chart("Leads and booked jobs by source")
    series = QHorizontalBarSeries()
    series.append(_bar_set("Leads", LEADS, [r.qualified_leads for _n, r in rows]))
    series.append(_bar_set("Booked jobs", BOOKED, [r.booked_jobs for _n, r in rows]))
    series.setBarWidth(0.8)
    chart.addSeries(series)
    y = _categories([name for name, _row in rows] or ["(no leads yet)"])
    x = _value_axis(max((max(r.qualified_leads, r.booked_jobs) for _n, r in rows),
                        default=0), "")
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(x)
    series.attachAxis(y)
    return chart


def callback_chart(outcomes: Outcomes) -> QChart:
    """How long missed callers waited for their first callback."""
    median = minutes_text(outcomes.time_to_callback_median_s, none="")
    p90 = minutes_text(outcomes.time_to_callback_p90_s, none="")
    title = "Time to first callback"
    if median:
        title += f"  (median {median}, 90% within {p90})"
    chart = _chart(title)
    bins = callback_histogram(outcomes.callback_delays_s)
    # Short enough for eight bars side by side; no "<" (axis labels are rich text).
    bins = [(label.replace("< 5 min", "0–5 min").replace("> 1 day", "1 day+")
             .replace(" min", "m").replace(" h", "h").replace(" day", "d"), n)
            for label, n in bins]
    series = QBarSeries()
    series.append(_bar_set("Missed callers called back", LEADS, [n for _label, n in bins]))
    series.setLabelsVisible(True)
    series.setBarWidth(0.7)
    chart.addSeries(series)
    x = _categories([label for label, _n in bins])
    y = _value_axis(max((n for _label, n in bins), default=0), "callers")
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x)
    series.attachAxis(y)
    chart.legend().hide()
    return chart


BUILDERS = {"calls": calls_chart, "heatmap": heatmap_chart, "sources": sources_chart,
            "callbacks": callback_chart}


class ChartView(QChartView):
    """A chart card: antialiased, and the heatmap says its hour's count on hover."""

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self.name = name
        self.setObjectName(f"chart_{name}")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(420, 260)

    def show_outcomes(self, outcomes: Outcomes) -> QChart:
        chart = BUILDERS[self.name](outcomes)
        old = self.chart()
        self.setChart(chart)
        if old is not None:
            old.deleteLater()
        for series in chart.series():
            if isinstance(series, HeatmapSeries):
                series.hovered.connect(lambda point, state, s=series:
                                       self._hover(s, point, state))
        return chart

    def _hover(self, series: HeatmapSeries, point: QPointF, state: bool) -> None:
        if not state:
            QToolTip.hideText()
            return
        when, n = series.count_at(point)
        QToolTip.showText(self.cursor().pos(), f"{when}: {n} missed call(s)", self)
