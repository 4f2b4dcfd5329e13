"""Helpers for the slow tests: whole programs (a PyInstaller build, a real X server).

Only tests/slow sees these fixtures; nothing here changes how other test folders run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    """True on CI, where .ci/run installs every tool these tests need."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def require(condition: bool, reason: str) -> None:
    """Skip when a tool is missing on a developer's machine, but fail on CI: there a
    missing tool is a broken .ci/run, and a skip would hide that the test never ran."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)", pytrace=False)
    pytest.skip(reason)


def app_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Environment for running the app as a subprocess: never the user's real data folder,
    and demo folders (tempfile.mkdtemp) land under `tmp`, so pytest cleans them up."""
    temp = tmp / "temp"
    temp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("WAYLAND_DISPLAY", None)  # Qt would prefer Wayland over the platform we set
    env.update(TMPDIR=str(temp), FRONTDESK_DATA_DIR=str(tmp / "default-data"),
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def say(request: pytest.FixtureRequest, message: str) -> None:
    """A line in pytest's output even when output capture is on (no -s): durations and
    sizes belong in the CI log, not only in a failure report."""
    line = f"[slow] {message}"
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker's terminal is not shown: print,
        print(line)                             # and -rP shows it with the test
        return
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    # During a test, pytest captures file descriptor 1 itself; step outside that briefly.
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


# -- a real X server -------------------------------------------------------------------
X11_SOCKETS = Path("/tmp/.X11-unix")


def free_display(start: int = 90, stop: int = 400) -> int:
    """The first display number with neither a lock file nor a socket: no X server has
    it. (Another one may still grab it before ours starts; start_xvfb retries.)"""
    for number in range(start, stop):
        if not Path(f"/tmp/.X{number}-lock").exists() and not (X11_SOCKETS / f"X{number}").exists():
            return number
    raise RuntimeError(f"no free X display number in :{start}..:{stop - 1}")


def _accepts_connections(number: int) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        try:
            sock.connect(str(X11_SOCKETS / f"X{number}"))
        except OSError:
            return False
    return True


def start_xvfb(log: Path, size: str = "1440x900x24", attempts: int = 3,
               timeout: float = 15) -> tuple[subprocess.Popen, int]:
    """Start `Xvfb :N` on a free display; return (process, N) once it accepts connections."""
    for _ in range(attempts):
        number = free_display()
        with log.open("ab") as out:
            proc = subprocess.Popen(
                ["Xvfb", f":{number}", "-screen", "0", size, "-nolisten", "tcp", "-noreset"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break  # lost a race for the display (or cannot start): try the next one
            if _accepts_connections(number):
                return proc, number
            time.sleep(0.1)
        stop_process(proc)
    raise RuntimeError(f"Xvfb did not start; its log:\n{tail(log.read_text(errors='replace'))}")


def stop_process(proc: subprocess.Popen, grace: float = 5) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def xvfb_display(tmp_path_factory) -> str:
    """DISPLAY value of a private Xvfb server, shared by one test module, stopped after it."""
    require(shutil.which("Xvfb") is not None, "Xvfb is not installed (apt-get install xvfb)")
    log = tmp_path_factory.mktemp("xvfb") / "xvfb.log"
    proc, number = start_xvfb(log)
    try:
        yield f":{number}"
    finally:
        stop_process(proc)
