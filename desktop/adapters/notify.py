"""Desktop notifications: plyer first (native toasts on Windows), then a fallback the app
provides (the tray balloon), and the log always, so an alert is never silently lost."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

log = logging.getLogger(__name__)

APP_NAME = "Front Desk"


class Notifier:
    def __init__(self, fallback: Callable[[str, str], None] | None = None,
                 use_plyer: bool = True):
        self.fallback = fallback
        self.use_plyer = use_plyer
        self.sent: list[tuple[str, str]] = []  # what was shown this run (status area, tests)

    def notify(self, title: str, message: str) -> str:
        """Show it; return how: 'plyer', 'fallback' or 'log'."""
        self.sent.append((title, message))
        log.warning("ALERT %s: %s", title, message)
        if self.use_plyer:
            try:
                # On Linux plyer only *warns* when it has no way to show anything (no D-Bus,
                # no notify-send): a warning means nobody saw it.
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    from plyer import notification
                    notification.notify(title=title, message=message[:256],
                                        app_name=APP_NAME, timeout=30)
                if not caught:
                    return "plyer"
                log.info("plyer could not notify (%s); using the fallback", caught[0].message)
            except Exception as exc:  # no notification service (headless Linux, locked PC)
                log.info("plyer could not notify (%s); using the fallback",
                         type(exc).__name__)
        if self.fallback is not None:
            try:
                self.fallback(title, message)
                return "fallback"
            except Exception:
                log.exception("the notification fallback failed")
        return "log"
