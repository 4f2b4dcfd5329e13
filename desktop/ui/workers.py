"""The one way to run work off the UI thread.

`TaskRunner.submit(fn, *args, on_done=..., on_error=...)` runs `fn` on a QThreadPool and
calls back on the UI thread. Worker code never touches widgets; it returns plain data.
Tests pass `SyncRunner()`, which runs the work inline with the same callbacks.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)
Callback = Callable[[object], None] | None


class _Signals(QObject):
    finished = Signal(int, bool, object)  # task id, ok, result or exception
    progress = Signal(int, object)        # task id, what the task reported so far


class _Task(QRunnable):
    def __init__(self, task_id: int, fn, args, signals: _Signals, reports: bool):
        super().__init__()
        self.task_id, self.fn, self.args, self.signals = task_id, fn, args, signals
        self.kwargs = {"progress": self._report} if reports else {}

    def _report(self, payload) -> None:
        self.signals.progress.emit(self.task_id, payload)

    def run(self) -> None:
        try:
            result = self.fn(*self.args, **self.kwargs)
        except Exception as exc:  # handed to on_error on the UI thread
            log.exception("background task %s failed", getattr(self.fn, "__qualname__", self.fn))
            self.signals.finished.emit(self.task_id, False, exc)
        else:
            self.signals.finished.emit(self.task_id, True, result)


class TaskRunner(QObject):
    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._signals = _Signals()  # lives on the UI thread: its slot runs there
        self._signals.finished.connect(self._finish, Qt.ConnectionType.QueuedConnection)
        self._signals.progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        self._callbacks: dict[int, tuple[Callback, Callback, Callback]] = {}
        self._ids = itertools.count(1)

    def submit(self, fn, *args, on_done: Callback = None, on_error: Callback = None,
               on_progress: Callback = None) -> None:
        """With on_progress, `fn` is called with a `progress=` keyword it may call with
        plain data; each call reaches on_progress on the UI thread."""
        task_id = next(self._ids)
        self._callbacks[task_id] = (on_done, on_error, on_progress)
        self.pool.start(_Task(task_id, fn, args, self._signals, on_progress is not None))

    @Slot(int, bool, object)
    def _finish(self, task_id: int, ok: bool, payload) -> None:
        on_done, on_error, _ = self._callbacks.pop(task_id, (None, None, None))
        callback = on_done if ok else on_error
        if callback is not None:
            callback(payload)

    @Slot(int, object)
    def _progress(self, task_id: int, payload) -> None:
        callbacks = self._callbacks.get(task_id)
        if callbacks and callbacks[2] is not None:
            callbacks[2](payload)

    def serial(self) -> TaskRunner:
        """A runner of its own with one thread: its tasks run one at a time, in the order
        they were submitted (a form's draft saves, then its save)."""
        pool = QThreadPool(self)
        pool.setMaxThreadCount(1)
        return TaskRunner(pool, self)

    def busy(self) -> bool:
        return bool(self._callbacks)

    def wait(self, msecs: int = 10_000) -> bool:
        return self.pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 5_000) -> None:
        """The window is going away: let running work finish, then forget every callback,
        so a task that ends later never calls into a destroyed widget."""
        self.pool.waitForDone(msecs)
        self._callbacks.clear()


class SyncRunner:
    """Runs each task inline: deterministic UI tests with no threads."""

    def submit(self, fn, *args, on_done: Callback = None, on_error: Callback = None,
               on_progress: Callback = None) -> None:
        try:
            result = fn(*args, progress=on_progress) if on_progress else fn(*args)
        except Exception as exc:
            if on_error is None:
                raise
            on_error(exc)
        else:
            if on_done is not None:
                on_done(result)

    def busy(self) -> bool:
        return False

    def wait(self, msecs: int = 0) -> bool:
        return True

    def shutdown(self, msecs: int = 0) -> None:
        pass
