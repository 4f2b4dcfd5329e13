"""What broke shows in the status area within one poll interval: the real window, the real
thread pool and poll timer, the real CallRail adapter against its loopback fake."""

from __future__ import annotations

import socket
import time

import keyring
from fake_callrail import (  # noqa: F401  (callrail_server, callrail_fake: fixtures)
    ACCOUNT_ID, API_KEY, callrail_fake, callrail_server)

from desktop.adapters.secrets import SERVICE
from desktop.bootstrap import open_app
from desktop.domain.changelog import person

POLL_S = 2
# A failing poll may itself take a few seconds: the client retries a refused connection
# and 5xx answers with backoff before it gives up and says so.
RETRIES_S = 4


def desk(qtbot, data_dir, base_url, key=API_KEY):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import TaskRunner

    setup = open_app(data_dir, log_to_file=False)
    setup.settings_service.set_many({
        "phone.provider": "callrail", "phone.callrail.account_id": ACCOUNT_ID,
        "phone.base_url": base_url, "phone.poll_seconds": POLL_S}, person("installer"))
    setup.close()
    keyring.set_password(SERVICE, "phone.callrail.api_key", key)
    app = open_app(data_dir, log_to_file=False)
    window = MainWindow(app, TaskRunner())
    qtbot.addWidget(window)
    window.show()
    window.start()
    return app, window


def seconds_until(qtbot, window, words: str, timeout_s: float) -> float:
    started = time.monotonic()
    qtbot.waitUntil(lambda: words in window.status.phone.text(), timeout=int(timeout_s * 1000))
    return time.monotonic() - started


def until_healthy(qtbot, window, timeout_s: float) -> None:
    """The status area's own verdict, not a word ("not synced yet" contains "synced")."""
    qtbot.waitUntil(lambda: window.status.phone.property("level") == "ok",
                    timeout=int(timeout_s * 1000))


def stop(app, window):
    window.close()  # as the app does: polls stop, late callbacks are dropped
    app.close()


def test_a_broken_credential_is_named_then_cleared_by_the_fix(qtbot, tmp_path, callrail_fake):
    app, window = desk(qtbot, tmp_path, callrail_fake.base_url)
    until_healthy(qtbot, window, 10)
    callrail_fake.keys.clear()  # someone regenerated the key in CallRail
    started = time.monotonic()
    # The call poll and the texts pass share the key and fail within one interval each,
    # in either order: a failed texts read alone reads as a warning ("texts not read"),
    # the failed call poll as the error.
    qtbot.waitUntil(lambda: window.status.phone.property("level") == "error",
                    timeout=(POLL_S + 1) * 1000)
    took = time.monotonic() - started
    assert "CallRail rejected" in window.status.phone.text()
    keyring.set_password(SERVICE, "phone.callrail.api_key", "crk-the-new-key")
    callrail_fake.keys.add("crk-the-new-key")  # ...and put the new one into Settings
    # Healthy means calls and texts are read again: the call poll and the follow-up pass
    # run on the same interval but not in step, so allow two of them.
    until_healthy(qtbot, window, 2 * POLL_S + 1)
    print(f"\n[health] broken credential named {took:.1f} s after it broke (poll {POLL_S} s)")
    stop(app, window)


def test_a_rate_limit_is_named_with_the_wait(qtbot, tmp_path, callrail_fake):
    app, window = desk(qtbot, tmp_path, callrail_fake.base_url)
    until_healthy(qtbot, window, 10)
    # The next request is refused, whichever it is: the call log or the text listing
    # (one API key, one limit). Either way the phone line names the wait.
    callrail_fake.fail_next(1, 429, retry_after="900")
    took = seconds_until(qtbot, window, "rate-limiting", POLL_S + 1)
    assert "15 min" in window.status.phone.text()
    print(f"\n[health] rate limit named {took:.1f} s after it began (poll {POLL_S} s)")
    stop(app, window)


def test_an_unreachable_provider_is_named(qtbot, tmp_path):
    with socket.socket() as probe:  # a port with nobody listening: the line is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app, window = desk(qtbot, tmp_path, f"http://127.0.0.1:{port}/v3")
    took = seconds_until(qtbot, window, "cannot be reached", POLL_S + RETRIES_S)
    assert window.status.phone.property("level") == "error"
    print(f"\n[health] unreachable provider named {took:.1f} s after start (poll {POLL_S} s)")
    stop(app, window)
