"""How long from a missed emergency call appearing at the provider to the desktop alert,
with the desk's own sync loop running (real thread pool, real clock, the Twilio fake over
HTTP, SQLite): at most one poll interval plus a second (DESIGN's quality bar). Prints the
figures for a few calls."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

from fake_twilio import (  # noqa: F401  (fixtures)
    ACCOUNT_SID, AUTH_TOKEN, forwarded, twilio_fake, twilio_server,
)

from desktop.bootstrap import open_app
from desktop.domain.changelog import person

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

POLL_SECONDS = 2
CALLS = 4


def test_a_missed_emergency_alerts_within_one_poll_interval_plus_a_second(
        qtbot, tmp_path, twilio_fake, memory_keyring):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.workers import TaskRunner

    setup = open_app(tmp_path, log_to_file=False)
    setup.settings_service.set_many({
        "phone.provider": "twilio", "phone.twilio.account_sid": ACCOUNT_SID,
        "phone.base_url": twilio_fake.url, "phone.poll_seconds": POLL_SECONDS,
        "phone.backfill_days": 1, "desk.user": "Dana"}, person("owner"))
    setup.secrets.set("phone.twilio.auth_token", AUTH_TOKEN)
    setup.close()
    app = open_app(tmp_path, log_to_file=False)
    app.notifier.use_plyer = False
    window = MainWindow(app, TaskRunner())
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.polled, timeout=10_000):
        window.start()

    latencies = []
    for n in range(CALLS):
        qtbot.wait(int(POLL_SECONDS * 1000 * (0.3 + 0.25 * n)))  # land at varied phases
        now = datetime.now(timezone.utc).replace(microsecond=0)
        call = forwarded(twilio_fake, f"+1773555{n:04d}", now - timedelta(seconds=55),
                         [("no-answer", 0)], after=30, caller_name=f"CALLER {n}")
        with qtbot.waitSignal(window.emergency_shown, timeout=(POLL_SECONDS + 5) * 1000,
                              check_params_cb=lambda alerts, n=n: any(
                                  a.phone == f"+1773555{n:04d}" for a in alerts)):
            appeared = time.monotonic()
            twilio_fake.add_voicemail(call, "there's water pouring in from the ceiling, help")
        latencies.append(time.monotonic() - appeared)
    window.close()
    app.close()

    print(f"\n[emergency latency] poll every {POLL_SECONDS} s: provider -> desktop alert "
          + ", ".join(f"{s:.2f} s" for s in latencies)
          + f" (max {max(latencies):.2f} s; bound {POLL_SECONDS + 1} s)")
    assert max(latencies) <= POLL_SECONDS + 1
