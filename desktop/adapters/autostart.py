"""Start Front Desk when the user logs in (optional; the installer offers it too).

Windows: the per-user Run key (HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run), the
same value the installer writes, so either can switch it off. Linux: an XDG autostart
entry (~/.config/autostart). Elsewhere it says it cannot, in words.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

VALUE_NAME = "FrontDesk"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


class AutostartUnsupported(RuntimeError):
    """This system has no start-at-login we know how to set."""


def launch_command() -> list[str]:
    """How this Front Desk is started: the frozen executable, or Python with the package."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "desktop"]


class Autostart:
    def __init__(self, command: list[str] | None = None, platform: str = sys.platform,
                 config_home: Path | None = None):
        self.command = command or launch_command()
        self.platform = platform
        self._config_home = config_home

    # -- the one API -------------------------------------------------------------------
    def enabled(self) -> bool:
        if self.platform == "win32":
            return self._windows_value() is not None
        if self.platform.startswith("linux"):
            return self._desktop_file().exists()
        return False

    def set(self, on: bool) -> None:
        if self.platform == "win32":
            self._windows_set(on)
        elif self.platform.startswith("linux"):
            self._linux_set(on)
        else:
            raise AutostartUnsupported(f"Starting at login is not supported on {self.platform}.")

    # -- Windows -----------------------------------------------------------------------
    def _windows_value(self) -> str | None:
        import winreg
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                return winreg.QueryValueEx(key, VALUE_NAME)[0]
        except OSError:
            return None

    def _windows_set(self, on: bool) -> None:
        import winreg
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            if on:
                winreg.SetValueEx(key, VALUE_NAME, 0, winreg.REG_SZ,
                                  subprocess.list2cmdline(self.command))
            else:
                try:
                    winreg.DeleteValue(key, VALUE_NAME)
                except FileNotFoundError:
                    pass

    # -- Linux (XDG) -------------------------------------------------------------------
    def _desktop_file(self) -> Path:
        home = self._config_home or Path(os.environ.get("XDG_CONFIG_HOME")
                                         or Path.home() / ".config")
        return home / "autostart" / "frontdesk.desktop"

    def _linux_set(self, on: bool) -> None:
        path = self._desktop_file()
        if not on:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        exec_line = " ".join(_quote(part) for part in self.command)
        path.write_text("[Desktop Entry]\nType=Application\nName=Front Desk\n"
                        f"Exec={exec_line}\nX-GNOME-Autostart-enabled=true\n",
                        encoding="utf-8")


def _quote(part: str) -> str:
    """A desktop-entry Exec argument (quoted when it has a space or a quote)."""
    if not any(ch in part for ch in ' "\\$`'):
        return part
    escaped = part.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
    return f'"{escaped}"'
