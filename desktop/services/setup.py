"""First-run setup (and its re-runs from Settings): the shop, its phone system, its CRM and
the owner passcode, checked and tested before anything is stored.

The wizard fills a SetupDraft; this service says what is wrong with it in plain words,
tests a provider with the credentials as typed (nothing stored yet), and applies it all
at the end: secrets to the keyring, settings in one transaction (with the change log),
the owner passcode first when there is none. Connectors are built by the composition
root's factories, so no vendor module is imported here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from desktop.config import (CONNECTOR_FIELDS, CRM_LABELS, PHONE_LABELS, SETTINGS, Settings,
                            SettingError, setting)
from desktop.domain.crm import CRM_SCOPES, targets, unmapped_required
from desktop.domain.leads import LEAD_FIELDS
from desktop.domain.oncall import OpeningHours
from desktop.domain.triage import TRADES
from desktop.services.owner import MIN_LENGTH, OwnerRefused

log = logging.getLogger(__name__)
SHOP_TRADES = tuple(t for t in TRADES if t != "general")  # "general" is always on


class SetupProblem(ValueError):
    """What is wrong with a draft, field by field (`problems`: key -> message)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass
class ConnectionResult:
    ok: bool
    message: str
    rotated: dict[str, str] = field(default_factory=dict)  # secrets the provider renewed


@dataclass
class SetupDraft:
    """What the installer typed. Secrets typed as "" keep the one already stored."""

    business_name: str = ""
    timezone: str = ""
    hours: dict[str, str] = field(default_factory=dict)
    trades: list[str] = field(default_factory=list)
    phone_provider: str = ""
    phone_base_url: str = ""
    phone_values: dict[str, str] = field(default_factory=dict)
    crm_provider: str = "builtin"
    crm_base_url: str = ""
    crm_values: dict[str, str] = field(default_factory=dict)
    crm_scopes: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    new_passcode: str = ""
    repeat_passcode: str = ""
    current_passcode: str = ""  # asked when a passcode exists and the caller has none


