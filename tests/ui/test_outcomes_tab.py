"""The Outcomes tab, driven as the desk and the owner use it, over the hand-computed
fixture (tests/outcomes_fixture.py; every figure below is worked out there and in
tests/integration/test_outcomes.py)."""

from __future__ import annotations

from datetime import date

import pytest
from fakes import OWNER_PASSCODE
from outcomes_fixture import at, seed
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel
from pypdf import PdfReader

from desktop.bootstrap import open_app
from desktop.domain.changelog import person
from desktop.ui.outcomes_tab import ROI_MEMORY, OutcomesTab
from desktop.ui.workers import SyncRunner

MONDAY, TUESDAY = date(2026, 11, 16), date(2026, 11, 17)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def shop(tmp_path):
    clock = Clock(at(18, 12))  # Wednesday noon: the two days are over
    first = open_app(tmp_path, clock=clock, log_to_file=False)
    first.settings_service.set_many({"business.timezone": "America/Chicago",
                                     "business.name": "Test Plumbing"}, person("test"))
    first.settings_service.owner.set(OWNER_PASSCODE, None, person("owner"))
    first.close()
    app = open_app(tmp_path, clock=clock, log_to_file=False)
    seed(app)
    yield app
    app.close()


@pytest.fixture
def tab(qtbot, shop):
    widget = OutcomesTab(shop, SyncRunner(), "Dana")
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    widget.set_period("custom", MONDAY, TUESDAY)
    return widget


def figures(tab) -> dict[str, tuple[str, str]]:
    return {name: (card.value.text(), card.detail.text()) for name, card in tab.cards.items()
            if card.isVisibleTo(tab)}


def unlock(qtbot, tab, passcode: str) -> None:
    tab.toggle_owner()
    dialog = tab.passcode_dialog
    qtbot.keyClicks(dialog.passcode, passcode)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)


def test_the_desk_sees_calls_callbacks_and_leads_but_no_revenue(tab):
    assert tab.period_label.text() == "Nov 16, 2026 – Nov 17, 2026  ·  2 day(s)"
    assert figures(tab) == {
        "inbound_calls": ("7", "2 answered (29%)"),
        "missed": ("5", "2 rang out, 1 voicemail, 1 abandoned"),
        "missed_callers": ("4", "2 reached back (50%)"),
        "callback": ("30 min", "90% within 42 min"),
        "leads": ("3", "1 delivered, 1 failed"),
        "followup": ("25%", "1 of 4 tasks due"),
        "booked": ("2", "booking rate 33%"),
    }
    assert not tab.cards["revenue"].isVisibleTo(tab)
    assert not tab.roi.isVisibleTo(tab)
    assert not tab.csv_button.isVisibleTo(tab) and not tab.pdf_button.isVisibleTo(tab)
    assert tab.owner_button.text() == "Owner view…"


def test_the_charts_draw_the_periods_numbers(tab):
    calls = tab.charts["calls"].chart().series()[0]
    sets = {bar.label(): [bar.at(i) for i in range(bar.count())] for bar in calls.barSets()}
    assert sets == {"Answered": [2, 0], "Missed": [3, 2]}  # Monday, Tuesday
    heat = tab.charts["heatmap"].chart()
    series = heat.series()[0]
    assert series.count() == 7 * 24
    assert series.busiest() == ("Mon 10 am–11 am", 2)  # Y's voicemail and X's second try
    assert "busiest Mon 10 am–11 am (2)" in heat.title()
    empty = series.pointConfiguration(0)  # Monday midnight: no missed call, the palest
    busy = series.pointConfiguration(10)  # Monday 10 am
    assert empty != busy
    sources = tab.charts["sources"].chart()
    axis = sources.axes(Qt.Orientation.Vertical)[0]
    assert sorted(axis.categories()) == ["Google Ads", "Referral", "Yelp"]
    leads, booked = sources.series()[0].barSets()
    by_source = dict(zip(axis.categories(), zip((leads.at(i) for i in range(3)),
                                                (booked.at(i) for i in range(3)))))
    assert by_source == {"Google Ads": (1, 0), "Referral": (1, 0), "Yelp": (1, 2)}
    callbacks = tab.charts["callbacks"].chart()
    bins = callbacks.series()[0].barSets()[0]
    x = callbacks.axes(Qt.Orientation.Horizontal)[0].categories()
    counts = {label: bins.at(i) for i, label in enumerate(x) if bins.at(i)}
    assert counts == {"5–15m": 1, "30–60m": 2}  # 600 s; 1,800 s and 2,700 s
    assert "median 30 min, 90% within 42 min" in callbacks.title()


