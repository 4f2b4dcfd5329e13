"""The one composition root: data folder, settings, database, secrets, connectors, services.

Everything else receives what it needs from here; nothing else reads the environment.
"""

from __future__ import annotations

import getpass
import importlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from logging.handlers import RotatingFileHandler
from pathlib import Path
from zoneinfo import ZoneInfo

import platformdirs
from sqlalchemy.engine import make_url
import tzlocal

from desktop import APP_ID
from desktop.adapters import process
from desktop.adapters.crm.base import Crm, SecretAccess
from desktop.adapters.crm.builtin import BuiltinCrm
from desktop.adapters.db import migrate
from desktop.adapters.db.health import check_database
from desktop.adapters.db.engine import make_engine, make_sessionmaker
from desktop.adapters.db.uow import uow_factory
from desktop.adapters.notify import Notifier
from desktop.adapters.phone.base import PhoneProvider, ProblemKind, ProviderError
from desktop.adapters.secrets import RedactingFormatter, SecretStore, SecretStoreUnavailable
from desktop.adapters.settings_file import SettingsFile
from desktop.config import Settings
from desktop.domain import crm as crm_rules
from desktop.domain.changelog import worker
from desktop.domain.clock import Clock, utcnow
from desktop.domain.oncall import OpeningHours
from desktop.services.changelog import ChangeLogService
from desktop.services.crm_access import ScopedCrm
from desktop.services.crm_sync import CrmSync
from desktop.services.delivery import DeliveryService, QueueForDelivery
from desktop.services.duplicates import DuplicateService
from desktop.services.emergencies import EmergencyService, Triager
from desktop.services.followup import FollowUpService
from desktop.services.health import HealthService
from desktop.services.intake import LeadService
from desktop.services.messages import ConsentService, MessageSync
from desktop.services.outcomes import OutcomesService
from desktop.services.diagnostics import Diagnostics
from desktop.services.setup import SetupService
from desktop.services.queue import QueueService
from desktop.services.settings import SettingsService
from desktop.services.sync import PhoneSync, SyncPolicy
from desktop.services.texting import Texting
from desktop.services.triage import TriageService

ENV_DATA_DIR = "FRONTDESK_DATA_DIR"
log = logging.getLogger(__name__)


def resolve_data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """--data-dir, else $FRONTDESK_DATA_DIR, else the user's local app-data folder."""
    chosen = explicit or os.environ.get(ENV_DATA_DIR)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_ID, appauthor=False, roaming=False))


@dataclass
class App:
    data_dir: Path
    settings: Settings
    clock: Clock
    engine: object
    uow: object
    secrets: SecretStore
    settings_service: SettingsService
    queue: QueueService
    leads: LeadService
    duplicates: DuplicateService
    changelog: ChangeLogService
    health: HealthService
    crm: Crm | BuiltinCrm          # where leads go: its label and connection test
    builtin: BuiltinCrm            # the local contact tables (demo data, CSV import)
    delivery: DeliveryService | None  # None with the built-in CRM (saving is delivery)
    crm_sync: CrmSync | None
    notifier: Notifier
    desk_file: SettingsFile          # this desk's own memory (alerts already shown)
    phone: PhoneProvider | None
    sync: PhoneSync | None
    migration: migrate.MigrationReport
    emergencies: EmergencyService | None = None  # None without a phone line
    followup: FollowUpService | None = None      # None without a phone line
    messages: MessageSync | None = None          # inbound texts; None without a phone line
    consent: ConsentService | None = None
    outcomes: OutcomesService | None = None
    setup: SetupService | None = None
    diagnostics: Diagnostics | None = None
    log_handler: logging.Handler | None = None

    @property
    def desk_user(self) -> str:
        return self.settings["desk.user"] or _login_name()

    @property
    def callback_target(self) -> timedelta:
        return timedelta(minutes=self.settings["queue.callback_target_minutes"])

    @property
    def poll_interval(self) -> timedelta:
        return timedelta(seconds=self.settings["phone.poll_seconds"])

    def check_database(self) -> tuple[bool, str]:
        return check_database(self.engine, self.migration.to_revision,
                              self.data_dir / "backups")

    def close(self) -> None:
        self.engine.dispose()
        if self.log_handler is not None:  # let go of the file (Windows cannot delete it)
            logging.getLogger().removeHandler(self.log_handler)
            self.log_handler.close()


