"""Benchmark: the live demo. New missed callers reach the queue within seconds while the
UI thread keeps breathing. Prints its figures; the asserts are the product's promises
with room to spare, not tight timings."""

from __future__ import annotations

import os
import shutil
import time

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.slow

RUN_SECONDS = 15


def test_new_missed_calls_appear_while_the_ui_stays_responsive(qtbot):
    from PySide6.QtCore import QElapsedTimer, QTimer

    from desktop.bootstrap import make_demo_dir, open_app
    from desktop.ui.app import settle_memory
    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import TaskRunner

    from desktop.domain.changelog import worker

    data_dir = make_demo_dir()
    setup = open_app(data_dir, log_to_file=False)
    # What is measured is how fast a finished call reaches the queue, not the luck of the
    # draw: at the demo's own pace (a missed call every ~8 s) a 30 s window sees no new
    # caller about 3 times in 100; with a call a second, a 15 s window none in 400 draws.
    # (Set before the app that runs is opened: the line is built from the settings then.)
    setup.settings_service.set_many({"phone.simulator.live_gap_seconds": 1},
                                    worker("benchmark"), reason="a busier line to measure")
    setup.close()
    app = open_app(data_dir, log_to_file=False)
    window = MainWindow(app, TaskRunner(), demo=True)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.polled, timeout=20_000):  # the seeded morning so far
        window.start()
    qtbot.waitUntil(lambda: not window.runner.busy(), timeout=10_000)
    settle_memory()  # as run_desk does once the window is up
    started = time.monotonic()
    first_ids = {row.id for row in window.model.rows()}

    stalls: list[float] = []
    beat = QElapsedTimer()
    beat.start()

    def heartbeat():  # a 10 ms timer: any gap beyond that is time the UI thread was busy
        stalls.append(max(beat.restart() - 10, 0))

    timer = QTimer(interval=10, timeout=heartbeat)
    timer.start()
    first_new_at = None
    while time.monotonic() - started < RUN_SECONDS:
        qtbot.wait(100)
        if first_new_at is None and {r.id for r in window.model.rows()} - first_ids:
            first_new_at = time.monotonic() - started
    timer.stop()
    new_callers = len({r.id for r in window.model.rows()} - first_ids)
    window.close()
    app.close()
    shutil.rmtree(data_dir, ignore_errors=True)

    assert first_new_at is not None, f"no new missed caller within {RUN_SECONDS} s"
    stalls.sort()
    p99 = stalls[int(len(stalls) * 0.99)] if stalls else 0
    print(f"\n[demo live] seeded callers: {len(first_ids)}; new callers in {RUN_SECONDS} s: "
          f"{new_callers}; first new caller after {first_new_at:.1f} s; UI-thread stall "
          f"max {max(stalls, default=0):.0f} ms, p99 {p99:.0f} ms over {len(stalls)} beats")
    assert max(stalls, default=0) < 250  # target 50 ms; loose bound so shared CI never flakes
