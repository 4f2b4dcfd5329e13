"""Open the desk window on a real X server (Xvfb) through Qt's xcb platform plugin.

The pytest-qt tests run on Qt's `offscreen` platform, which never loads the xcb plugin
nor the system libraries it needs (libxcb-cursor0, libxkbcommon-x11-0, ...). This test
is the one that shows a missing one, the way a Linux desktop would.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import app_env, tail

pytestmark = pytest.mark.slow


def _run_demo(tmp_path, display: str, **extra: str):
    env = app_env(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=display, **extra)
    return subprocess.run([sys.executable, "-m", "desktop", "--demo", "--demo-history", "3",
                           "--quit-after", "4"],
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=90)


def test_demo_window_on_xvfb(xvfb_display, tmp_path):
    result = _run_demo(tmp_path, xvfb_display)
    if "window shown" not in result.stderr:
        # The window never appeared: most likely the xcb plugin did not load. Run once
        # more with QT_DEBUG_PLUGINS=1, which names the library it could not load (the
        # plain error, "could not load the Qt platform plugin", does not).
        debug = _run_demo(tmp_path, xvfb_display, QT_DEBUG_PLUGINS="1")
        hints = [line for line in debug.stderr.splitlines()
                 if "xcb" in line.lower() or "cannot load" in line.lower()
                 or "not found" in line.lower()]
        pytest.fail(f"no window on {xvfb_display} (exit {result.returncode}); stderr:\n"
                    f"{tail(result.stderr)}\n--- with QT_DEBUG_PLUGINS=1:\n"
                    f"{tail(chr(10).join(hints) or debug.stderr, 30)}", pytrace=False)
    # The window was shown, so Qt and xcb are fine; a non-zero exit is the app's own
    # (a crash while quitting shows as -6 / SIGABRT).
    assert result.returncode == 0, (f"window shown, but exit {result.returncode}:\n"
                                    f"{tail(result.stderr)}")
