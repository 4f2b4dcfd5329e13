"""Benchmark: from process start to the desk window on screen (target: under a second
for a warm start; the first start also creates and migrates the database)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow


def time_to_window(data_dir, words: str = "window shown") -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # An installed app runs from compiled bytecode; some shells forbid writing it, which
    # would make every start recompile SQLAlchemy and Qt bindings from source.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "desktop", "--data-dir", str(data_dir),
                             "--quit-after", "0.2"], env=env, stderr=subprocess.PIPE, text=True)
    shown_at = None
    for line in proc.stderr:
        if words in line and shown_at is None:
            shown_at = time.perf_counter() - started
    assert proc.wait(timeout=60) == 0
    assert shown_at is not None, f"never reported '{words}'"
    return shown_at


def configured(folder):
    """A desk past its first-run setup (a phone system chosen)."""
    from desktop.bootstrap import open_app
    from desktop.domain.changelog import person
    app = open_app(folder, log_to_file=False)
    app.settings_service.set("phone.provider", "simulator", person("installer"))
    app.close()
    return folder


def test_a_new_desk_reaches_the_setup_wizard(tmp_path):
    took = time_to_window(tmp_path, "wizard shown")
    print(f"\n[startup] a new data folder: setup wizard after {took:.2f} s")
    assert took < 10


def test_window_is_up_within_a_second(tmp_path):
    first = time_to_window(configured(tmp_path))
    warm = sorted(time_to_window(tmp_path) for _ in range(3))
    print(f"\n[startup] first start (creates the database, writes bytecode) {first:.2f} s; "
          f"warm starts "
          f"{', '.join(f'{t:.2f}' for t in warm)} s")
    assert warm[1] < 3.0  # target 1 s on a desk PC; loose bound for a shared CI machine
