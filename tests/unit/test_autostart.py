"""Start at login: the XDG entry on Linux (the Windows Run value is exercised by the
Windows CI job's install), and a plain refusal elsewhere."""

from __future__ import annotations

import pytest

from desktop.adapters.autostart import Autostart, AutostartUnsupported


def test_linux_writes_and_removes_an_xdg_autostart_entry(tmp_path):
    login = Autostart(["/opt/Front Desk/frontdesk", "--data-dir", "/srv/desk"],
                      platform="linux", config_home=tmp_path)
    assert not login.enabled()
    login.set(True)
    entry = tmp_path / "autostart" / "frontdesk.desktop"
    text = entry.read_text(encoding="utf-8")
    assert 'Exec="/opt/Front Desk/frontdesk" --data-dir /srv/desk' in text
    assert "Type=Application" in text and login.enabled()
    login.set(False)
    assert not entry.exists() and not login.enabled()
    login.set(False)  # switching off twice is fine


def test_an_unknown_system_says_it_cannot(tmp_path):
    with pytest.raises(AutostartUnsupported, match="not supported on darwin"):
        Autostart(["x"], platform="darwin").set(True)
    assert not Autostart(["x"], platform="darwin").enabled()
