"""PyInstaller runtime hook: runs in the frozen app before installer/pyinstaller/entry.py.

Why: the build is windowed (console=False) so that opening Front Desk on Windows shows no
black console window. The price is that a GUI-subsystem program gets no standard streams:
Python sets sys.stdout and sys.stderr to None. Then `frontdesk --version` and
`frontdesk doctor` typed in cmd/PowerShell print nothing, and code that writes to
sys.stdout directly (json.dump(..., sys.stdout) for --json) raises AttributeError.

What: on Windows only, and only for a stream that Python left as None,
  1. attach to the parent's console when there is one (started from cmd/PowerShell) and
     write there;
  2. otherwise (started from Explorer, a shortcut, autostart) write to os.devnull, so a
     stray print can never crash the window.
Streams that are already usable -- output redirected to a file or a pipe, as the tests'
subprocess.run(capture_output=True) does -- are left alone. Linux/macOS: does nothing.

Not solved here: stdin (`frontdesk secret set` reads it) stays None in the windowed
build, and the shell does not wait for a GUI program. A console twin executable sharing
the same bundle would fix both if the CLI is ever needed on Windows desks.
"""

import os
import sys


def _give_windows_gui_build_streams() -> None:
    if sys.platform != "win32" or (sys.stdout is not None and sys.stderr is not None):
        return
    target = os.devnull
    try:
        import ctypes

        attach_parent_process = -1  # ATTACH_PARENT_PROCESS, (DWORD)-1
        if ctypes.windll.kernel32.AttachConsole(attach_parent_process):
            target = "CONOUT$"  # the attached console's screen buffer
    except Exception:  # no console, no ctypes: fall back to devnull
        pass
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            try:
                stream = open(target, "w", buffering=1, encoding="utf-8", errors="replace")
            except OSError:
                stream = open(os.devnull, "w", encoding="utf-8")
            setattr(sys, name, stream)


_give_windows_gui_build_streams()
del _give_windows_gui_build_streams