class SetupService:
    def __init__(self, settings_service, secrets, connectors, clock):
        """`connectors.phone(settings, secret)` and `connectors.crm(settings, get, set)`
        build a connector from candidate settings (bootstrap's factories)."""
        self._settings, self._secrets = settings_service, secrets
        self._connectors, self._clock = connectors, clock

    # -- what there is -------------------------------------------------------------------
    def needed(self) -> bool:
        """The setup runs while no phone system is chosen."""
        return self._settings.load()["phone.provider"] == "none"

    def draft(self) -> SetupDraft:
        """The current setup as a draft (secrets left blank: stored ones are kept)."""
        s = self._settings.load()
        phone = s["phone.provider"]
        crm = s["crm.provider"]
        return SetupDraft(
            business_name=s["business.name"], timezone=s["business.timezone"],
            hours=dict(s["business.hours"]), trades=list(s["triage.trades"]),
            phone_provider="" if phone == "none" else phone, phone_base_url=s["phone.base_url"],
            phone_values={f.key: s[f.key] for fields in CONNECTOR_FIELDS.values()
                          for f in fields if not f.secret and f.key.startswith("phone.")},
            crm_provider=crm, crm_base_url=s["crm.base_url"],
            crm_values={}, crm_scopes=list(s["crm.scopes"]))

    def stored_secrets(self) -> set[str]:
        """Which secrets the keyring holds already (their values are never returned);
        none when there is no usable keyring (keyring_problem says so)."""
        if self.keyring_problem():
            return set()
        held = set()
        for fields in CONNECTOR_FIELDS.values():
            for f in fields:
                if f.secret and self._secrets.get(f.key):
                    held.add(f.key)
        return held

    def keyring_problem(self) -> str | None:
        """Why credentials cannot be stored on this PC, in words; None when they can."""
        if self._secrets.available():
            return None
        return ("No OS keyring is available to store credentials: on Windows this is the "
                "Credential Manager; on Linux install and unlock a Secret Service keyring "
                "(e.g. GNOME Keyring). The built-in CRM and the simulated line work "
                "without one.")

    def owner_is_set(self) -> bool:
        return self._settings.owner.is_set()

    # -- checks, page by page ------------------------------------------------------------
    def check_business(self, d: SetupDraft) -> dict[str, str]:
        problems = {}
        if not d.business_name.strip():
            problems["business.name"] = "Type the shop's name, as callers know it."
        for key, value in (("business.timezone", d.timezone), ("business.hours", d.hours)):
            try:
                setting(key).validate(value)
            except (SettingError, ValueError) as exc:
                problems[key] = str(exc)
        if not problems.get("business.hours") and not any(
                OpeningHours.parse(d.hours).spans.values()):
            problems["business.hours"] = "Open the shop at least one day a week."
        if not d.trades:
            problems["triage.trades"] = "Pick at least one trade."
        elif set(d.trades) - set(SHOP_TRADES):
            problems["triage.trades"] = f"Unknown trade(s): {sorted(set(d.trades) - set(SHOP_TRADES))}"
        return problems

    def check_phone(self, d: SetupDraft, stored: set[str] = frozenset()) -> dict[str, str]:
        if d.phone_provider not in PHONE_LABELS:
            return {"phone.provider": "Choose the shop's phone system."}
        return self._check_fields(d.phone_provider, d.phone_values, d.secrets, stored,
                                  d.phone_base_url, "phone.base_url")

    def check_crm(self, d: SetupDraft, stored: set[str] = frozenset()) -> dict[str, str]:
        if d.crm_provider not in CRM_LABELS:
            return {"crm.provider": "Choose where leads go."}
        problems = self._check_fields(d.crm_provider, d.crm_values, d.secrets, stored,
                                      d.crm_base_url, "crm.base_url")
        odd = [s for s in d.crm_scopes if s not in CRM_SCOPES]
        if odd:
            problems["crm.scopes"] = f"Unknown permission(s): {', '.join(odd)}"
        return problems

    def _check_fields(self, provider, values, secrets, stored, base_url, url_key):
        label = (PHONE_LABELS | CRM_LABELS)[provider]
        problems = {}
        if any(f.secret for f in CONNECTOR_FIELDS[provider]):
            missing = self.keyring_problem()
            if missing:  # its credentials could not be kept: say so before any test
                return {"keyring": f"{label} needs a place for its credentials. {missing}"}
        for f in CONNECTOR_FIELDS[provider]:
            typed = (secrets if f.secret else values).get(f.key, "")
            if f.required and not str(typed).strip() and not (f.secret and f.key in stored):
                problems[f.key] = f"{label} needs the {f.label.lower()}."
        try:
            setting(url_key).validate(base_url)
        except (SettingError, ValueError) as exc:
            problems[url_key] = str(exc)
        return problems

    def check_passcode(self, d: SetupDraft, is_set: bool,
                       need_current: bool = False) -> dict[str, str]:
        if need_current and not d.current_passcode:
            return {"owner.passcode": "Type the owner passcode that is already set (or "
                                      "ask the owner to finish the setup)."}
        if is_set and not d.new_passcode and not d.repeat_passcode:
            return {}  # the owner keeps the passcode they have
        if len(d.new_passcode) < MIN_LENGTH:
            return {"owner.passcode": f"The owner passcode needs at least {MIN_LENGTH} "
                                      "characters."}
        if d.new_passcode != d.repeat_passcode:
            return {"owner.passcode": "The two passcodes are not the same."}
        return {}

    # -- testing a connection with what was typed ----------------------------------------
    def _candidate(self, d: SetupDraft) -> Settings:
        current = self._settings.load().values
        values = {**current, "business.timezone": d.timezone or current.get(
                      "business.timezone", setting("business.timezone").default),
                  "phone.provider": d.phone_provider or "none",
                  "phone.base_url": d.phone_base_url, "crm.provider": d.crm_provider,
                  "crm.base_url": d.crm_base_url, **d.phone_values, **d.crm_values}
        return Settings({k: v for k, v in values.items() if k in SETTINGS})

    def _secret_reader(self, d: SetupDraft, rotated: dict[str, str]):
        for value in d.secrets.values():
            self._secrets.remember(value)  # a typed secret never reaches a log line

        def read(key: str) -> str | None:
            return rotated.get(key) or d.secrets.get(key) or self._secrets.get(key)
        return read

    def test_phone(self, d: SetupDraft) -> ConnectionResult:
        problems = self.check_phone(d, self.stored_secrets())
        if problems:
            return ConnectionResult(False, " ".join(problems.values()))
        line = self._connectors.phone(self._candidate(d), self._secret_reader(d, {}))
        return self._run_check(line)

    def test_crm(self, d: SetupDraft) -> ConnectionResult:
        problems = self.check_crm(d, self.stored_secrets())
        if problems:
            return ConnectionResult(False, " ".join(problems.values()))
        rotated: dict[str, str] = {}
        crm = self._connectors.crm(self._candidate(d), self._secret_reader(d, rotated),
                                   rotated.__setitem__)
        result = self._run_check(crm)
        result.rotated = rotated
        return result

    @staticmethod
    def _run_check(connector) -> ConnectionResult:
        try:
            check = connector.test_connection()
        except Exception as exc:  # a connector bug must read as a failed test, not a crash
            log.exception("test connection failed")
            return ConnectionResult(False, f"The test could not run: {exc}")
        return ConnectionResult(check.ok, check.message)

    def field_map(self, d: SetupDraft) -> tuple[list[tuple[str, str]], list[str]]:
        """The lead -> CRM field map a new CRM would use (with the owner's changes), as
        (lead field, CRM fields) rows, and the CRM's required fields nothing maps to."""
        if d.crm_provider == "builtin":
            return [(f, "kept as it is") for f in LEAD_FIELDS], []
        crm = self._connectors.crm(self._candidate(d), lambda _key: None, None)
        mapping = self._connectors.field_map(self._candidate(d), crm)
        rows = [(f, ", ".join(targets(mapping.get(f))) or "(not sent)") for f in LEAD_FIELDS]
        return rows, unmapped_required(crm.required, mapping)

    # -- applying ------------------------------------------------------------------------
    def apply(self, d: SetupDraft, actor: str, passcode: str | None = None) -> None:
        """Store the whole setup. `passcode`: the current owner passcode (a re-run from
        Settings); on the first run the draft's new passcode is set first. Raises
        SetupProblem naming every field that is wrong; then nothing is stored."""
        stored = self.stored_secrets()
        is_set = self.owner_is_set()
        passcode = passcode or d.current_passcode or None
        problems = {**self.check_business(d), **self.check_phone(d, stored),
                    **self.check_crm(d, stored),
                    **self.check_passcode(d, is_set, is_set and not passcode)}
        if problems:
            raise SetupProblem(problems)
        owner = self._settings.owner
        if is_set and not owner.verify(passcode):
            raise OwnerRefused("The owner passcode is missing or wrong: nothing was saved.")
        # Secrets first (the keyring is what fails on a badly set-up PC), then the
        # passcode, then the settings: a refusal leaves the setup to be finished again.
        chosen = {f.key for p in (d.phone_provider, d.crm_provider)
                  for f in CONNECTOR_FIELDS[p] if f.secret}
        for key, value in d.secrets.items():
            if key in chosen and value.strip():
                self._secrets.set(key, value.strip())
        if not is_set:
            owner.set(d.new_passcode, None, actor)
            passcode = d.new_passcode
        elif d.new_passcode:
            owner.set(d.new_passcode, passcode, actor)
            passcode = d.new_passcode
        values = {"business.name": d.business_name.strip(), "business.timezone": d.timezone,
                  "business.hours": d.hours, "triage.trades": list(d.trades),
                  "phone.provider": d.phone_provider, "phone.base_url": d.phone_base_url,
                  "crm.provider": d.crm_provider, "crm.base_url": d.crm_base_url,
                  "crm.scopes": list(d.crm_scopes)}
        values.update({f.key: str(d.phone_values.get(f.key, "")).strip()
                       for f in CONNECTOR_FIELDS[d.phone_provider] if not f.secret})
        self._settings.set_many(values, actor, reason="setup", passcode=passcode)
