"""One running Front Desk per user and data folder: a second launch hands over to the
first (which comes to the front) and exits.

The lock is a QLockFile in the data folder (Windows lets two servers listen on one pipe
name, so the pipe alone cannot decide; a lock left by a crashed desk is noticed from its
process id and taken over). The wake-up goes through QLocalServer/QLocalSocket: a named
pipe on Windows, a socket file on Linux, named after the data folder."""

from __future__ import annotations

import getpass
import hashlib
import os
import sys
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

WAKE = b"show\n"


def server_name(data_dir: Path) -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "desk"
    where = os.path.normcase(str(Path(data_dir).resolve()))  # C:\Data and c:\data alike
    digest = hashlib.sha256(f"{user}|{where}".encode()).hexdigest()[:16]
    return f"frontdesk-{digest}"


class SingleInstance(QObject):
    woken = Signal()  # another launch asked this one to come forward

    def __init__(self, data_dir: Path, parent=None):
        super().__init__(parent)
        self.name = server_name(data_dir)
        self.server: QLocalServer | None = None
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        self.lock = QLockFile(str(Path(data_dir) / "frontdesk.lock"))
        self.lock.setStaleLockTime(0)  # stale only when its process is gone, never by age

    def acquire(self) -> bool:
        """Become the running desk (True), or wake the one already running (False)."""
        if self.lock.tryLock(200):
            self.listen()
            return True
        if sys.platform == "win32":  # let the running desk take the foreground from us
            import ctypes
            ctypes.windll.user32.AllowSetForegroundWindow(-1)  # ASFW_ANY
        self.hand_over()
        return False

    def release(self) -> None:
        self.close()
        self.lock.unlock()

    def hand_over(self, timeout_ms: int = 500) -> bool:
        """True when another instance is running (and was asked to come forward)."""
        socket = QLocalSocket(self)
        try:
            socket.connectToServer(self.name)
            if not socket.waitForConnected(timeout_ms):
                return False
            socket.write(WAKE)
            socket.flush()
            socket.waitForBytesWritten(timeout_ms)
            socket.disconnectFromServer()
            return True
        finally:
            socket.abort()
            socket.setParent(None)
            socket.deleteLater()

    def listen(self) -> bool:
        """Become the running instance. A socket file left by a crashed run is removed."""
        self.server = QLocalServer(self)
        if not self.server.listen(self.name):
            QLocalServer.removeServer(self.name)
            if not self.server.listen(self.name):
                return False
        self.server.newConnection.connect(self._connected)
        return True

    def close(self) -> None:
        if self.server is not None:
            self.server.close()

    def _connected(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(self._read)
            socket.disconnected.connect(socket.deleteLater)

    def _read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket) and bytes(socket.readAll()).startswith(WAKE.strip()):
            self.woken.emit()
