"""Guard against a broken Qt binding: PySide6 6.12.0 on Python 3.11 returned `True` from
every Signal.emit() without a reference, so a busy desk crashed at exit with
"bool_dealloc". The task runner emits for every background task, so this matters."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(int)


def test_emitting_signals_does_not_corrupt_reference_counts():
    emitter = _Emitter()
    emitter.fired.connect(lambda _value: None)
    before_true, before_none = sys.getrefcount(True), sys.getrefcount(None)
    for n in range(1000):
        emitter.fired.emit(n)
    # A little slack for unrelated references; a broken binding loses one per emit.
    assert sys.getrefcount(True) - before_true > -10
    assert sys.getrefcount(None) - before_none > -10