def test_a_wrong_passcode_keeps_the_owner_view_locked_and_says_so(qtbot, tab):
    unlock(qtbot, tab, "9999")
    dialog = tab.passcode_dialog
    assert dialog.isVisible()
    assert dialog.error.text() == "That is not the owner passcode."
    assert dialog.passcode.text() == ""  # ready for another try
    assert not tab.owner and not tab.cards["revenue"].isVisibleTo(tab)
    qtbot.keyClicks(dialog.passcode, OWNER_PASSCODE)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert tab.owner
    assert figures(tab)["revenue"] == ("$500", "average job $250")
    assert tab.roi.isVisibleTo(tab) and tab.csv_button.isVisibleTo(tab)
    tab.lock()
    assert not tab.owner and not tab.cards["revenue"].isVisibleTo(tab)


def test_with_no_passcode_set_nobody_at_the_desk_can_make_themselves_owner(qtbot, tmp_path):
    app = open_app(tmp_path, log_to_file=False)
    try:
        tab = OutcomesTab(app, SyncRunner(), "Dana")
        qtbot.addWidget(tab)
        tab.toggle_owner()
        dialog = tab.passcode_dialog
        intro = dialog.findChild(QLabel, "ownerIntro").text()
        assert "No owner passcode is set yet" in intro
        assert "frontdesk owner passcode" in intro
        assert not dialog.passcode.isVisibleTo(dialog)
        assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok) is None
        dialog.submit()  # nothing to submit
        assert not tab.owner and not app.settings_service.owner.is_set()
        dialog.reject()
        tab.toggle_owner()  # asking again opens a new dialog: the first one was closed
        assert tab.passcode_dialog is not dialog
    finally:
        app.close()


def test_the_roi_model_follows_what_the_owner_types(qtbot, tab):
    tab.unlock()
    roi = tab.roi
    for name, text in (("monthly_calls", "1000"), ("answer_rate", "70"),
                       ("lead_share", "45"), ("booking_rate", "55"),
                       ("average_job_value", "400"), ("target_answer_rate", "95")):
        box = roi.inputs[name]
        box.selectAll()
        qtbot.keyClicks(box, text)
    out = {name: label.text() for name, label in roi.outputs.items()}
    # 1,000 calls x 30 % missed = 300; x 45 % leads = 135; x 55 % x $400 = $29,700 a
    # month; x 12; at 95 %: 1,000 x 25 % x 45 % x 55 % x $400 = $24,750.
    assert out == {"missed_calls_per_month": "300", "missed_leads_per_month": "135.0",
                   "revenue_at_stake_per_month": "$29,700",
                   "revenue_at_stake_per_year": "$356,400",
                   "recovered_per_month_at_target": "$24,750"}
    box = roi.inputs["answer_rate"]
    box.selectAll()
    qtbot.keyClicks(box, "90")  # typing alone updates the figures, no Enter needed
    assert roi.outputs["missed_calls_per_month"].text() == "100"


def test_fill_from_history_takes_the_periods_own_figures(tab):
    tab.unlock()
    tab.roi.fill_from_history()
    values = {name: round(box.value(), 1) for name, box in tab.roi.inputs.items()}
    # 7 calls in 2 days -> 105 a month; 2 of 7 answered; of 4 missed callers 1 became a
    # lead (the Referral lead came from no missed call); 1 of 3 leads booked (two jobs,
    # $500): $250 a job.
    assert values == {"monthly_calls": 105, "answer_rate": 28.6, "lead_share": 25.0,
                      "booking_rate": 33.3, "average_job_value": 250,
                      "target_answer_rate": 95.0}
    assert tab.roi.note.text() == ("From Nov 16, 2026 – Nov 17, 2026 (2 day(s)), scaled to "
                                   "30 days.")


def test_the_owners_roi_inputs_are_kept_for_next_time(qtbot, shop, tab):
    tab.unlock()
    assert ROI_MEMORY not in shop.desk_file.read()  # the example inputs are not kept
    for name, text in (("average_job_value", "725"), ("answer_rate", "72.5")):
        box = tab.roi.inputs[name]
        box.selectAll()
        qtbot.keyClicks(box, text)
    tab.lock()  # locking keeps what was typed at once
    kept = shop.desk_file.read()[ROI_MEMORY]
    assert (kept["average_job_value"], kept["answer_rate"]) == (725, 0.725)
    again = OutcomesTab(shop, SyncRunner(), "Dana")
    qtbot.addWidget(again)
    again.unlock()
    assert again.roi.inputs["average_job_value"].value() == 725
    assert again.roi.inputs["answer_rate"].value() == 72.5


