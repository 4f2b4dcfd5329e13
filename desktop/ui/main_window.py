"""The desk window: Queue and Change log tabs, the status area, shortcuts, and the wiring
between the widgets and the services (always through the task runner)."""

from __future__ import annotations

import logging
import sys
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import QApplication, QDialog, QHBoxLayout, QLabel, QMainWindow, \
    QMenu, QMessageBox, QPushButton, QSystemTrayIcon, QTabWidget, QToolButton, QVBoxLayout, \
    QWidget

from desktop import APP_NAME, __version__
from desktop.domain.emergencies import AlertRuleError
from desktop.domain.followup import FollowUpError
from desktop.domain.queue import LANE_ORDER, QueueRuleError
from desktop.services.followup import unclaimed_words
from desktop.services.owner import OwnerRefused
from desktop.services.sync import SyncResult
from desktop.ui.changelog_tab import ChangeLogTab
from desktop.ui.emergency_banner import EmergencyBanner
from desktop.ui.lead_form import LeadForm
from desktop.ui.leads_tab import LeadsTab
from desktop.ui.models.queue_model import QueueModel
from desktop.ui.outcomes_tab import OutcomesTab
from desktop.ui.queue_tab import QueueTab
from desktop.ui.reason_dialog import ReasonDialog
from desktop.ui.status_area import StatusArea

log = logging.getLogger(__name__)


