"""Qt fixtures: a desk window over a real SQLite database and the real simulator line,
driven by a fixed clock and (by default) a synchronous task runner."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop.bootstrap import open_app  # noqa: E402
from desktop.domain.changelog import person  # noqa: E402

# Tuesday 2026-11-17, 15:00 in Chicago: the shop is open and busy.
AFTERNOON = datetime(2026, 11, 17, 21, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def ui_clock() -> Clock:
    return Clock(AFTERNOON)


@pytest.fixture
def desk_app(tmp_path, ui_clock):
    """An App on a fresh data dir with the simulator configured (hours of history)."""
    first = open_app(tmp_path, clock=ui_clock, log_to_file=False)
    first.settings_service.set_many({
        "phone.provider": "simulator", "business.name": "Test Plumbing",
        "desk.user": "Dana", "phone.backfill_days": 1,
        "phone.simulator.start": (AFTERNOON - timedelta(hours=8)).isoformat(),
    }, person("test"))
    first.close()
    app = open_app(tmp_path, clock=ui_clock, log_to_file=False)
    yield app
    app.close()


@pytest.fixture
def window(qtbot, desk_app, ui_clock):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import SyncRunner
    win = MainWindow(desk_app, SyncRunner(), clock=ui_clock)
    qtbot.addWidget(win)
    win.show()
    win.start()
    yield win
    win.poll_timer.stop()
    win.tick_timer.stop()
