"""Leads: what the receptionist captures about a caller, and the rules it must pass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from desktop.domain.phone import InvalidPhone, to_e164
from desktop.domain.queue import Urgency

LEAD_FIELDS = ("name", "phone", "email", "service_address", "service_type", "urgency",
               "source", "notes")
FIELD_LABELS = {
    "name": "Name", "phone": "Phone", "email": "Email", "service_address": "Service address",
    "service_type": "Service type", "urgency": "Urgency", "source": "Source", "notes": "Notes",
}
DEFAULT_REQUIRED = ("name", "phone", "service_address", "service_type", "urgency", "source")
LEAD_URGENCIES = (Urgency.EMERGENCY, Urgency.URGENT, Urgency.ROUTINE)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_LIMITS = {"name": 120, "email": 254, "service_address": 250, "service_type": 80,
           "source": 80, "notes": 4000}


class DeliveryState:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class LeadDraft:
    """What the form or `lead create --json` hands in, before validation.

    `link_contact_id`: the receptionist chose an existing customer (a duplicate warning's
    "link to existing"): the lead is recorded onto that contact. `not_duplicate`: she chose
    "create new anyway" over the warnings shown; her reason goes to the change log."""

    values: dict[str, str] = field(default_factory=dict)
    queue_item_id: int | None = None
    link_contact_id: int | None = None
    not_duplicate: str | None = None

    @classmethod
    def from_mapping(cls, data: dict) -> LeadDraft:
        extras = {"queue_item_id", "link_contact_id", "not_duplicate"}
        unknown = sorted(set(data) - set(LEAD_FIELDS) - extras)
        if unknown:
            raise LeadInvalid({key: f"'{key}' is not a lead field." for key in unknown})
        for key in ("queue_item_id", "link_contact_id"):
            number = data.get(key)
            if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
                raise LeadInvalid({key: f"{key} must be a number."})
        reason = data.get("not_duplicate")
        if reason is not None and (not isinstance(reason, str) or not reason.strip()):
            raise LeadInvalid({"not_duplicate": "not_duplicate must say why, in words."})
        values = {k: "" if data.get(k) is None else str(data[k]) for k in LEAD_FIELDS}
        return cls(values=values, queue_item_id=data.get("queue_item_id"),
                   link_contact_id=data.get("link_contact_id"),
                   not_duplicate=reason.strip() if reason else None)


class LeadInvalid(ValueError):
    """Field name -> plain-words problem, for every field that is wrong."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__(" ".join(self.problems.values()))


def validate(values: dict[str, str], required=DEFAULT_REQUIRED, region: str = "US") -> dict[str, str]:
    """Return field -> message for each problem (empty when the lead can be saved)."""
    problems: dict[str, str] = {}
    clean = {k: (values.get(k) or "").strip() for k in LEAD_FIELDS}
    for key in required:
        if not clean.get(key):
            problems[key] = f"{FIELD_LABELS[key]} is required."
    for key, limit in _LIMITS.items():
        if len(clean[key]) > limit:
            problems[key] = f"{FIELD_LABELS[key]} is longer than {limit} characters."
    if clean["phone"] and "phone" not in problems:
        try:
            to_e164(clean["phone"], region)
        except InvalidPhone as exc:
            problems["phone"] = str(exc)
    if clean["email"] and not _EMAIL.match(clean["email"]):
        problems["email"] = f"'{clean['email']}' is not an email address."
    if clean["urgency"] and clean["urgency"] not in {str(u) for u in LEAD_URGENCIES}:
        problems["urgency"] = "Urgency must be emergency, urgent or routine."
    return problems


@dataclass(eq=False)
class Lead:
    name: str
    phone: str
    service_address: str
    service_type: str
    urgency: str
    source: str
    created_by: str
    created_at: datetime
    idempotency_key: str
    email: str | None = None
    notes: str | None = None
    service_street: str | None = None
    service_unit: str | None = None
    service_city: str | None = None
    service_state: str | None = None
    service_zip: str | None = None
    queue_item_id: int | None = None
    contact_id: int | None = None
    delivery_state: str = DeliveryState.PENDING
    crm_provider: str | None = None
    crm_id: str | None = None
    crm_record_id: str | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None
    id: int | None = None

    def snapshot(self) -> dict:
        return {k: getattr(self, k) for k in (
            "name", "phone", "email", "service_address", "service_type", "urgency", "source",
            "notes", "queue_item_id", "contact_id", "delivery_state", "crm_provider", "crm_id",
            "crm_record_id")}