def test_the_owner_exports_csv_and_a_pdf_report(qtbot, tab, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    tab.export_csv(out)
    assert list(out.iterdir()) == []  # the desk's view exports nothing
    tab.unlock()
    with qtbot.waitSignal(tab.exported) as csv_done:
        tab.export_csv(out)
    assert sorted(p.name for p in csv_done.args[0]) == [
        "outcomes-2026-11-16_2026-11-17-calls.csv", "outcomes-2026-11-16_2026-11-17-leads.csv",
        "outcomes-2026-11-16_2026-11-17-metrics.csv"]
    def report(name):
        with qtbot.waitSignal(tab.exported) as done:
            tab.export_pdf(out / name)
        reader = PdfReader(done.args[0][0])
        return done.args[0][0], reader, " ".join(" ".join(page.extract_text().split())
                                                 for page in reader.pages)

    _pdf, _reader, text = report("untouched.pdf")
    assert "The ROI model is not in this report" in text  # no made-up example figures
    assert "What missed calls cost" not in text
    tab.roi.fill_from_history()
    pdf, reader, text = report("monday-report")
    assert pdf.name == "monday-report.pdf"
    for words in ("Test Plumbing: outcomes", "Nov 16, 2026", "Inbound calls", "Booked revenue",
                  "$500", "What missed calls cost", "Calls a month 105", "Yelp"):
        assert words in text, words
    assert len(reader.pages) >= 2
    assert sum(len(page.images) for page in reader.pages) == 4  # the four charts
    assert not list(out.glob("*.part"))


def test_a_report_to_a_missing_folder_says_so_and_keeps_the_tab(tab, tmp_path):
    tab.unlock()
    tab.export_pdf(tmp_path / "nowhere" / "report.pdf")
    assert "does not exist" in tab.problem.text()
    assert figures(tab)["inbound_calls"][0] == "7"


def test_an_impossible_period_is_named_and_the_figures_stay(tab):
    tab.set_period("custom", TUESDAY, MONDAY)
    assert tab.problem.text() == ("the period ends (2026-11-16) before it starts "
                                  "(2026-11-17)")
    assert figures(tab)["inbound_calls"][0] == "7"
    tab.set_period("custom", TUESDAY, TUESDAY)
    assert tab.problem.text() == ""
    assert figures(tab)["inbound_calls"] == ("2", "0 answered (0%)")


def test_a_named_period_sets_the_dates(tab):
    tab.set_period("yesterday")  # the clock says Wednesday Nov 18
    assert (tab.first_edit.date().toPython(), tab.last_edit.date().toPython()) == \
        (TUESDAY, TUESDAY)
    assert figures(tab)["missed"][0] == "2"


def test_leaving_the_tab_locks_the_owner_view(window):
    tab = window.outcomes_tab
    window.tabs.setCurrentWidget(tab)
    tab.unlock()
    assert tab.owner
    window.tabs.setCurrentWidget(window.queue_tab)
    assert not tab.owner


class HeldRunner:
    """Runs each task at once but holds its callback until release(): the order work
    comes back in is the test's to choose, as with the real thread pool."""

    def __init__(self):
        self.held = []

    def submit(self, fn, *args, on_done=None, on_error=None, on_progress=None):
        try:
            result, ok = fn(*args), True
        except Exception as exc:  # noqa: BLE001 (handed to on_error, as the pool does)
            result, ok = exc, False
        self.held.append((on_done if ok else on_error, result))

    def release(self, index: int = 0):
        callback, result = self.held.pop(index)
        if callback is not None:
            callback(result)


def test_an_older_period_finishing_last_never_replaces_the_newer_one(qtbot, shop):
    runner = HeldRunner()
    tab = OutcomesTab(shop, runner, "Dana")
    qtbot.addWidget(tab)
    tab.set_period("custom", MONDAY, TUESDAY)   # asked first
    tab.set_period("custom", TUESDAY, TUESDAY)  # asked second
    runner.release(1)                           # the newer answer lands first
    assert figures(tab)["inbound_calls"][0] == "2"
    runner.release(0)                           # then the older one: ignored
    assert figures(tab)["inbound_calls"][0] == "2"
    assert tab.period_label.text().startswith("Tue Nov 17, 2026")
    tab.set_period("custom", MONDAY, TUESDAY)   # still loading when...
    tab.set_period("custom", TUESDAY, MONDAY)   # ...the dates become impossible
    runner.release(0)
    assert figures(tab)["inbound_calls"][0] == "2"  # nothing lands under bad dates
    assert "before it starts" in tab.problem.text()


def test_locking_while_the_owners_inputs_load_keeps_the_view_locked(qtbot, shop):
    shop.desk_file.update({ROI_MEMORY: {"monthly_calls": 900, "answer_rate": 0.8,
                                        "lead_share": 0.5, "booking_rate": 0.5,
                                        "average_job_value": 300,
                                        "target_answer_rate": 0.95}})
    runner = HeldRunner()
    tab = OutcomesTab(shop, runner, "Dana")
    qtbot.addWidget(tab)
    tab.unlock()
    assert tab.owner  # at once; the remembered inputs are on their way
    tab.lock()        # the desk leaves the tab before they land
    runner.release(0)
    assert not tab.owner and not tab.roi.isVisibleTo(tab)
    tab.unlock()
    runner.release(0)
    assert tab.roi.inputs["monthly_calls"].value() == 900
