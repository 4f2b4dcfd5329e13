"""Every setting, declared once: key, type, default, validation and a line of help.

Settings live in the database (so several desks share them), except the few marked
`in_file`, which must be known before the database can be opened (the database URL).
Secrets are not settings: they are named in SECRETS and live only in the OS keyring.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop.domain.crm import CRM_SCOPES, DEFAULT_SCOPES, check_target
# FollowUpError is a ValueError: its checks serve as setting checks as they are.
from desktop.domain.followup import (DEFAULT_PLAN, DEFAULT_TEXTBACK, TEXTBACK_FIELDS, Plan,
                                     check_textback, parse_holidays)
from desktop.domain.leads import DEFAULT_REQUIRED, LEAD_FIELDS
from desktop.domain.oncall import (DEFAULT_HOURS, DEFAULT_TEMPLATE, TEMPLATE_FIELDS,
                                   OpeningHours, Rota, check_template)


class SettingError(ValueError):
    """A setting key or value is wrong; the message names the key and what is expected."""


def _zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{value}' is not a time zone name such as America/Chicago") from exc


def _iso_or_empty(value: str) -> None:
    if value:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("give the time with an offset, e.g. 2026-11-24T08:00:00-06:00")


def _required_fields(value: list) -> None:
    unknown = [f for f in value if f not in LEAD_FIELDS]
    if unknown:
        raise ValueError(f"unknown lead field(s): {', '.join(unknown)}")


PHONE_PROVIDERS = ("none", "simulator", "twilio", "ringcentral", "callrail", "openphone")
PHONE_SCOPES = ("phone:read_calls", "phone:send_sms")


def _url_without_password(value: str) -> None:
    if not value:
        return
    from sqlalchemy.engine import make_url  # config stays importable without SQLAlchemy
    from sqlalchemy.exc import ArgumentError
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(f"'{value}' is not a database URL such as "
                         "postgresql://desk@server/frontdesk") from None
    if url.password is not None:
        raise ValueError("leave the password out of the URL and store it in the keyring: "
                         "frontdesk secret set database.password")


def _url_or_empty(value: str) -> None:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError(f"'{value}' is not an http(s) address")


def _opening_hours(value: dict) -> None:
    OpeningHours.parse(value)


def _rota(value: dict) -> None:
    Rota.parse(value)


def _rota_overrides(value: dict) -> None:
    Rota.parse({}, value)


def _handover(value: str) -> None:
    Rota.parse({}, {}, value)


def _names(value: list) -> None:
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("give a list of names, e.g. [\"Dana\"]")


def _backups(value: dict) -> None:
    for owner, backup in value.items():
        if not isinstance(backup, str) or not backup.strip():
            raise ValueError(f"the backup for {owner} must be a name")
        if backup == owner:
            raise ValueError(f"{owner} cannot be their own backup")


def _trades(value: list) -> None:
    from desktop.domain.triage import Criteria
    Criteria.for_shop(trades=[str(t) for t in value])


def _rule_names(value: list) -> None:
    from desktop.domain.triage import BUILT_IN
    known = {r.name.lower(): r.name for r in BUILT_IN}
    odd = [str(v) for v in value if str(v).strip().lower() not in known]
    if odd:
        raise ValueError(f"no built-in rule {', '.join(repr(o) for o in odd)}; the rules are: "
                         + ", ".join(r.name for r in BUILT_IN))


def _extra_rules(value: list) -> None:
    from desktop.domain.triage import owner_rule
    for n, item in enumerate(value):
        if not isinstance(item, dict):
            raise ValueError(f"rule {n + 1} is not an object like {{\"phrase\": \"...\", "
                             "\"urgency\": \"emergency\"}")
        owner_rule(item, n)


def _scopes_of(known: tuple[str, ...]) -> Callable[[list], None]:
    def check(value: list) -> None:
        unknown = [scope for scope in value if scope not in known]
        if unknown:
            raise ValueError(f"unknown scope(s) {', '.join(map(str, unknown))}; known: "
                             f"{', '.join(known)}")
    return check


def _source_map(value: dict) -> None:
    for number, source in value.items():
        if not (number.startswith("+") and number[1:].isdigit()):
            raise ValueError(f"'{number}' is not an E.164 number such as +13125550100")
        if not isinstance(source, str) or not source.strip():
            raise ValueError(f"the source for {number} must be a name")


CRM_PROVIDERS = ("builtin", "hubspot", "jobber", "housecallpro")


def _field_map(value: dict) -> None:
    """{crm: {lead field: target or [targets]}}; an empty target leaves the field out."""
    for crm, mapping in value.items():
        if crm not in CRM_PROVIDERS or crm == "builtin":
            raise ValueError(f"'{crm}' is not a CRM with a field map; use one of "
                             "hubspot, jobber, housecallpro")
        if not isinstance(mapping, dict):
            raise ValueError(f"the map for {crm} must be an object of lead field -> CRM field")
        for lead_field, target in mapping.items():
            if lead_field not in LEAD_FIELDS:
                raise ValueError(f"'{lead_field}' is not a lead field; known: "
                                 f"{', '.join(LEAD_FIELDS)}")
            chosen = [target] if isinstance(target, str) else target
            if not isinstance(chosen, list) or not all(isinstance(t, str) for t in chosen):
                raise ValueError(f"{crm}.{lead_field} must be a CRM field or a list of them")
            for one in chosen:
                if one:
                    check_target(one)


def _twilio_sid(value: str) -> None:
    if value and not (value.startswith("AC") and len(value) == 34):
        raise ValueError("a Twilio Account SID is 'AC' followed by 32 characters")


@dataclass(frozen=True)
class Setting:
    key: str
    kind: type  # str, int, bool, list or dict
    default: object
    help: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    check: Callable[[object], None] | None = None
    in_file: bool = False
    owner_only: bool = False  # changing it needs the owner passcode

    def parse(self, text: str):
        """Turn command-line text into a value of this setting's type, or raise SettingError."""
        if self.kind is str:
            value = text
        elif self.kind is int:
            try:
                value = int(text)
            except ValueError:
                raise SettingError(f"{self.key} must be a whole number, not '{text}'") from None
        elif self.kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
                raise SettingError(f"{self.key} must be true or false, not '{text}'")
            value = lowered in ("true", "yes", "on", "1")
        else:
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = [part.strip() for part in text.split(",") if part.strip()] \
                    if self.kind is list else None
        return self.validate(value)

    def validate(self, value):
        name = self.kind.__name__
        if self.kind is int and isinstance(value, bool) or not isinstance(value, self.kind):
            raise SettingError(f"{self.key} must be a {name}")
        if self.choices and value not in self.choices:
            raise SettingError(f"{self.key} must be one of: {', '.join(self.choices)}")
        if self.minimum is not None and value < self.minimum:
            raise SettingError(f"{self.key} must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise SettingError(f"{self.key} must be at most {self.maximum}")
        if self.check:
            try:
                self.check(value)
            except ValueError as exc:
                raise SettingError(f"{self.key}: {exc}") from None
        return value


_SETTINGS = [
    Setting("database.url", str, "", "SQLAlchemy URL of the database; empty means SQLite "
            "in the data folder. Use PostgreSQL to share one queue between desks; its "
            "password goes to the keyring (frontdesk secret set database.password).",
            in_file=True, check=_url_without_password),
    Setting("business.name", str, "My Shop", "The shop's name, as callers know it."),
    Setting("business.timezone", str, "America/Chicago", "The shop's time zone (IANA name).",
            check=_zone),
    Setting("desk.user", str, "", "Who works this desk (shown as owner); empty means the "
            "computer's login name."),
    Setting("phone.provider", str, "none", "Which phone system to poll.",
            choices=PHONE_PROVIDERS),
    Setting("phone.base_url", str, "", "The provider's API address; empty means the "
            "vendor's own (set it for a proxy or a test server).", check=_url_or_empty),
    Setting("phone.scopes", list, ["phone:read_calls"], "What the phone workers may do; "
            "add phone:send_sms to allow texts. Owner only.", check=_scopes_of(PHONE_SCOPES),
            owner_only=True),
    Setting("phone.source_by_number", dict, {}, "Dialed (tracking) number -> marketing "
            "source, as a JSON object, for lines that do not name a source.",
            check=_source_map),
    Setting("phone.twilio.account_sid", str, "", "Twilio: the Account SID (AC…).",
            check=_twilio_sid),
    Setting("phone.ringcentral.client_id", str, "", "RingCentral: the app's client id."),
    Setting("phone.callrail.account_id", str, "", "CallRail: the account id (ACC…)."),
    Setting("phone.region", str, "US", "Country assumed for numbers typed without +code."),
    Setting("phone.poll_seconds", int, 30, "Seconds between phone polls.", minimum=1,
            maximum=3600),
    Setting("phone.overlap_seconds", int, 120, "Each poll re-reads this many seconds before "
            "the cursor, so a late-indexed call is never skipped.", minimum=0, maximum=86400),
    Setting("phone.backfill_days", int, 7, "How far back the first sync reads.", minimum=0,
            maximum=365),
    Setting("phone.simulator.seed", int, 7, "Simulator: seed of its deterministic traffic."),
    Setting("phone.simulator.start", str, "", "Simulator: no calls before this time "
            "(ISO 8601 with offset); empty means none hidden.", check=_iso_or_empty),
    Setting("phone.simulator.live_from", str, "", "Simulator: from this time, extra calls "
            "arrive at demo pace; empty means realistic traffic only.", check=_iso_or_empty),
    Setting("phone.simulator.live_gap_seconds", int, 20, "Simulator: mean seconds between "
            "demo-pace calls.", minimum=1),
    Setting("crm.provider", str, "builtin", "Where leads go: the built-in CRM, or the "
            "shop's HubSpot, Jobber or Housecall Pro.", choices=CRM_PROVIDERS),
    Setting("crm.base_url", str, "", "The CRM's API address; empty means the vendor's own "
            "(set it for a proxy or a test server).", check=_url_or_empty),
    Setting("crm.scopes", list, list(DEFAULT_SCOPES), "What the CRM workers may do. "
            "crm:update_contact (filling in blanks on a customer the shop already has) is "
            "off until granted here. Owner only.", check=_scopes_of(CRM_SCOPES),
            owner_only=True),
    Setting("crm.field_map", dict, {}, "Changes to the default lead -> CRM field map, per "
            "CRM, e.g. {\"hubspot\": {\"service_type\": \"contact.jobtitle\"}}; see "
            "'frontdesk crm fields' for the map in force.", check=_field_map),
    Setting("crm.retry_limit", int, 8, "Delivery attempts before a lead is flagged as "
            "failed (an outage keeps being retried, slowly, after that).", minimum=1,
            maximum=100),
    Setting("crm.alert_after_minutes", int, 10, "Alert when a lead has failed to reach the "
            "CRM for this long.", minimum=1, maximum=24 * 60),
    Setting("crm.poll_seconds", int, 300, "Seconds between polls of the CRM for changed "
            "contacts and jobs.", minimum=10, maximum=86400),
    Setting("crm.jobber.api_version", str, "2025-04-16", "Jobber: the GraphQL API version "
            "sent in X-JOBBER-GRAPHQL-VERSION."),
    Setting("queue.callback_target_minutes", int, 5, "Call back within this; amber at it, "
            "red at three times it.", minimum=1, maximum=1440),
    Setting("queue.follow_up_minutes", int, 120, "After a callback that did not settle it, "
            "the caller waits this long before coming back to Call now.", minimum=1),
    Setting("queue.done_visible_hours", int, 12, "Resolved items stay in the Done lane this "
            "long.", minimum=0, maximum=24 * 14),
    Setting("lead.required_fields", list, list(DEFAULT_REQUIRED), "Lead form fields that "
            "must be filled.", check=_required_fields),
    Setting("lead.service_types", list, [
        "Leak / burst pipe", "Drain cleaning", "Water heater", "Toilet / faucet repair",
        "Sewer line", "Gas line", "Furnace / heating", "AC / cooling", "Maintenance plan",
        "Estimate / quote", "Electrical", "Other"], "Service types on the lead form."),
    Setting("lead.sources", list, [
        "Google Ads", "Google Business Profile", "Local Services Ads", "Website", "Yelp",
        "Referral", "Repeat customer", "Truck / yard sign", "Facebook", "Other"],
        "Lead sources the receptionist picks from."),
    Setting("business.hours", dict, dict(DEFAULT_HOURS), "Opening hours per weekday, "
            "e.g. {\"mon\": \"08:00-17:00\", ..., \"sun\": \"\"} (empty = closed): a call "
            "outside them is 'after hours' for triage.", check=_opening_hours),
    Setting("alerts.repeat_seconds", int, 60, "An emergency alert repeats this often until "
            "someone acknowledges it.", minimum=10, maximum=3600),
    Setting("alerts.escalate_after_minutes", int, 5, "An emergency nobody acknowledged in "
            "this long goes to the on-call person.", minimum=1, maximum=240),
    Setting("oncall.rota", dict, {}, "Who is on call each weekday, e.g. {\"mon\": "
            "{\"name\": \"Sam\", \"phone\": \"+13125550100\"}, ...}; a duty day runs "
            "from oncall.handover to the next day's.", check=_rota),
    Setting("oncall.overrides", dict, {}, "Date swaps, e.g. {\"2026-12-25\": {\"name\": "
            "\"Lee\", \"phone\": \"+13125550111\"}}.", check=_rota_overrides),
    Setting("oncall.handover", str, "07:00", "When one duty day hands over to the next.",
            check=_handover),
    Setting("oncall.template", str, DEFAULT_TEMPLATE, "The approved text to the on-call "
            "person; only these fields in braces: " + ", ".join(TEMPLATE_FIELDS) + ".",
            check=check_template, owner_only=True),
    Setting("business.holidays", list, [], "Days the shop is closed, e.g. [\"2026-12-25\"]: "
            "no callbacks are planned on them.", check=parse_holidays),
    Setting("textback.enabled", bool, False, "Text a missed caller at once (one text per "
            "caller while their item is open). Needs phone:send_sms too. Owner only.",
            owner_only=True),
    Setting("textback.template", str, DEFAULT_TEXTBACK, "The approved missed-call text; only "
            "these fields in braces: " + ", ".join(TEXTBACK_FIELDS) + "; it must say how to "
            "opt out. Owner only; see 'frontdesk followup preview'.", check=check_textback,
            owner_only=True),
    Setting("followup.plan", list, DEFAULT_PLAN, "The steps every missed caller gets: "
            "[{\"do\": \"text\"|\"call\"|\"close\", \"at\": \"now\"|\"2h\"|\"30m\"|"
            "\"next_morning\"}, ...]; each step counts from the try before it.", check=Plan.parse),
    Setting("followup.max_attempts", int, 3, "Callback attempts per caller before the item "
            "closes as 'no response'.", minimum=1, maximum=20),
    Setting("followup.texts_per_number_week", int, 2, "Automated texts to one number in a "
            "rolling 7 days, across all its items.", minimum=0, maximum=20),
    Setting("followup.textback_within_minutes", int, 60, "A missed call older than this "
            "gets no text-back (calls found by a first import or after an outage).",
            minimum=1, maximum=24 * 60),
    Setting("followup.unclaimed_alert_minutes", int, 15, "Alert when a caller has waited "
            "this long and nobody has claimed them; 0 = never.", minimum=0, maximum=24 * 60),
    Setting("outcomes.attribution_days", int, 30, "A job made for a lead's customer within "
            "this many days after the lead counts as booked from that lead's call.",
            minimum=1, maximum=365),
    Setting("staff.away", list, [], "People marked away: their callers go to their backup.",
            check=_names),
    Setting("staff.backups", dict, {}, "Who covers whom, e.g. {\"Dana\": \"Lee\"}.",
            check=_backups),
    Setting("triage.trades", list, ["plumbing", "hvac", "electrical"], "The shop's trades: "
            "the built-in emergency criteria of these trades (and the general ones) apply.",
            check=_trades),
    Setting("triage.disabled_rules", list, [], "Built-in triage rules switched off, by name "
            "(see 'frontdesk triage --rules').", check=_rule_names),
    Setting("triage.extra_rules", list, [], "The owner's own triage phrases, e.g. "
            "[{\"phrase\": \"water in the crawl space\", \"urgency\": \"emergency\"}].",
            check=_extra_rules),
]
SETTINGS: dict[str, Setting] = {s.key: s for s in _SETTINGS}

# Secret names (values only ever in the OS keyring). Connector issues add their own.
SECRETS: dict[str, str] = {
    "database.password": "Password of a shared (PostgreSQL) database",
    "phone.twilio.auth_token": "Twilio auth token",
    "phone.ringcentral.client_secret": "RingCentral client secret",
    "phone.ringcentral.jwt": "RingCentral JWT credential",
    "phone.callrail.api_key": "CallRail API key",
    "phone.openphone.api_key": "OpenPhone API key",
    "crm.hubspot.token": "HubSpot private-app token",
    "crm.jobber.client_id": "Jobber client id",
    "crm.jobber.client_secret": "Jobber client secret",
    "crm.jobber.refresh_token": "Jobber refresh token",
    "crm.housecallpro.api_key": "Housecall Pro API key",
}



@dataclass(frozen=True)
class ConnectorField:
    """One thing the setup asks for to connect a provider: a setting, or (secret=True) a
    secret that goes only to the keyring."""

    key: str
    label: str
    secret: bool = False
    hint: str = ""
    required: bool = True


# What each phone system and CRM needs, as the first-run setup and Settings ask for it. The
# API address is optional everywhere (empty: the vendor's own; a proxy or a test server
# otherwise).
PHONE_LABELS = {"twilio": "Twilio", "ringcentral": "RingCentral", "callrail": "CallRail",
                "openphone": "OpenPhone (Quo)", "simulator": "Simulated line (demo)"}
CRM_LABELS = {"builtin": "Built-in CRM (no other CRM)", "hubspot": "HubSpot",
              "jobber": "Jobber", "housecallpro": "Housecall Pro"}
CONNECTOR_FIELDS: dict[str, tuple[ConnectorField, ...]] = {
    "twilio": (ConnectorField("phone.twilio.account_sid", "Account SID", hint="AC…"),
               ConnectorField("phone.twilio.auth_token", "Auth token", secret=True)),
    "ringcentral": (ConnectorField("phone.ringcentral.client_id", "Client id"),
                    ConnectorField("phone.ringcentral.client_secret", "Client secret",
                                   secret=True),
                    ConnectorField("phone.ringcentral.jwt", "JWT credential", secret=True)),
    "callrail": (ConnectorField("phone.callrail.account_id", "Account id", hint="ACC…"),
                 ConnectorField("phone.callrail.api_key", "API key", secret=True)),
    "openphone": (ConnectorField("phone.openphone.api_key", "API key", secret=True),),
    "simulator": (),
    "builtin": (),
    "hubspot": (ConnectorField("crm.hubspot.token", "Private-app token", secret=True,
                               hint="pat-…"),),
    "jobber": (ConnectorField("crm.jobber.client_id", "Client id", secret=True),
               ConnectorField("crm.jobber.client_secret", "Client secret", secret=True),
               ConnectorField("crm.jobber.refresh_token", "Refresh token", secret=True)),
    "housecallpro": (ConnectorField("crm.housecallpro.api_key", "API key", secret=True),),
}


def setting(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise SettingError(f"unknown setting '{key}' (see 'frontdesk config list')") from None


@dataclass
class Settings:
    """The effective settings: stored values over declared defaults. Plain data."""

    values: dict[str, object] = field(default_factory=dict)

    def __getitem__(self, key: str):
        spec = setting(key)
        return self.values.get(key, spec.default)

    def is_default(self, key: str) -> bool:
        return key not in self.values
