"""The queue window as a receptionist uses it: live items, claim, called back, resolve."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

from desktop.domain.queue import Disposition, Lane
from desktop.ui.models.queue_model import ROW_ROLE


def visible_rows(win):
    proxy = win.queue_tab.proxy
    return [proxy.index(n, 0).data(ROW_ROLE) for n in range(proxy.rowCount())]


def test_window_shows_the_open_queue_most_pressing_first(window, desk_app):
    open_ids = {row.id for row in desk_app.queue.open_rows()}
    assert open_ids, "the simulated afternoon should have left missed callers"
    rows = visible_rows(window)
    assert {row.id for row in rows} == open_ids
    keys = [row.as_item().priority_key(window.model.now, window.model.target) for row in rows]
    assert keys == sorted(keys)
    # The lane bar counts what the model holds.
    counts = window.model.lane_counts()
    assert window.queue_tab.lanes.tabText(0).endswith(str(len(open_ids)))
    assert window.queue_tab.lanes.tabText(1).endswith(str(counts[Lane.CALL_NOW]))


def test_selecting_an_item_shows_its_calls_and_history(window, desk_app):
    row = visible_rows(window)[0]
    window.queue_tab.select_item(row.id)
    detail = window.queue_tab.detail
    assert detail.item_id() == row.id
    assert detail.calls.rowCount() >= row.calls
    assert detail.history.rowCount() >= 1  # at least "created" by the sync worker
    assert row.phone_display in detail.number.text()


def test_claim_with_the_keyboard_sets_one_owner(qtbot, window, desk_app):
    row = visible_rows(window)[0]
    window.queue_tab.select_item(row.id)
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.model.row_for(row.id).owner == "Dana"
    assert not window.queue_tab.detail.claim_button.isEnabled()
    history = desk_app.queue.detail(row.id).history
    assert history[-1].action == "claimed" and history[-1].actor == "person:Dana"


def test_called_back_moves_the_item_to_waiting(qtbot, window):
    row = visible_rows(window)[0]
    window.queue_tab.select_item(row.id)
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    updated = window.model.row_for(row.id)
    assert updated.state == "waiting"
    assert updated.as_item().lane(window.model.now, window.model.target) == Lane.WAITING
    window.queue_tab.set_lane(Lane.WAITING)
    assert row.id in {r.id for r in visible_rows(window)}


def test_resolve_with_a_disposition_moves_it_to_done(window, desk_app):
    row = visible_rows(window)[0]
    window.queue_tab.select_item(row.id)
    menu = window.queue_tab.detail.resolve_menu
    action = next(a for a in menu.actions() if a.data() == str(Disposition.SPAM))
    action.trigger()
    assert row.id not in {r.id for r in visible_rows(window)}  # gone from "All open"
    window.queue_tab.set_lane(Lane.DONE)
    done = {r.id: r for r in visible_rows(window)}
    assert done[row.id].disposition == "spam"


def test_someone_elses_claim_is_refused_with_a_message(window, desk_app):
    row = visible_rows(window)[0]
    desk_app.queue.claim(row.id, "Maria")
    window.claim(row.id)
    assert "Maria already has this caller" in window.statusBar().currentMessage()
    assert window.model.row_for(row.id).owner == "Maria"


def test_new_missed_calls_appear_live_and_keep_the_selection(window, desk_app, ui_clock):
    before = {row.id for row in window.model.rows()}
    selected = visible_rows(window)[-1].id
    window.queue_tab.select_item(selected)
    ui_clock.advance(hours=2)  # the simulated line keeps ringing
    window.poll()
    after = {row.id for row in window.model.rows()}
    assert after > before
    assert window.queue_tab.selected_id() == selected


def test_a_slow_provider_never_blocks_the_ui_thread(qtbot, desk_app, ui_clock):
    """With the real thread pool, a poll that takes a second returns control at once."""
    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import TaskRunner

    provider = desk_app.sync.provider
    real_list = provider.list_calls

    def slow_list(since, until):
        time.sleep(1.0)
        return real_list(since, until)

    provider.list_calls = slow_list
    win = MainWindow(desk_app, TaskRunner(), clock=ui_clock)
    qtbot.addWidget(win)
    win.show()
    started = time.perf_counter()
    win.poll()
    assert time.perf_counter() - started < 0.05
    qtbot.waitUntil(lambda: win.model.rowCount() > 0, timeout=10_000)
    win.runner.wait(5000)


def test_resolve_is_refused_when_the_caller_rang_again_since_she_looked(window, desk_app):
    row = visible_rows(window)[0]
    window.queue_tab.select_item(row.id)
    seen = window.queue_tab.detail.detail.row.calls
    window.resolve(row.id, str(Disposition.NOT_A_LEAD), seen_calls=seen - 1)  # one call ago
    assert "1 new call(s) from this caller since you looked" in window.statusBar().currentMessage()
    assert window.model.row_for(row.id).state != "done"


def test_an_older_board_never_overwrites_a_newer_one(window, desk_app):
    row = visible_rows(window)[0]
    stale = desk_app.queue.board()          # read before the claim...
    desk_app.queue.claim(row.id, "Dana")
    fresh = desk_app.queue.board()          # ...and after it
    window._board_requests += 2
    first, second = window._board_requests - 1, window._board_requests
    window._board_loaded(fresh, second)
    window._board_loaded(stale, first)      # the slower, older read lands last
    assert window.model.row_for(row.id).owner == "Dana"


def test_a_closed_lead_form_is_deleted(qtbot, window):
    from PySide6.QtWidgets import QApplication

    from desktop.ui.lead_form import LeadForm
    row = visible_rows(window)[0]
    for _ in range(3):
        form = window.open_lead_form(row.id)
        form.reject()
        QApplication.sendPostedEvents(None, 0)  # run the deferred deletes
    qtbot.wait(10)
    assert [w for w in window.findChildren(LeadForm)] == []


def test_work_that_finishes_after_the_window_closed_never_calls_into_it(qtbot, desk_app):
    """A read still running when the desk closes must not reach the destroyed window."""
    import threading

    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import TaskRunner

    win = MainWindow(desk_app, TaskRunner())
    release = threading.Event()
    reached = []

    def slow_read():
        release.wait(5)
        raise OSError("database is closed")

    win.runner.submit(slow_read, on_error=lambda exc: reached.append(exc))
    win.runner.shutdown(msecs=50)  # closing: the read is still running
    release.set()
    win.runner.wait(5000)
    qtbot.wait(50)  # deliver anything queued
    assert reached == []
