"""Fixtures shared by every test folder. No Qt here (tests/ui has its own conftest).

Two autouse guards keep every test away from the user's machine: secrets go to an
in-memory keyring, and the data folder is a fresh temporary one.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import keyring
import keyring.backend
import pytest
from hypothesis import settings as hypothesis_settings

from desktop.cli import main

# Qt widgets in tests draw offscreen unless a test picks a real display (tests/slow does).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Property-based tests explore new examples on a developer's machine, but replay the same
# ones in CI, so a landing never hinges on a lucky draw.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict, so tests can look inside it."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


@pytest.fixture(autouse=True)
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def isolated_data_dir_env(tmp_path_factory, monkeypatch) -> Path:
    """FRONTDESK_DATA_DIR points at a fresh folder, so nothing writes to the real one."""
    folder = tmp_path_factory.mktemp("default-data")
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(folder))
    return folder


class FakeClock:
    """A clock the test sets and advances; always timezone-aware UTC."""

    def __init__(self, now: datetime | None = None):
        self._now = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)
        if now is not None:
            self.set(now)

    def __call__(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = now.astimezone(timezone.utc)

    def advance(self, delta: timedelta | None = None, **kwargs) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def app_factory(data_dir, clock):
    """open(data_dir=..., clock=...) -> App; every app opened is closed at teardown."""
    from desktop.bootstrap import open_app

    opened = []

    def open_(folder: Path | None = None, clock_=None):
        app = open_app(folder or data_dir, clock=clock_ or clock, log_to_file=False)
        opened.append(app)
        return app

    yield open_
    for app in opened:
        app.close()


@pytest.fixture(autouse=True)
def restore_root_logger():
    """The CLI logs to a file in its data folder; don't let that handler outlive a test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def cli(capsys, monkeypatch, data_dir):
    """cli(*args, stdin=None) -> (exit status, stdout, stderr), on the test's data folder."""

    def run(*args, stdin: str | None = None, folder: Path | None = None):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()  # drop anything earlier
        code = main([*args, "--data-dir", str(folder or data_dir)])
        out, err = capsys.readouterr()
        return code, out, err

    return run


# -- two workers (pytest-xdist) ------------------------------------------------------------
# `uv run pytest` runs on two processes (pyproject: -n 2). Tests that
# measure time -- the benchmarks, the frozen build and Xvfb, the latency bounds -- all go
# to one worker, one after another, so no two of them compete for the same core; the
# rest share the other worker and fill the gaps.
TIMED = ("tests/perf/", "tests/slow/", "tests/integration/test_emergency_latency.py",
         "tests/ui/test_provider_health.py")
QUIETEST = "tests/perf/test_outcomes_year.py"


def pytest_collection_modifyitems(config, items):
    """The timed tests first: their worker starts on them at once while the other takes
    everything else (a late start would leave the first worker idle at the end)."""
    # Within them, the benchmark with the tightest bar goes last, when the other worker
    # has usually finished: its figure is then the machine's, not the neighbour's.
    items.sort(key=lambda item: (not item.nodeid.startswith(TIMED),
                                 item.nodeid.startswith(QUIETEST)))  # stable: order kept


def pytest_xdist_make_scheduler(config, log):
    """xdist's own grouping (the xdist_group marker) renames node ids, which pytest 9 no
    longer allows; this scheduler groups by where a test lives instead: the timed ones
    are one unit of work, every other test a unit of its own."""
    from xdist.scheduler import LoadScopeScheduling

    class TimedTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "timed" if nodeid.startswith(TIMED) else nodeid

    return TimedTogether(config, log)


def pytest_terminal_summary(terminalreporter):
    """The benchmarks' and slow tests' figures (their "[name] ..." lines), gathered from
    both workers into one section at the end of the run, where CI's log shows them."""
    figures = []
    for report in terminalreporter.stats.get("passed", []):
        for name, content in getattr(report, "sections", []):
            if "stdout" in name:
                figures += [line for line in content.splitlines() if line.startswith("[")]
    if figures:
        terminalreporter.section("figures")
        for line in figures:
            terminalreporter.write_line(line)
