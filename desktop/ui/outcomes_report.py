"""A printable PDF of a period's outcomes (QPdfWriter): the headline figures, the four
charts, the sources table, the owner's ROI model and the definitions' short form.

The text is a QTextDocument laid out onto Letter pages; the charts are drawn at print
resolution from the same builders the tab uses."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSize, QSizeF, QUrl
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QGraphicsScene

from desktop import APP_NAME
from desktop.domain.outcomes import Outcomes
from desktop.domain.roi import RoiInputs, RoiError, model
from desktop.ui.charts import BUILDERS
from desktop.ui.formatting import minutes_text, money, percent

CHART_SIZE = QSize(760, 380)  # logical pixels; drawn at 2x for print
CHARTS = ("calls", "heatmap", "sources", "callbacks")


def _chart_image(name: str, outcomes: Outcomes) -> QImage:
    """The chart drawn on its own scene (no widget: a hidden view lays its chart out at the
    wrong size), at twice the pixels through a scaled painter, sharp on paper. (An image
    with a device pixel ratio instead is laid out at the wrong size by QTextDocument.)"""
    chart = BUILDERS[name](outcomes)
    scene = QGraphicsScene()
    scene.addItem(chart)
    chart.resize(QSizeF(CHART_SIZE))
    chart.layout().activate()  # lay the axes and the plot area out now, not at an event
    image = QImage(CHART_SIZE * 2, QImage.Format.Format_RGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    area = QRectF(0, 0, CHART_SIZE.width(), CHART_SIZE.height())
    scene.render(painter, QRectF(image.rect()), area)
    painter.end()
    return image


def chart_images(outcomes: Outcomes) -> dict[str, QImage]:
    """The four charts as images, drawn on the UI thread (QtCharts objects live there);
    the report itself can then be laid out and written anywhere."""
    return {name: _chart_image(name, outcomes) for name in CHARTS}


def report_html(o: Outcomes, business: str, roi: RoiInputs | None, charts: list[str]) -> str:
    e = html.escape
    reached = o.callers_reached / o.missed_callers if o.missed_callers else None
    rows = [
        ("Inbound calls", f"{o.inbound_calls:,}"),
        ("Answered", f"{o.answered:,} ({percent(o.answer_rate)})"),
        ("Missed", f"{o.missed:,}" + (" — " + ", ".join(
            f"{n:,} {r.replace('missed', 'rang out')}" for r, n in o.missed_by_reason.items())
            if o.missed else "")),
        ("Missed callers", f"{o.missed_callers:,}"),
        ("Callers reached back", f"{o.callers_reached:,} ({percent(reached)})"),
        ("Time to first callback", f"median {minutes_text(o.time_to_callback_median_s)}, "
                                   f"90% within {minutes_text(o.time_to_callback_p90_s)}"),
        ("Qualified leads", f"{o.qualified_leads:,}"),
        ("Leads delivered to the CRM", f"{o.leads_delivered:,}"),
        ("Delivery failures", f"{o.delivery_failures:,}"),
        ("Follow-up completion", f"{percent(o.followup_completion)} "
                                 f"({o.tasks_done:,} of {o.tasks_due:,} tasks)"),
        ("Booked jobs", f"{o.booked_jobs:,}"),
        ("Booked revenue", money(o.booked_revenue)),
        ("Booking rate", percent(o.booking_rate)),
    ]
    figures = "".join(f"<tr><td>{e(k)}</td><td align='right'><b>{e(v)}</b></td></tr>"
                      for k, v in rows)
    sources = "".join(
        f"<tr><td>{e(name)}</td><td align='right'>{s.inbound_calls:,}</td>"
        f"<td align='right'>{percent(s.to_json()['answer_rate'])}</td>"
        f"<td align='right'>{s.qualified_leads:,}</td><td align='right'>{s.booked_jobs:,}</td>"
        f"<td align='right'>{money(s.booked_revenue)}</td></tr>"
        for name, s in sorted(o.by_source.items(), key=lambda kv: -kv[1].qualified_leads))
    images = "".join(f"<p align='center'><img src='chart://{name}' width='640' "
                     "height='320'></p>" for name in charts)
    roi_part = ("<p style='color: #667085'>The ROI model is not in this report: no inputs "
                "were typed or filled from history yet.</p>")
    if roi is not None:
        try:
            result = model(roi)
        except RoiError as exc:
            roi_part = f"<p>ROI model not shown: {e(str(exc))}</p>"
        else:
            roi_part = (
                "<h2 style='page-break-before: always'>What missed calls cost</h2>"
                "<table cellpadding='4'>"
                f"<tr><td>Calls a month</td><td align='right'>{roi.monthly_calls:,.0f}</td></tr>"
                f"<tr><td>Answer rate</td><td align='right'>{percent(roi.answer_rate)}</td></tr>"
                "<tr><td>Missed callers who are real leads</td>"
                f"<td align='right'>{percent(roi.lead_share)}</td></tr>"
                f"<tr><td>Leads that book</td><td align='right'>{percent(roi.booking_rate)}</td></tr>"
                "<tr><td>Average job value</td>"
                f"<td align='right'>{money(roi.average_job_value)}</td></tr>"
                f"<tr><td><b>Missed leads a month</b></td><td align='right'><b>"
                f"{result.missed_leads_per_month:,.1f}</b></td></tr>"
                "<tr><td><b>Revenue at stake a month</b></td><td align='right'><b>"
                f"{money(result.revenue_at_stake_per_month)}</b></td></tr>"
                "<tr><td><b>Revenue at stake a year</b></td><td align='right'><b>"
                f"{money(result.revenue_at_stake_per_year)}</b></td></tr>"
                f"<tr><td><b>Recovered a month at {percent(roi.target_answer_rate)} answered"
                f"</b></td><td align='right'><b>{money(result.recovered_per_month_at_target)}"
                "</b></td></tr></table>")
    made = datetime.now(o.period.zone)
    return f"""
