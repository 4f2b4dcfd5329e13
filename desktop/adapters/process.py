"""Who holds a lease: a process names itself host/pid/start time, so a desk that restarts
after a crash can tell that a lease held on this PC belongs to a process that is gone
(a recycled pid has another start time) and take it over at once."""

from __future__ import annotations

import os
import socket

import psutil


def this_process() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}/{pid}/{psutil.Process(pid).create_time():.0f}"


def holder_is_gone(holder: str) -> bool:
    """True only when the holder ran on this PC and that process no longer exists; a holder
    on another desk is never judged dead here (its lease expires instead)."""
    host, _, rest = holder.partition("/")
    pid_text, _, started = rest.partition("/")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        process = psutil.Process(int(pid_text))
        if process.status() == psutil.STATUS_ZOMBIE:
            return True
        return f"{process.create_time():.0f}" != started
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:  # access denied and the like: assume alive, let the lease expire
        return False
