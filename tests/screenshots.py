"""Make the README screenshots from the real demo:

    xvfb-run -a -s "-screen 0 1920x1080x24" uv run python tests/screenshots.py

It builds a demo data folder exactly as `frontdesk --demo` does, with the clock pinned to
a busy weekday afternoon (so the pictures do not depend on when they are taken), opens
the real window on the xcb platform, lets the sync worker fill the queue, and grabs the
screen: the queue, the lead form (with a validation message showing), the change log, and
the Outcomes tab (as the desk sees it, then the owner's view with the ROI model).
Then it opens a second desk whose leads go to HubSpot (the loopback fake from the tests)
and shows the Leads tab with a lead that could not be delivered.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from desktop.bootstrap import make_demo_dir, open_app
from desktop.demo_history import DEMO_HISTORY_DAYS
from desktop.domain.changelog import person
from desktop.domain.leads import LeadDraft
from desktop.ui.app import make_qapp
from desktop.ui.main_window import MainWindow
from desktop.ui.models.queue_model import ROW_ROLE
from desktop.ui.workers import TaskRunner


class PinnedClock:
    """Starts at a chosen moment and runs at real speed from there."""

    def __init__(self, start: datetime):
        self.start, self.t0 = start, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def busy_afternoon() -> datetime:
    local = datetime.now().astimezone()
    days_back = (local.weekday() - 1) % 7 or 7  # the most recent Tuesday before today
    return (local - timedelta(days=days_back)).replace(hour=14, minute=35, second=0,
                                                       microsecond=0)


def grab(widget, path: Path) -> None:
    QApplication.processEvents()
    screen = widget.screen() or QGuiApplication.primaryScreen()
    pixmap = screen.grabWindow(widget.winId())
    if pixmap.isNull() or pixmap.width() < 10:
        pixmap = widget.grab()  # platforms without screen capture (offscreen)
    pixmap.save(str(path))
    print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("resources/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    qapp = make_qapp()
    qapp.setQuitOnLastWindowClosed(False)  # one window closes before the next opens
    clock = PinnedClock(busy_afternoon())
    app = open_app(make_demo_dir(clock, history_days=DEMO_HISTORY_DAYS), clock=clock)
    window = MainWindow(app, TaskRunner(), demo=True)
    window.show()
    window.start()

    def rows():
        proxy = window.queue_tab.proxy
        return [proxy.index(n, 0).data(ROW_ROLE) for n in range(proxy.rowCount())]

    def stage_queue():
        listed = rows()
        if len(listed) > 3:  # someone is already on the second caller
            window.claim(listed[1].id)
        spoken = [r for r in listed if r.transcript and len(r.transcript) > 80]
        QTimer.singleShot(800, lambda: pick(spoken[0] if spoken else listed[0]))

    def pick(row):
        window.queue_tab.select_item(row.id)
        QTimer.singleShot(800, lambda: shoot_queue(row))

    def shoot_queue(row):
        grab(window, args.out / "queue.png")
        form = window.open_lead_form(row.id)
        form.inputs["email"].setText("not-an-email")
        form.inputs["service_address"].setFocus()
        form.refresh_errors()
        form._changed("email")
        QTimer.singleShot(600, lambda: shoot_form(form))

    def shoot_form(form):
        grab(form, args.out / "lead-form.png")
        form.reject()
        from desktop.adapters.phone.simulator import REGULAR_CALLERS
        known = {phone for _, phone in REGULAR_CALLERS[:25]}
        repeat = next((r for r in rows() if r.phone in known), None)
        if repeat is None:
            return open_textback()
        form = window.open_lead_form(repeat.id)
        QTimer.singleShot(1500, lambda: shoot_duplicate(form))

    def shoot_duplicate(form):
        grab(form, args.out / "lead-duplicate.png")
        form.reject()
        open_textback()

    def open_textback():
        window.open_textback_settings()
        QTimer.singleShot(800, lambda: shoot_textback(window.textback_dialog))

    def shoot_textback(dialog):
        grab(dialog, args.out / "textback.png")
        dialog.reject()
        shoot_changelog()

    def shoot_changelog():
        window.tabs.setCurrentWidget(window.changelog_tab)
        QTimer.singleShot(1200, shoot_log)

    def shoot_log():
        grab(window, args.out / "changelog.png")
        tab = window.outcomes_tab
        window.tabs.setCurrentWidget(tab)
        tab.loaded.connect(shoot_receptionist_outcomes)

    def shoot_receptionist_outcomes(_result):
        tab = window.outcomes_tab
        tab.loaded.disconnect(shoot_receptionist_outcomes)
        QTimer.singleShot(800, lambda: (grab(window, args.out / "outcomes-desk.png"),
                                        tab.unlock()))
        QTimer.singleShot(1600, shoot_owner_outcomes)

    def shoot_owner_outcomes():
        tab = window.outcomes_tab
        tab.roi.fill_from_history()
        QTimer.singleShot(800, lambda: (grab(window, args.out / "outcomes.png"),
                                        grab(tab.roi, args.out / "roi.png"),
                                        window.close(), shoot_leads(qapp, clock, args.out)))

    window.board_loaded.connect(lambda: None)
    QTimer.singleShot(4000, stage_queue)
    code = qapp.exec()
    app.close()
    return code


LEADS = [
    {"name": "Maria Gonzalez", "phone": "(773) 555-0142", "email": "maria@example.com",
     "service_address": "2214 W Belmont Ave, Chicago", "service_type": "Water heater",
     "urgency": "urgent", "source": "Google Ads"},
    {"name": "Dave Kowalski", "phone": "(312) 555-0100", "service_address": "88 N Wells St",
     "service_type": "Drain cleaning", "urgency": "routine", "source": "Yelp"},
    {"name": "Priya Shah", "phone": "(847) 555-0123", "email": "priya@example.com",
     "service_address": "19 Oak Ln, Evanston", "service_type": "Furnace / heating",
     "urgency": "emergency", "source": "Local Services Ads",
     "notes": "No heat, two small kids"},
]


def shoot_leads(qapp, clock, out: Path) -> None:
    """A desk delivering to HubSpot: two leads go through, then HubSpot fails and the
    third is flagged with HubSpot's words and a Retry button."""
    sys.path.insert(0, str(Path(__file__).parent))
    import keyring
    from conftest import MemoryKeyring  # the HubSpot token lives in memory for the picture
    from fake_hubspot import FakeHubSpot
    from loopback import shared_server

    keyring.set_keyring(MemoryKeyring())

    fake = FakeHubSpot(shared_server("hubspot"))
    folder = make_demo_dir(clock)
    app = open_app(folder, clock=clock)
    app.settings_service.set_many({**fake.settings(), "crm.retry_limit": 1},
                                  person("owner"))
    for key, value in fake.secrets().items():
        app.secrets.set(key, value)
    app.close()
    app = open_app(folder, clock=clock)
    app.notifier.use_plyer = False
    for values in LEADS[:2]:
        app.leads.create(LeadDraft.from_mapping(values), "Dana")
    app.delivery.run_due()
    fake.fail_next(50, "500")
    app.leads.create(LeadDraft.from_mapping(LEADS[2]), "Dana")
    app.delivery.run_due()
    window = MainWindow(app, TaskRunner())
    window.show()
    window.refresh_health()
    window.tabs.setCurrentWidget(window.leads_tab)

    def shoot():
        window.leads_tab.table.selectRow(0)
        QTimer.singleShot(500, lambda: (grab(window, out / "leads.png"), window.close(),
                                        shoot_setup(qapp, clock, out)))

    QTimer.singleShot(1500, shoot)