<html><body style="font-family: sans-serif; font-size: 10pt; color: #101828">
<h1 style="color: #1d4ed8">{e(business)}: outcomes</h1>
<p><b>{e(o.period.label())}</b> ({len(o.period.days)} day(s), {e(str(o.period.zone))}).
Made by {APP_NAME} on {made:%b %d, %Y at %H:%M}.</p>
<h2>The period in figures</h2>
<table cellpadding="4" width="100%">{figures}</table>
<h2>By source</h2>
<table cellpadding="4" width="100%" border="0">
<tr><th align="left">Source</th><th align="right">Calls</th><th align="right">Answered</th>
<th align="right">Leads</th><th align="right">Booked</th><th align="right">Revenue</th></tr>
{sources or "<tr><td colspan='6'>No calls or leads in this period.</td></tr>"}
</table>
{roi_part}
<h2>Charts</h2>
{images}
<p style="color: #667085; font-size: 8pt">Calls count in the period they started in; a
missed caller counts once however often they rang while their call was open; time to
callback runs from their first missed call to the first callback attempt; a booked job
counts for the latest lead of its customer within the attribution window. The full
definitions are in the README ("Outcomes: what each figure means").</p>
</body></html>"""


def write_report(path: Path, outcomes: Outcomes, business: str, images: dict[str, QImage],
                 roi: RoiInputs | None = None) -> Path:
    """Write the PDF (safe on a worker thread: no widget is touched); `images` from
    chart_images(). `roi`: the owner's own inputs, or None to leave the model out. Raises
    OSError naming the file when it cannot be written; an old report is never left
    half-overwritten."""
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        path = path.with_suffix(".pdf")
    if not path.parent.is_dir():
        raise OSError(f"the folder {path.parent} does not exist")
    document = QTextDocument()
    for name, image in images.items():
        document.addResource(QTextDocument.ResourceType.ImageResource,
                             QUrl(f"chart://{name}"), image)
    document.setHtml(report_html(outcomes, business, roi, list(images)))
    partial = path.with_name(path.name + ".part")
    writer = QPdfWriter(str(partial))
    writer.setTitle(f"{business}: outcomes {outcomes.period.label()}")
    writer.setCreator(APP_NAME)
    writer.setResolution(96)  # the layout's own units: a 640 px chart fits the page
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
    document.print_(writer)
    del writer  # closes the file
    if not partial.exists() or partial.stat().st_size == 0:
        raise OSError(f"could not write {path}")
    partial.replace(path)  # an old report is replaced whole, never half-written
    return path
