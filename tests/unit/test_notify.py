"""Desktop alerts: shown natively when plyer can, by the app's fallback when it cannot,
and always logged, so an alert is never silently lost."""

from __future__ import annotations

import sys
import types
import warnings

import pytest

from desktop.adapters.notify import Notifier


def fake_plyer(monkeypatch, notify):
    module = types.ModuleType("plyer")
    module.notification = types.SimpleNamespace(notify=notify)
    monkeypatch.setitem(sys.modules, "plyer", module)


def test_a_native_notification_needs_no_fallback(monkeypatch):
    shown = []
    fake_plyer(monkeypatch, lambda **kw: shown.append(kw))
    fallback = []
    notifier = Notifier(fallback=lambda t, m: fallback.append(t))
    assert notifier.notify("Lead not delivered", "Ann Lee: HTTP 500") == "plyer"
    assert shown[0]["title"] == "Lead not delivered" and shown[0]["app_name"] == "Front Desk"
    assert fallback == []


@pytest.mark.parametrize("failure", ["raises", "warns"])
def test_when_plyer_cannot_show_it_the_fallback_does(monkeypatch, caplog, failure):
    def notify(**kwargs):
        if failure == "raises":
            raise NotImplementedError("no notification backend")
        warnings.warn("notify-send not found.")  # what plyer does on a bare Linux

    fake_plyer(monkeypatch, notify)
    fallback = []
    notifier = Notifier(fallback=lambda t, m: fallback.append((t, m)))
    assert notifier.notify("Lead not delivered", "Ann Lee: HTTP 500") == "fallback"
    assert fallback == [("Lead not delivered", "Ann Lee: HTTP 500")]
    assert "ALERT Lead not delivered: Ann Lee: HTTP 500" in caplog.text


def test_a_broken_fallback_still_leaves_the_alert_in_the_log(monkeypatch, caplog):
    fake_plyer(monkeypatch, lambda **kw: (_ for _ in ()).throw(OSError("no D-Bus")))

    def broken(title, message):
        raise RuntimeError("tray gone")

    notifier = Notifier(fallback=broken)
    assert notifier.notify("Lead not delivered", "x") == "log"
    assert notifier.sent == [("Lead not delivered", "x")]
    assert "ALERT Lead not delivered: x" in caplog.text