def shoot_setup(qapp, clock, out: Path) -> None:
    """The first-run setup on a new data folder: the shop; the phone system after a
    test with a revoked key (CallRail's loopback fake); the CRM with its field map."""
    import tempfile

    from fake_callrail import ACCOUNT_ID, FakeCallRail
    from fake_hubspot import FakeHubSpot
    from loopback import shared_server

    from desktop.ui.setup_wizard import open_setup
    from desktop.ui.workers import TaskRunner

    for vendor in ("callrail", "hubspot"):
        shared_server(vendor).clear()  # the Leads picture left HubSpot failing
    callrail = FakeCallRail(shared_server("callrail"))
    hubspot = FakeHubSpot(shared_server("hubspot"))
    app = open_app(Path(tempfile.mkdtemp(prefix="frontdesk-setup-")), clock=clock)
    opened = []
    runner = TaskRunner(parent=qapp)  # lives as long as the app: its tasks report to it
    open_setup(app, runner, "Dana", on_ready=opened.append)

    def business():
        wizard = opened[0]
        page = wizard.business
        page.name.setText("Riverside Plumbing & Heating")
        page.days["sat"][0].setChecked(True)
        QTimer.singleShot(600, lambda: (grab(wizard, out / "setup-business.png"),
                                        phone(wizard)))

    def phone(wizard):
        wizard.next()
        page = wizard.phone
        page.provider.setCurrentIndex(page.provider.findData("callrail"))
        page.inputs["phone.callrail.account_id"].setText(ACCOUNT_ID)
        page.inputs["phone.callrail.api_key"].setText("crk-revoked-key-from-last-year")
        page.base_url.setText(callrail.base_url)
        page.test()
        QTimer.singleShot(2500, lambda: (grab(wizard, out / "setup-phone.png"), crm(wizard)))

    def crm(wizard):
        from fake_callrail import API_KEY
        page = wizard.phone
        page.inputs["phone.callrail.api_key"].setText(API_KEY)
        page.test()
        QTimer.singleShot(2000, lambda: to_crm(wizard))

    def to_crm(wizard):
        wizard.next()
        page = wizard.crm
        page.provider.setCurrentIndex(page.provider.findData("hubspot"))
        page.inputs["crm.hubspot.token"].setText(hubspot.token)
        page.base_url.setText(hubspot.base_url)
        page.load_map()
        page.tested.connect(lambda ok, words: QTimer.singleShot(
            500, lambda: (grab(wizard, out / "setup-crm.png"), wizard.close(),
                          runner.wait(5000), app.close(), qapp.quit())))
        page.test()

    QTimer.singleShot(1500, business)


if __name__ == "__main__":
    raise SystemExit(main())
