"""Start the desk: QApplication, stylesheet, icon, the window, timers."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

from desktop import APP_ID, APP_NAME, __version__
from desktop.bootstrap import make_demo_dir, open_app
from desktop.ui.main_window import MainWindow
from desktop.ui.setup_wizard import open_setup
from desktop.ui.single_instance import SingleInstance
from desktop.ui.theme import resources_dir, stylesheet
from desktop.ui.workers import TaskRunner


def make_qapp() -> QApplication:
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setApplicationName(APP_NAME)
    qapp.setOrganizationName(APP_ID)
    qapp.setApplicationVersion(__version__)
    qapp.setStyle("Fusion")
    qapp.setStyleSheet(stylesheet())
    icon = resources_dir() / "icons" / "frontdesk.svg"
    if icon.exists():
        qapp.setWindowIcon(QIcon(str(icon)))
    return qapp


def settle_memory() -> None:
    """Move everything built at start-up out of the garbage collector's sight.

    A full collection scans every tracked object: with SQLAlchemy, Alembic and Qt loaded
    that took ~60 ms, stalling the UI thread past its 50 ms budget. Start-up objects live
    as long as the app does, so the collector need not scan them again.
    """
    gc.freeze()
    # Objects that live for one page of a sync should die young, not be promoted and then
    # trigger full collections (~40 ms each, holding the GIL) every second of an import.
    gc.set_threshold(50_000, 20, 20)


def make_demo_with_splash(history_days: int) -> Path:
    """The demo's data folder, made behind a splash screen that says how far the shop's
    past has got (living a few weeks through the services takes some seconds)."""
    qapp = make_qapp()
    pixmap = QPixmap(480, 150)
    pixmap.fill(QColor("#ffffff"))
    painter = QPainter(pixmap)
    font = QFont()
    font.setPointSize(20)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#1d4ed8"))
    painter.drawText(pixmap.rect().adjusted(24, 24, -24, -70), Qt.AlignmentFlag.AlignLeft,
                     APP_NAME)
    painter.end()
    splash = QSplashScreen(pixmap)
    splash.show()

    def say(text: str) -> None:
        splash.showMessage(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                           QColor("#344054"))
        qapp.processEvents()

    say("Setting up the demo shop…")
    try:
        return make_demo_dir(history_days=history_days, progress=lambda done, total: say(
            f"Living through the demo shop's last {total} days: day {done} of {total}…"))
    finally:
        splash.close()


def run_desk(data_dir: Path, demo: bool = False, quit_after: float | None = None) -> int:
    """The desk: one per user and data folder (a second launch brings the first forward
    and exits), the first-run setup while no phone system is chosen, then the queue; a
    changed setup reopens it in place."""
    qapp = make_qapp()
    instance = SingleInstance(data_dir)
    if not instance.acquire():
        print(f"{APP_NAME} is already running for {data_dir}: brought it to the front",
              file=sys.stderr, flush=True)
        return 0
    runner = TaskRunner()
    state = {"app": open_app(data_dir), "window": None}
    instance.woken.connect(lambda: state["window"] and state["window"].bring_forward())

    def open_window() -> None:
        window = MainWindow(state["app"], runner, demo=demo)
        window.shown.connect(lambda: print("window shown", file=sys.stderr, flush=True))
        window.show()
        window.start()
        state["window"] = window
        if quit_after is not None:
            QTimer.singleShot(int(quit_after * 1000), window.close)

    def set_up() -> None:
        def applied() -> None:
            state["app"].close()  # the new phone system and CRM: built afresh
            state["app"] = open_app(data_dir)
            open_window()

        def ready(wizard) -> None:
            wizard.applied.connect(applied)
            state["window"] = wizard  # a second launch brings the wizard forward
            print("wizard shown", file=sys.stderr, flush=True)
            if quit_after is not None:
                QTimer.singleShot(int(quit_after * 1000), wizard.close)

        open_setup(state["app"], runner, state["app"].desk_user, on_ready=ready)

    def start() -> None:
        set_up() if state["app"].setup.needed() else open_window()

    start()
    settle_memory()
    try:
        while True:
            code = qapp.exec()
            runner.wait(5000)
            window = state["window"]
            if not getattr(window, "restart_requested", False):
                break
            # Settings changed the setup: the old window goes (deleted, not just hidden),
            # the desk reopens on the new setup in the same process.
            state["window"] = None
            window.deleteLater()
            qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            state["app"].close()
            state["app"] = open_app(data_dir)
            runner = TaskRunner()
            start()
    finally:
        state["app"].close()
        instance.release()
    return code
