"""The Leads tab with an outside CRM: a lead that cannot be delivered is flagged with the
CRM's words, the alert shows, and one click on Retry delivers it (exactly once)."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest
from fakes import MemoryCrm
from PySide6.QtCore import Qt

from desktop.adapters.errors import ProblemKind, ProviderError
from desktop.adapters.notify import Notifier
from desktop.domain import crm as rules
from desktop.domain.leads import LeadDraft
from desktop.services.crm_access import ScopedCrm
from desktop.services.delivery import DeliveryService, QueueForDelivery
from desktop.services.intake import LeadService

LEAD = {"name": "Ann Lee", "phone": "(312) 555-0142", "service_address": "12 Elm St",
        "service_type": "Drain cleaning", "urgency": "urgent", "source": "Yelp"}


@pytest.fixture
def crm(ui_clock):
    return MemoryCrm(ui_clock)


@pytest.fixture
def crm_window(qtbot, desk_app, ui_clock, crm):
    """The desk window over an App whose leads go to MemoryCRM through the real worker."""
    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import SyncRunner
    notifier = Notifier(use_plyer=False)
    delivery = DeliveryService(
        desk_app.uow, ScopedCrm(crm, rules.DEFAULT_SCOPES), field_map=crm.default_field_map,
        rules=rules.RetryRules(limit=3, alert_after=timedelta(minutes=10)),
        me="ui-test", clock=ui_clock, rng=random.Random(1))
    app = dataclasses.replace(
        desk_app, crm=crm, delivery=delivery, notifier=notifier,
        leads=LeadService(desk_app.uow, QueueForDelivery(crm.name, crm.label), ui_clock))
    win = MainWindow(app, SyncRunner(), clock=ui_clock)
    qtbot.addWidget(win)
    win.show()
    win.start()
    yield win
    for timer in (win.poll_timer, win.tick_timer, win.deliver_timer, win.crm_timer):
        timer.stop()


def test_a_failed_lead_is_flagged_with_the_reason_and_one_click_retry_delivers(
        qtbot, crm_window, crm):
    win = crm_window
    crm.fail("create_contact", ProviderError(
        "MemoryCRM refused the request: Property values were not valid: phone",
        ProblemKind.REJECTED))
    win.app.leads.create(LeadDraft.from_mapping(LEAD), "Dana")
    with qtbot.waitSignal(win.delivered):
        win.deliver()

    tab = win.leads_tab
    win.tabs.setCurrentWidget(tab)
    model = tab.model
    assert model.rowCount() == 1
    delivery = model.index(0, model.columns.index("Delivery")).data()
    problem = model.index(0, model.columns.index("Problem")).data()
    assert delivery.startswith("✘ FAILED")
    assert "Property values were not valid: phone" in problem
    assert tab.banner.isVisible() and "did not reach MemoryCRM" in tab.banner.text()
    assert win.tabs.tabText(win.tabs.indexOf(tab)) == "Leads  ✘ 1"
    # The alert: no native notifications here, so the window shows it itself.
    assert "Lead not delivered" in win.statusBar().currentMessage()
    assert "NOT delivered" in win.status.crm.text()
    assert crm.contacts == {}

    tab.table.selectRow(0)
    assert tab.retry_button.isEnabled()
    assert "Property values were not valid" in tab.problem.text()
    with qtbot.waitSignal(win.delivered):
        qtbot.mouseClick(tab.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model.index(0, model.columns.index("Delivery")).data()
                    == "✔ Delivered")
    assert len(crm.contacts) == 1 and len(crm.records) == 1
    assert not tab.banner.isVisible()
    assert win.tabs.tabText(win.tabs.indexOf(tab)) == "Leads"


def test_the_builtin_crm_needs_no_retry_buttons(qtbot, window):
    tab = window.leads_tab
    assert not tab.retry_button.isVisibleTo(tab)
    assert "built-in CRM" in tab.summary.text()


def test_a_job_is_booked_from_a_lead_in_the_builtin_crm(qtbot, window, ui_clock):
    """The built-in CRM's jobs are booked here, carrying the lead (Outcomes counts them);
    a problem is named in the dialog and what was typed stays."""
    app = window.app
    lead = app.leads.create(LeadDraft.from_mapping(LEAD), "Dana")
    tab = window.leads_tab
    window.tabs.setCurrentWidget(tab)
    assert tab.book_button.isVisibleTo(tab) and not tab.book_button.isEnabled()
    tab.table.selectRow(0)
    assert tab.book_button.isEnabled()
    qtbot.mouseClick(tab.book_button, Qt.MouseButton.LeftButton)
    dialog = tab.book_dialog
    assert dialog.title.text() == "Drain cleaning"  # the lead's service, to start from
    dialog.title.clear()
    dialog.value.setValue(385)
    dialog.submit()
    assert dialog.isVisible() and "needs a title" in dialog.error.text()
    assert dialog.value.value() == 385
    qtbot.keyClicks(dialog.title, "Main line rodding")
    with qtbot.waitSignal(tab.job_booked) as booked:
        dialog.submit()
    job = booked.args[0]
    assert (job.lead_id, job.title, job.revenue_cents) == (lead.id, "Main line rodding", 38500)
    local = job.scheduled_at.astimezone(window.zone)
    assert (local.date() - ui_clock().astimezone(window.zone).date()).days == 1
    assert local.hour == 9  # tomorrow 9 am in the shop's zone, as the dialog showed
    assert tab.problem.text() == "Job booked: Main line rodding, $385.00."
    period = app.outcomes.named("today")
    assert app.outcomes.compute(period).booked_jobs == 1


def test_another_crm_books_its_own_jobs(crm_window):
    tab = crm_window.leads_tab
    assert not tab.book_button.isVisibleTo(tab)


def test_a_crm_contact_update_can_be_reverted_from_the_change_log_tab(qtbot, crm_window, crm):
    win = crm_window
    win.app.delivery.crm = ScopedCrm(crm, rules.CRM_SCOPES)  # the owner granted updates
    crm_id = crm.seed("Ann Lee", "+13125550142", email=None)
    win.app.leads.create(LeadDraft.from_mapping({**LEAD, "email": "ann@example.com"}), "Dana")
    with qtbot.waitSignal(win.delivered):
        win.deliver()
    assert crm.contacts[crm_id]["email"] == "ann@example.com"

    tab = win.changelog_tab
    win.tabs.setCurrentWidget(tab)
    model = tab.model
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    row = next(r for r in range(model.rowCount())
               if model.entry(r).entity == "crm_contact" and model.entry(r).action == "updated")
    tab.table.selectRow(0)
    assert not tab.revert_button.isEnabled()  # the newest entry is not an update
    tab.table.selectRow(row)
    assert tab.revert_button.isEnabled()
    asked = []
    tab.confirm = lambda text: asked.append(text) or True
    qtbot.mouseClick(tab.revert_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Reverted" in tab.verdict.text())
    assert "email = None" in asked[0]
    assert crm.contacts[crm_id]["email"] is None


def test_an_alert_raised_by_another_process_shows_on_this_desk(qtbot, crm_window, crm,
                                                               ui_clock):
    """`frontdesk deliver` on a back-office PC raises the alert; the receptionist's desk
    shows it at its next check, once."""
    win = crm_window
    back_office = DeliveryService(
        win.app.uow, ScopedCrm(crm, rules.DEFAULT_SCOPES), field_map=crm.default_field_map,
        rules=rules.RetryRules(limit=3), me="back-office", clock=ui_clock)
    crm.fail("create_contact", ProviderError("MemoryCRM refused the request: no",
                                             ProblemKind.REJECTED))
    win.app.leads.create(LeadDraft.from_mapping(LEAD), "Dana")
    assert back_office.run_due().alerts
    shown = []
    win.app.notifier.fallback = lambda title, text: shown.append(text)
    win.check_alerts()
    win.check_alerts()
    assert len(shown) == 1 and "Ann Lee" in shown[0] and "refused the request" in shown[0]


def test_alerts_raised_while_the_desk_was_closed_show_at_the_next_start(
        qtbot, desk_app, crm, ui_clock):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import SyncRunner
    worker = DeliveryService(desk_app.uow, ScopedCrm(crm, rules.DEFAULT_SCOPES),
                             field_map=crm.default_field_map, rules=rules.RetryRules(limit=1),
                             me="back-office", clock=ui_clock)
    app = dataclasses.replace(desk_app, crm=crm, delivery=worker, notifier=Notifier(
        use_plyer=False), leads=LeadService(desk_app.uow, QueueForDelivery(crm.name, crm.label),
                                            ui_clock))
    def open_desk():
        win = MainWindow(app, SyncRunner(), clock=ui_clock)
        qtbot.addWidget(win)
        win.start()
        win.deliver_timer.stop()
        return win

    open_desk().close()  # the desk has run once: it knows where the alerts stand
    crm.fail("create_contact", ProviderError("MemoryCRM refused the request: no",
                                             ProblemKind.REJECTED))
    app.leads.create(LeadDraft.from_mapping(LEAD), "Dana")
    assert worker.run_due().alerts  # overnight, on the back-office PC
    win = open_desk()  # the window shows it itself (no native notifications here)
    assert "Lead not delivered: Ann Lee" in win.statusBar().currentMessage()

    def lead_alerts():  # (the simulated morning also holds an emergency voicemail)
        return [n for n in app.notifier.sent if n[0] == "Lead not delivered"]
    assert len(lead_alerts()) == 1
    win.check_alerts()
    assert len(lead_alerts()) == 1  # once
    win.close()