def open_app(data_dir: Path, clock: Clock = utcnow, log_to_file: bool = True) -> App:
    data_dir.mkdir(parents=True, exist_ok=True)
    log_handler = _log_to(data_dir / "logs") if log_to_file else None
    settings_file = SettingsFile(data_dir / "config.json")
    secrets = SecretStore()
    url = settings_file.read().get("database.url") or f"sqlite:///{data_dir / 'frontdesk.db'}"
    engine = make_engine(with_password(url, secrets))
    report = migrate.upgrade(engine, data_dir / "backups", clock())
    if report.migrated:
        log.info("database migrated %s -> %s (backup: %s)", report.from_revision,
                 report.to_revision, report.backup)
    uow = uow_factory(make_sessionmaker(engine))
    settings_service = SettingsService(uow, settings_file, clock)
    settings = settings_service.load()
    builtin = BuiltinCrm(uow)
    notifier = Notifier()
    remote = _crm(settings, secrets, clock)
    delivery = crm_sync = None
    destination = builtin
    if remote is not None:
        scoped = ScopedCrm(remote, settings["crm.scopes"])
        delivery = DeliveryService(
            uow, scoped, field_map=field_map(settings, remote),
            rules=crm_rules.RetryRules(
                limit=settings["crm.retry_limit"],
                alert_after=timedelta(minutes=settings["crm.alert_after_minutes"])),
            me=process.this_process(), holder_is_gone=process.holder_is_gone, clock=clock)
        crm_sync = CrmSync(uow, scoped, clock)
        destination = QueueForDelivery(remote.name, remote.label)
    phone = _phone(settings, secrets, clock)
    health = HealthService(uow, timedelta(seconds=settings["phone.poll_seconds"]), clock,
                           timedelta(seconds=settings["crm.poll_seconds"]))
    sync = emergencies = followup = messages = None
    if phone is not None:
        zone = ZoneInfo(settings["business.timezone"])
        triager = Triager(TriageService(settings),
                          OpeningHours.parse(settings["business.hours"]), zone)
        texting = Texting(uow, phone, settings["phone.scopes"], clock)
        followup = FollowUpService(uow, texting, settings, clock, reload=settings_service.load)
        overlap = timedelta(seconds=settings["phone.overlap_seconds"])
        backfill = timedelta(days=settings["phone.backfill_days"])
        sync = PhoneSync(uow, phone, SyncPolicy(
            overlap=overlap, backfill=backfill,
            source_by_number=settings["phone.source_by_number"]), clock, triager=triager,
            planner=followup.planner)
        messages = MessageSync(uow, phone, texting, settings["business.name"], clock,
                               overlap=overlap, backfill=backfill)
        emergencies = EmergencyService(uow, texting, settings, clock,
                                       reload=settings_service.load)
    return App(
        data_dir=data_dir, settings=settings, clock=clock, engine=engine, uow=uow,
        secrets=secrets, settings_service=settings_service,
        queue=QueueService(uow, clock,
                           follow_up_after=timedelta(minutes=settings["queue.follow_up_minutes"]),
                           done_visible=timedelta(hours=settings["queue.done_visible_hours"]),
                           followup=followup),
        leads=LeadService(uow, destination, clock, settings["lead.required_fields"],
                          settings["phone.region"]),
        duplicates=DuplicateService(uow, settings["phone.region"]),
        changelog=ChangeLogService(uow),
        health=health,
        crm=remote or builtin, builtin=builtin, delivery=delivery, crm_sync=crm_sync,
        notifier=notifier, desk_file=SettingsFile(data_dir / "desk.json"), phone=phone,
        sync=sync, migration=report, emergencies=emergencies, followup=followup,
        messages=messages, consent=ConsentService(uow, clock),
        outcomes=OutcomesService(uow, ZoneInfo(settings["business.timezone"]),
                                 settings["outcomes.attribution_days"], clock),
        setup=SetupService(settings_service, secrets, Connectors(clock), clock),
        diagnostics=Diagnostics(data_dir, settings_service, secrets, health, report,
                                settings_file.read().get("database.url") or ""),
        log_handler=log_handler)


class Connectors:
    """Builds connectors from candidate settings and credentials (the setup's "Test
    connection", before anything is stored): the same factories the app runs with."""

    def __init__(self, clock: Clock):
        self.clock = clock

    def phone(self, settings: Settings, secret) -> PhoneProvider | None:
        return _phone_from(settings, secret, self.clock)

    def crm(self, settings: Settings, get, set_=None) -> Crm | None:
        name = settings["crm.provider"]
        if name == "builtin":
            return None
        module = importlib.import_module(f"desktop.adapters.crm.{name}")
        return module.from_settings(settings, SecretAccess(get=get, set=set_), self.clock)

    @staticmethod
    def field_map(settings: Settings, crm: Crm) -> dict:
        return field_map(settings, crm)


def _crm(settings: Settings, secrets: SecretStore, clock: Clock) -> Crm | None:
    """The shop's own CRM, when it has one (None: the built-in CRM). Like the phone
    adapters, each CRM module builds itself from settings (`from_settings`)."""
    return Connectors(clock).crm(settings, keyring_reader(secrets), secrets.set)


def field_map(settings: Settings, crm: Crm) -> dict:
    """The adapter's default lead -> CRM field map with the owner's changes."""
    return crm_rules.effective_map(crm.default_field_map,
                                   settings["crm.field_map"].get(crm.name, {}))


def _phone(settings: Settings, secrets: SecretStore, clock: Clock) -> PhoneProvider | None:
    """Each provider module builds itself from settings (`from_settings`), so what a vendor
    needs stays in the vendor's module; credentials are read from the keyring on use."""
    return _phone_from(settings, keyring_reader(secrets), clock)