def badged_icon(icon: QIcon, count: int) -> QIcon:
    """The app icon with the number of waiting callers in a red dot (none at zero)."""
    pixmap = icon.pixmap(64, 64) if not icon.isNull() else QPixmap(64, 64)
    if icon.isNull():
        pixmap.fill(QColor("#1d4ed8"))
    if count:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor("#d92d20"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(26, 0, 38, 38)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(22 if count < 100 else 16)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(26, 0, 38, 38, Qt.AlignmentFlag.AlignCenter,
                         str(count) if count < 100 else "99+")
        painter.end()
    return QIcon(pixmap)


class _AlertBridge(QObject):
    """Alerts are raised on worker threads; this carries them to the UI thread."""

    alert = Signal(str, str)


class MainWindow(QMainWindow):
    board_loaded = Signal()  # after each queue refresh lands (tests and screenshots wait on it)
    polled = Signal(object)  # the SyncResult of each finished poll
    delivered = Signal(object)  # the DeliveryReport of each delivery run
    emergency_shown = Signal(list)  # the emergency alerts just (re)notified, as AlertViews
    emergencies_loaded = Signal(list)  # the open emergency alerts, after each check
    followed_up = Signal(object)  # (MessageResult, FollowUpReport) of each follow-up pass
    shown = Signal()

    def __init__(self, app, runner, demo: bool = False, clock=None):
        super().__init__()
        self.app, self.runner = app, runner
        # Writes that must land in the order they were asked for (a lead form's draft
        # saves, its discard and its save) go through one worker of their own.
        self.serial = runner.serial() if hasattr(runner, "serial") else runner
        self.zone = ZoneInfo(app.settings["business.timezone"])
        self.who = app.desk_user
        self._polling = self._delivering = self._crm_polling = self._closing = False
        self._following_up = False
        self.textback_dialog = None  # the owner's text-back dialog, while open
        self._shown_once = False
        self.restart_requested = False  # closed to reopen on a new setup (app.py)
        self._ticks = 0
        self._board_requests = self._board_applied = 0
        self.setWindowTitle(f"{APP_NAME} — {app.settings['business.name']}")
        self.resize(1500, 880)

        self.model = QueueModel(app.callback_target, self.zone, clock or app.clock, self)
        self.queue_tab = QueueTab(self.model, self.zone)
        self.changelog_tab = ChangeLogTab(app, runner, self.zone)
        self.leads_tab = LeadsTab(app, runner, self.zone)
        self.leads_tab.retried.connect(self.deliver)
        self.leads_tab.loaded.connect(self._flag_leads_tab)
        self.tabs = QTabWidget(objectName="mainTabs")
        self.tabs.addTab(self.queue_tab, "Queue")
        self.tabs.addTab(self.leads_tab, "Leads")
        self.tabs.addTab(self.changelog_tab, "Change log")
        self.outcomes_tab = None
        if app.outcomes is not None:
            self.outcomes_tab = OutcomesTab(app, runner, self.who)
            self.tabs.addTab(self.outcomes_tab, "Outcomes")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.status = StatusArea(app.phone.label if app.phone else None, app.crm.label)
        self.statusBar().addPermanentWidget(self.status, 1)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._header(demo))
        self.banner = EmergencyBanner()
        self.banner.acknowledge_requested.connect(self.acknowledge_alert)
        self.banner.confirm_requested.connect(self.confirm_alert)
        self.banner.downgrade_requested.connect(self.downgrade_alert)
        self.banner.open_requested.connect(self.show_caller)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs)
        self.setCentralWidget(central)

        self.queue_tab.selection_changed.connect(self.load_detail)
        detail = self.queue_tab.detail
        detail.claim_requested.connect(self.claim)
        detail.called_back_requested.connect(self.called_back)
        detail.resolve_requested.connect(self.resolve)
        detail.lead_requested.connect(self.open_lead_form)
        detail.skip_requested.connect(self.skip_task)
        detail.reassign_requested.connect(self.reassign)
        self._shortcuts()

        self.poll_timer = QTimer(self, interval=int(app.poll_interval.total_seconds() * 1000))
        self.poll_timer.timeout.connect(self.poll)
        self.tick_timer = QTimer(self, interval=1000)
        self.tick_timer.timeout.connect(self._tick)
        # Delivery: soon after a lead is saved, and every few seconds for retries that
        # come due; the CRM's changed contacts and jobs on their own, slower timer.
        self.deliver_timer = QTimer(self, interval=5000)
        self.deliver_timer.timeout.connect(self.deliver)
        self.crm_timer = QTimer(self, interval=app.settings["crm.poll_seconds"] * 1000)
        self.crm_timer.timeout.connect(self.poll_crm)
        self._alerts = _AlertBridge(self)
        self._alerts.alert.connect(self.show_alert)
        app.notifier.fallback = self._alerts.alert.emit  # thread-safe: a queued signal
        self._alert_seq: int | None = None  # alerts up to this change were shown already
        self._checking_alerts = self._alerts_started = False
        # Emergencies: checked after every poll that raised one, and every few seconds for
        # repeats and escalations (also those raised by another desk).
        self.emergency_timer = QTimer(self, interval=5000)
        self.emergency_timer.timeout.connect(self.check_emergencies)
        self._checking_emergencies = self._emergency_again = False
        # Follow-up: inbound texts (opt-outs first), due text-backs, closings, unclaimed
        # callers -- on the poll's rhythm.
        self.followup_timer = QTimer(self, interval=int(app.poll_interval.total_seconds() * 1000))
        self.followup_timer.timeout.connect(self.follow_up)
        self.tray = None
        self.open_count: int | None = None
        self.settings_dialog = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(QApplication.windowIcon(), self)
            self.tray.setToolTip(APP_NAME)
            tray_menu = QMenu(self)
            tray_menu.addAction(f"Show {APP_NAME}", self.bring_forward)
            tray_menu.addAction("Quit", self.close)
            self.tray.setContextMenu(tray_menu)
            self.tray.activated.connect(lambda _reason: self.bring_forward())
            self.tray.show()

    def _header(self, demo: bool) -> QWidget:
        header = QWidget(objectName="header")
        row = QHBoxLayout(header)
        row.setContentsMargins(18, 10, 18, 10)
        title = QLabel(APP_NAME, objectName="appTitle")
        shop = QLabel(self.app.settings["business.name"], objectName="shopName")
        row.addWidget(title)
        row.addWidget(shop)
        if demo:
            row.addWidget(QLabel("DEMO — simulated calls", objectName="demoBadge"))
        row.addStretch()
        if self.app.followup is not None:
            textback = QPushButton("Text-back…", objectName="textbackButton")
            textback.setToolTip("The missed-call text and its switch (owner)")
            textback.clicked.connect(self.open_textback_settings)
            row.addWidget(textback)
        row.addWidget(QLabel(f"Signed in as {self.who}", objectName="deskUser"))
        self.menu_button = QToolButton(objectName="menuButton", text="☰  Menu")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.menu_button)
        menu.addAction("Settings… (owner)", self.open_settings)
        menu.addAction("Copy diagnostics", self.copy_diagnostics)
        menu.addSeparator()
        menu.addAction(f"About {APP_NAME}", self.about)
        self.menu_button.setMenu(menu)
        row.addWidget(self.menu_button)
        return header

    def _shortcuts(self) -> None:
        detail = self.queue_tab.detail
        bindings = {
            "Ctrl+K": lambda: self._on_selected(self.claim),
            "Ctrl+B": lambda: self._on_selected(self.called_back),
            "Ctrl+R": detail.open_resolve_menu,
            "Ctrl+L": lambda: self._on_selected(self.open_lead_form),
            "Ctrl+Shift+C": detail.copy_number,
            "Ctrl+Return": detail.dial,
            "F5": self.poll,
            "Ctrl+0": lambda: self.queue_tab.set_lane(None),
        }
        for n, lane in enumerate(LANE_ORDER, start=1):
            bindings[f"Ctrl+{n}"] = lambda lane=lane: self.queue_tab.set_lane(lane)
        for keys, slot in bindings.items():
            QShortcut(QKeySequence(keys), self, activated=slot)

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Begin polling and ticking; load what is already stored at once."""
        self.refresh_board()
        self.refresh_health()
        self.leads_tab.refresh()
        self.runner.submit(self.app.duplicates.warm)  # the first lead form warns at once
        if self.app.sync is not None:
            self.poll()
            self.poll_timer.start()
        if self.app.delivery is not None:
            self.check_alerts()  # first where the alerts stand (then deliver): new ones show
            self.deliver_timer.start()
        if self.app.crm_sync is not None:
            self.poll_crm()
            self.crm_timer.start()
        if self.app.emergencies is not None:
            self.check_emergencies()
            self.emergency_timer.start()
        if self.app.followup is not None:
            self.follow_up()
            self.followup_timer.start()
        self.tick_timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.shown.emit()

    def closeEvent(self, event) -> None:
        self._closing = True
        if self.outcomes_tab is not None:
            self.outcomes_tab.lock()  # keeps the owner's last ROI inputs (a worker write)
        for timer in (self.poll_timer, self.tick_timer, self.deliver_timer, self.crm_timer,
                      self.emergency_timer, self.followup_timer):
            timer.stop()
        if self.app.sync is not None:
            self.app.sync.stop()  # a long import ends after its current page
        if self.serial is not self.runner:
            self.serial.shutdown(5000)
        self.runner.shutdown(5000)
        super().closeEvent(event)

    # -- sync ------------------------------------------------------------------------------
    def poll(self) -> None:
        if self.app.sync is None or self._polling:
            return  # one poll per connector at a time
        self._polling = True
        self.runner.submit(self.app.sync.poll, on_done=self._polled, on_error=self._poll_crashed,
                           on_progress=self._poll_progress)

    def _poll_progress(self, result: SyncResult) -> None:
        """A long poll (the first backfill) says how far it got, page by page."""
        if result.pages >= 2:
            self.status.show_poll(f"Importing call history… {result.calls_seen:,} calls read, "
                                  f"{result.new_calls:,} new")

    def _polled(self, result: SyncResult) -> None:
        self._polling = False
        if result.alerts:
            self.check_emergencies()  # an emergency is shown in the pass that found it
        self.polled.emit(result)
        if result.error:
            self.status.show_poll(f"Last poll failed: {result.error}")
        elif result.new_items or result.merged_calls:
            self.status.show_poll(f"{result.new_items} new caller(s), "
                                  f"{result.merged_calls} repeat call(s) in the last poll")
        if result.changed:
            self.refresh_board()
        self.refresh_health()

    def _poll_crashed(self, exc: Exception) -> None:
        self._polling = False
        self.status.show_poll(f"Sync stopped with an unexpected error: {exc}")
        self.refresh_health()

    # -- the CRM ---------------------------------------------------------------------------
    def deliver(self) -> None:
        if self.app.delivery is None or self._delivering or not self._alerts_started:
            return  # one delivery run at a time, once we know which alerts are new
        self._delivering = True
        self.runner.submit(self.app.delivery.run_due, 100, lambda: self._closing,
                           on_done=self._delivered, on_error=self._delivery_crashed)

    def _delivered(self, report) -> None:
        self._delivering = False
        self.check_alerts()
        self.delivered.emit(report)
        if report.delivered:
            self.status.show_poll(f"{len(report.delivered)} lead(s) delivered to "
                                  f"{self.app.crm.label}")
        if report.delivered or report.failed or report.alerts:
            self.leads_tab.refresh()
            self.refresh_health()

    def _delivery_crashed(self, exc: Exception) -> None:
        self._delivering = False
        log.error("delivery run failed: %s", exc)
        self.status.show_poll(f"Lead delivery stopped with an unexpected error: {exc}")

    def poll_crm(self) -> None:
        if self.app.crm_sync is None or self._crm_polling:
            return
        self._crm_polling = True
        self.runner.submit(self.app.crm_sync.poll, lambda: self._closing,
                           on_done=self._crm_polled, on_error=self._crm_polled)

    def _crm_polled(self, _result) -> None:
        self._crm_polling = False
        self.refresh_health()

    def check_alerts(self) -> None:
        """Show each delivery-failure alert once on this desk, whichever process raised it
        (this desk's worker, another desk, or `frontdesk deliver` on a back-office PC),
        including those raised while this desk was closed. The last one shown is kept in
        the data folder (desk.json); a new desk starts from the newest."""
        if self.app.delivery is None or self._checking_alerts:
            return
        self._checking_alerts = True
        self.runner.submit(self._show_new_alerts, self._alert_seq,
                           on_done=self._alerts_checked, on_error=self._alerts_checked)

    def _show_new_alerts(self, seq: int | None) -> int:
        """Worker thread: read the new alerts, notify (plyer, else the queued signal) and
        remember how far this desk got."""
        memory = self.app.desk_file
        remembered = memory.read().get("last_alert_seq") if seq is None else seq
        seq = remembered if isinstance(remembered, int) else self.app.delivery.last_alert_seq()
        for seq, words in self.app.delivery.alerts_after(seq):
            self.app.notifier.notify("Lead not delivered", words)
        if seq != remembered:  # the file changes only when there is something new to keep
            memory.update({"last_alert_seq": seq})
        return seq

    def _alerts_checked(self, seq) -> None:
        self._checking_alerts = False
        if isinstance(seq, int):
            self._alert_seq = seq
        else:
            log.warning("could not check for delivery alerts: %s", seq)  # next tick retries
        if not self._alerts_started:
            self._alerts_started = True
            self.deliver()

    # -- follow-up -------------------------------------------------------------------------
    def follow_up(self) -> None:
        if self.app.followup is None or self._following_up or self._closing:
            return
        self._following_up = True
        self.runner.submit(self._follow_up_pass, on_done=self._followed_up,
                           on_error=self._follow_up_failed)

    def _follow_up_pass(self):
        """Worker thread: read inbound texts first (a STOP must stop the next text-back),
        then run what is due, and notify unclaimed callers (plyer, else the status bar)."""
        messages = self.app.messages.poll()
        report = self.app.followup.run_due()
        for words in unclaimed_words(report.unclaimed):
            self.app.notifier.notify("Caller waiting", words)
        return messages, report

    def _followed_up(self, outcome) -> None:
        self._following_up = False
        messages, report = outcome
        if report.unclaimed and self.tray is not None:
            self.tray.showMessage("Caller waiting", unclaimed_words(report.unclaimed)[0],
                                  QSystemTrayIcon.MessageIcon.Warning, 15_000)
        if messages.error:
            self.statusBar().showMessage(f"Could not read texts: {messages.error}", 30_000)
            self.refresh_health()  # the phone line's status names it at once
        elif messages.opted_out:
            self.statusBar().showMessage(f"{', '.join(messages.opted_out)} asked not to be "
                                         "texted: on the do-not-text list", 30_000)
        if report.texted or report.closed:
            self.status.show_poll(f"Follow-up: {len(report.texted)} text-back(s) sent, "
                                  f"{len(report.closed)} caller(s) closed as no response")
        if report.changed or messages.new or report.unclaimed:
            self.refresh_board()
        self.followed_up.emit(outcome)

    def _follow_up_failed(self, exc: Exception) -> None:
        self._following_up = False
        log.error("follow-up pass failed: %s", exc)
        self.statusBar().showMessage(f"Follow-up stopped with an unexpected error: {exc}",
                                     30_000)

    def skip_task(self, task_id: int) -> None:
        dialog = ReasonDialog("Skip this callback", "The plan moves on to its next step. "
                              "Say why, for the record.", self,
                              reason_hint="e.g. she texted: call after 3 pm")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            _, why = dialog.values()
            self.runner.submit(self.app.followup.skip, task_id, self.who, why,
                               on_done=self._acted, on_error=self._report)

    def reassign(self, item_id: int) -> None:
        people = sorted({r.owner for r in self.model.rows() if r.owner} - {None})
        dialog = ReasonDialog("Reassign this caller", "Hand this caller to someone else. "
                              "The reason goes in the caller's history.", self,
                              ask_person=True, people=people,
                              reason_hint="e.g. Lee knows this customer")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            to, why = dialog.values()
            self.runner.submit(self.app.queue.reassign, item_id, self.who, to, why,
                               on_done=self._acted, on_error=self._report)

    def open_textback_settings(self):
        """Read the settings on a worker, then open the owner's dialog. Returns the dialog
        when it opened at once (the synchronous runner of the tests), else None."""
        self.textback_dialog = None

        def show(loaded):
            from desktop.ui.textback_dialog import TextBackDialog
            rules, settings = loaded
            dialog = TextBackDialog(self.app, self.runner, self.who, rules, settings, self)
            dialog.saved.connect(lambda: self.statusBar().showMessage(
                "Text-back settings saved", 8000))
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()
            self.textback_dialog = dialog

        self.runner.submit(lambda: (self.app.followup.rules(), self.app.settings_service.load()),
                           on_done=show, on_error=self._report)
        return self.textback_dialog

    # -- emergencies -----------------------------------------------------------------------
    def check_emergencies(self) -> None:
        if self.app.emergencies is None or self._closing:
            return
        if self._checking_emergencies:
            self._emergency_again = True  # one more pass once this one lands
            return
        self._checking_emergencies = True
        self.runner.submit(self._emergency_pass, on_done=self._emergencies_checked,
                           on_error=self._emergency_check_failed)

    def _emergency_pass(self):
        """Worker thread: escalate what is due, notify what needs (re)notifying (plyer, or
        the banner as the fallback), and read the open alerts for the banner."""
        service = self.app.emergencies
        notified, escalated = [], []
        try:  # first the people in the room, then the on-call person (a slow provider)
            notified = service.due_notifications()
            for alert in notified:
                self.app.notifier.notify("Emergency call",
                                         f"{alert.headline()}. {alert.status()}")
        except Exception:
            log.exception("emergency notifications failed")
        try:
            escalated = service.escalate_due()
        except Exception:
            log.exception("emergency escalation failed; the next check tries again")
        return notified, escalated, service.open_alerts()

    def _emergencies_checked(self, outcome) -> None:
        self._checking_emergencies = False
        notified, escalated, open_alerts = outcome
        self.banner.show_alerts(open_alerts)
        if notified:
            QApplication.beep()
            if self.tray is not None:
                first = notified[0]
                self.tray.showMessage("Emergency call", first.headline(),
                                      QSystemTrayIcon.MessageIcon.Critical, 30_000)
            self.refresh_board()
            self.emergency_shown.emit(notified)
        for alert in escalated:
            self.statusBar().showMessage(f"Emergency: {alert.status()}", 60_000)
        self.emergencies_loaded.emit(open_alerts)
        if self._emergency_again:
            self._emergency_again = False
            self.check_emergencies()

    def _emergency_check_failed(self, exc: Exception) -> None:
        self._checking_emergencies = False
        log.error("emergency check failed: %s", exc)
        self.statusBar().showMessage(f"Could not check emergency alerts: {exc}", 30_000)

    def acknowledge_alert(self, alert_id: int) -> None:
        self._alert_action(self.app.emergencies.acknowledge, alert_id)

    def confirm_alert(self, alert_id: int) -> None:
        self._alert_action(self.app.emergencies.confirm, alert_id)

    def downgrade_alert(self, alert_id: int, urgency: str) -> None:
        self._alert_action(self.app.emergencies.downgrade, alert_id, urgency)

    def _alert_action(self, action, alert_id: int, *extra) -> None:
        self.runner.submit(action, alert_id, self.who, *extra,
                           on_done=self._alert_acted, on_error=self._report)

    def _alert_acted(self, _view) -> None:
        self.check_emergencies()  # a confirmation escalates at once
        self.refresh_board()

    # -- desktop citizenship -------------------------------------------------------------
    def show_open_count(self, count: int) -> None:
        """The count of callers waiting: in the title, the tray's tooltip and its icon."""
        if count == self.open_count:
            return
        self.open_count = count
        waiting = f"{count} caller{'s' if count != 1 else ''} waiting"
        self.setWindowTitle(f"{APP_NAME} — {self.app.settings['business.name']}"
                            + (f" ({waiting})" if count else ""))
        if self.tray is not None:
            self.tray.setToolTip(f"{APP_NAME}: {waiting}" if count else
                                 f"{APP_NAME}: nobody waiting")
            self.tray.setIcon(badged_icon(QApplication.windowIcon(), count))

    def bring_forward(self) -> None:
        """A second launch, or the tray icon: show this window on top."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def open_settings(self) -> None:
        from desktop.ui.owner_dialog import ask_owner_passcode
        ask_owner_passcode(self.app.settings_service.owner, self.runner, "Settings", self,
                           on_accepted=self._show_settings, on_error=self._report,
                           on_open=lambda dialog: setattr(self, "passcode_dialog", dialog))

    def _show_settings(self, passcode: str) -> None:
        from desktop.adapters.autostart import Autostart
        from desktop.ui.settings_dialog import SettingsDialog
        dialog = SettingsDialog(self.app, self.runner, self.who, passcode, Autostart(), self)
        dialog.restart_needed.connect(self.offer_restart)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.settings_dialog = dialog

    def offer_restart(self, why: str) -> None:
        answer = QMessageBox.question(
            self, APP_NAME, f"The {why}. Restart Front Desk now to use it? (Nothing typed "
            "in an open lead form is lost: drafts are kept.)")
        if answer == QMessageBox.StandardButton.Yes:
            self.restart()

    def restart(self) -> None:
        """Close, and let the entry reopen the desk on the new setup: the dialogs bound to
        this desk and its tray icon go with it."""
        self.restart_requested = True
        for dialog in self.findChildren(QDialog):
            dialog.close()
        if self.tray is not None:
            self.tray.hide()
        self.close()

    def copy_diagnostics(self) -> None:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion
        screen = self.screen()
        extra = {"Qt": f"{qVersion()} (PySide6 {pyside_version})",
                 "screen": (f"{screen.size().width()}x{screen.size().height()} at "
                            f"{screen.devicePixelRatio():g}x") if screen else "n/a"}
        self.runner.submit(self.app.diagnostics.text, extra, on_done=self._diagnostics_ready,
                           on_error=self._report)

    def _diagnostics_ready(self, text: str) -> None:
        QApplication.clipboard().setText(text)
        self.diagnostics_text = text
        self.statusBar().showMessage("Diagnostics copied: paste them into an email to "
                                     "support. No password or key is in them.", 15000)

    def about(self) -> None:
        from PySide6 import __version__ as pyside_version
        QMessageBox.about(self, f"About {APP_NAME}", (
            f"<h3>{APP_NAME} {__version__}</h3>"
            "<p>The missed-call desk for home-service shops.</p>"
            f"<p>Data folder: {self.app.data_dir}<br>"
            f"Python {sys.version.split()[0]}, Qt (PySide6) {pyside_version}</p>"
            "<p>Credentials are kept in Windows Credential Manager, never in a file.</p>"))

    def show_caller(self, item_id: int) -> None:
        self.tabs.setCurrentWidget(self.queue_tab)
        self.queue_tab.select_item(item_id)

    def show_alert(self, title: str, message: str) -> None:
        """Where no native notification could be shown: the status bar and the Leads tab."""
        self.statusBar().showMessage(f"⚠ {title}: {message}", 60_000)
        self.leads_tab.refresh()

    def _flag_leads_tab(self, failed: int) -> None:
        index = self.tabs.indexOf(self.leads_tab)
        self.tabs.setTabText(index, f"Leads  ✘ {failed}" if failed else "Leads")

    # -- refreshing ------------------------------------------------------------------------
    def refresh_board(self) -> None:
        # Reads run in parallel and may finish out of order: number them, and let only the
        # newest one land, so an old board never overwrites a newer one.
        self._board_requests += 1
        number = self._board_requests
        self.runner.submit(self.app.queue.board,
                           on_done=lambda rows: self._board_loaded(rows, number),
                           on_error=self._report)

    def _board_loaded(self, rows, number: int | None = None) -> None:
        if number is not None:
            if number < self._board_applied:
                return
            self._board_applied = number
        selected = self.queue_tab.selected_id()
        self.model.set_rows(rows)
        if selected is not None and self.queue_tab.selected_id() != selected:
            self.queue_tab.select_item(selected)  # a big refresh resets the model
        if selected is not None:
            self.load_detail(selected)
        elif self.queue_tab.proxy.rowCount():
            self.queue_tab.table.selectRow(0)
        if self.tabs.currentWidget() is self.changelog_tab:
            self.changelog_tab.refresh()
        self.show_open_count(sum(1 for row in rows if row.state != "done"))
        self.board_loaded.emit()

    def refresh_health(self) -> None:
        self.runner.submit(self.app.health.rows,
                           on_done=lambda result: self.status.show_health(*result))

    def load_detail(self, item_id) -> None:
        if item_id is None:
            self.queue_tab.detail.show_detail(None)
            return
        self.runner.submit(self.app.queue.detail, item_id, on_done=self._detail_loaded,
                           on_error=self._report)

    def _detail_loaded(self, detail) -> None:
        if detail.row.id == self.queue_tab.selected_id():
            self.queue_tab.detail.show_detail(detail, self.model.now)

    def _tick(self) -> None:
        self.model.tick()
        self._ticks += 1
        if self._ticks % 5 == 0:  # "synced 12 s ago" stays true between polls
            self.refresh_health()
            self.check_alerts()  # alerts raised by other desks or a headless worker

    def _tab_changed(self, _index: int) -> None:
        current = self.tabs.currentWidget()
        if self.outcomes_tab is not None and current is not self.outcomes_tab:
            self.outcomes_tab.lock()  # the owner's figures never stay open behind her back
        if current is self.changelog_tab:
            self.changelog_tab.refresh()
        elif current is self.leads_tab:
            self.leads_tab.refresh()
        elif current is self.outcomes_tab:
            self.outcomes_tab.refresh()

    # -- actions ---------------------------------------------------------------------------
    def _on_selected(self, action) -> None:
        item_id = self.queue_tab.selected_id()
        if item_id is not None:
            action(item_id)

    def claim(self, item_id: int) -> None:
        self.runner.submit(self.app.queue.claim, item_id, self.who,
                           on_done=self._acted, on_error=self._report)

    def called_back(self, item_id: int) -> None:
        self.runner.submit(self.app.queue.mark_called_back, item_id, self.who,
                           on_done=self._acted, on_error=self._report)

    def resolve(self, item_id: int, disposition: str, seen_calls: int | None = None) -> None:
        self.runner.submit(self.app.queue.resolve, item_id, self.who, disposition, None,
                           seen_calls, on_done=self._acted, on_error=self._report)

    def _acted(self, _row) -> None:
        self.refresh_board()

    def open_lead_form(self, item_id: int) -> LeadForm | None:
        row = self.model.row_for(item_id)
        if row is None:
            return None
        form = LeadForm(self.app.leads, self.runner, self.who,
                        service_types=self.app.settings["lead.service_types"],
                        sources=self.app.settings["lead.sources"],
                        prefill={"name": row.display_name or "", "phone": row.phone,
                                 "source": row.source or "", "notes": row.transcript or ""},
                        queue_item_id=item_id, duplicates=self.app.duplicates,
                        writer=self.serial, parent=self)
        form.saved.connect(self._lead_saved)
        self.runner.submit(self.app.leads.load_draft, self.who, item_id,
                           on_done=form.restore_draft)  # after a crash, what was typed
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one form per lead, not a pile
        form.open()
        return form

    def _lead_saved(self, _lead) -> None:
        self.app.duplicates.invalidate()
        self.refresh_board()
        self.leads_tab.refresh()
        self.deliver()  # send it now, not at the next tick

    def _report(self, exc: Exception) -> None:
        if isinstance(exc, (QueueRuleError, AlertRuleError, FollowUpError, OwnerRefused)):
            self.statusBar().showMessage(str(exc), 8000)
            self.refresh_board()
            return
        log.error("action failed: %s", exc)
        QMessageBox.warning(self, APP_NAME, f"That did not work: {exc}")