def _phone_from(settings: Settings, secret, clock: Clock) -> PhoneProvider | None:
    name = settings["phone.provider"]
    if name == "none":
        return None
    if name == "simulator":
        from desktop.adapters.phone.simulator import SimulatedLine
        return SimulatedLine(
            seed=settings["phone.simulator.seed"], timezone=settings["business.timezone"],
            start=_moment(settings["phone.simulator.start"]),
            live_from=_moment(settings["phone.simulator.live_from"]),
            live_gap_seconds=settings["phone.simulator.live_gap_seconds"], clock=clock)
    module = importlib.import_module(f"desktop.adapters.phone.{name}")
    return module.from_settings(settings, secret, clock)


def keyring_reader(secrets: SecretStore):
    """secret(key) -> value or None; a missing keyring becomes a plain-words ProviderError
    at the moment a connector needs its credential (shown in the health area)."""
    def secret(key: str) -> str | None:
        try:
            return secrets.get(key)
        except SecretStoreUnavailable as exc:
            raise ProviderError(str(exc), ProblemKind.NOT_CONFIGURED) from None
    return secret


def _moment(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _local_zone() -> ZoneInfo:
    try:
        return ZoneInfo(tzlocal.get_localzone_name() or "UTC")
    except Exception:  # an unnamed or unknown local zone: fall back to UTC
        return ZoneInfo("UTC")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a service account or container
        return "desk"


def _log_to(folder: Path) -> logging.Handler | None:
    """A rotating log in the data folder; None when this process already logs to one."""
    root = logging.getLogger()
    if any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(folder / "frontdesk.log", maxBytes=2_000_000, backupCount=5,
                                  encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def with_password(url: str, secrets: SecretStore) -> str:
    """A database password lives in the keyring (secret `database.password`), never in the
    settings file: merge it into the URL only here, in memory."""
    parsed = make_url(url)
    if parsed.username and parsed.password is None:
        password = secrets.get("database.password")
        if password:
            return parsed.set(password=password).render_as_string(hide_password=False)
    return url


# -- demo mode ---------------------------------------------------------------------------
DEMO_BUSINESS = "Riverside Plumbing & Heating"
DEMO_PASSCODE = "1234"


def make_demo_dir(clock: Clock = utcnow, history_days: int = 0, progress=None) -> Path:
    """A throwaway data folder with the simulator line, the built-in CRM and some customers;
    with `history_days`, the shop's past weeks lived through the real services first (see
    desktop/demo_history.py), so Outcomes has something to show."""
    data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-demo-"))
    app = open_app(data_dir, clock)
    now = clock()
    zone = _local_zone()  # the demo shop sits in the viewer's own time zone
    local = now.astimezone(zone)
    opening = local.replace(hour=6, minute=0, second=0, microsecond=0)
    # Seed the morning so far; before 9 am there is no morning yet, so take three hours.
    start = opening if local.hour >= 9 else local - timedelta(hours=3)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    past = midnight - timedelta(days=history_days) if history_days else None
    actor = worker("demo")
    # The demo's owner passcode is public (README): the demo shows the owner's screens too.
    app.settings_service.owner.set(DEMO_PASSCODE, None, actor)
    app.settings_service.set_many({
        "business.name": DEMO_BUSINESS,
        "business.timezone": str(zone),
        "phone.provider": "simulator",
        "phone.poll_seconds": 3,
        "phone.simulator.start": (past or start).isoformat(timespec="seconds"),
        "phone.backfill_days": history_days + 1,
        # Start the demo-pace stream a little in the past, so calls are already ringing
        # when the window opens: a call shows once it has finished (rung out, voicemail).
        "phone.simulator.live_from": (now - timedelta(seconds=90)).isoformat(timespec="seconds"),
        "phone.simulator.live_gap_seconds": 5,  # a lively demo: a missed call every ~10 s
        "desk.user": "Dana",
        # Someone to escalate to (a fiction number): the demo line sends no real texts.
        "oncall.rota": {day: {"name": "Sam Ortiz", "phone": "+13125550199"}
                        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        # Missed callers get the text-back; the simulated customers answer some texts
        # (a few with STOP), so the do-not-text list fills as the demo runs.
        "phone.scopes": ["phone:read_calls", "phone:send_sms"],
        "textback.enabled": not history_days,  # the past had no texts; on from today
    }, actor, reason="demo mode", passcode=DEMO_PASSCODE)
    from desktop.adapters.phone.simulator import REGULAR_CALLERS
    for index, (name, phone) in enumerate(REGULAR_CALLERS[:25]):
        since = now - timedelta(days=40 + 37 * index)
        app.builtin.add_contact(name, phone, now, actor, created_at=since)
    app.close()
    if past is not None:
        from desktop.demo_history import seed_history
        seed_history(data_dir, past, midnight, zone, open_app, progress)
        app = open_app(data_dir, clock)
        app.settings_service.set_many({"textback.enabled": True}, actor, reason="demo mode",
                                      passcode=DEMO_PASSCODE)
        app.close()
    return data_dir
