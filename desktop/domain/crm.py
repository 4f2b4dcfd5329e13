"""CRM rules that need no network: scopes, field mapping, retry timing and alert timing.

A lead's fields reach a CRM through a *field map*: lead field -> CRM target, where a target
is "<object>.<field>" ("contact.phone", "lead.title"). `contact` is the customer record;
`lead` is the record that stands for this enquiry (a HubSpot note, a Jobber request, a
Housecall Pro lead). Several lead fields may share one target: they are written as
"Label: value" lines, so a note body can carry service type, urgency, source and notes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from desktop.domain.leads import FIELD_LABELS, LEAD_FIELDS

# What a CRM worker may be allowed to do. The owner grants these in `crm.scopes`.
SEARCH = "crm:search"
CREATE_CONTACT = "crm:create_contact"
CREATE_LEAD = "crm:create_lead"
ADD_NOTE = "crm:add_note"
UPDATE_CONTACT = "crm:update_contact"
READ_JOBS = "crm:read_jobs"
CRM_SCOPES = (SEARCH, CREATE_CONTACT, CREATE_LEAD, ADD_NOTE, UPDATE_CONTACT, READ_JOBS)
# Updating a customer the shop already has is off until the owner grants it.
DEFAULT_SCOPES = (SEARCH, CREATE_CONTACT, CREATE_LEAD, ADD_NOTE, READ_JOBS)

OBJECTS = ("contact", "lead")


def check_target(target: str) -> None:
    obj, _, name = target.partition(".")
    if obj not in OBJECTS or not name:
        raise ValueError(f"'{target}' is not a CRM field; write contact.<field> or "
                         "lead.<field>")


def effective_map(defaults: dict[str, str | list[str]],
                  overrides: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
    """The adapter's defaults with the owner's changes; an empty target drops a field."""
    merged = dict(defaults)
    for field, target in overrides.items():
        if target:
            merged[field] = target
        else:
            merged.pop(field, None)
    return merged


def targets(value: str | list[str] | None) -> list[str]:
    """A field map entry names one target or several."""
    if not value:
        return []
    return [value] if isinstance(value, str) else [t for t in value if t]


def map_lead(values: dict[str, str | None],
             field_map: dict[str, str | list[str]]) -> dict[str, dict[str, str]]:
    """{"contact": {field: value}, "lead": {field: value}} for the non-empty lead values."""
    grouped: dict[str, dict[str, list[tuple[str, str]]]] = {obj: {} for obj in OBJECTS}
    for field in LEAD_FIELDS:
        value = (values.get(field) or "").strip()
        if not value:
            continue
        for target in targets(field_map.get(field)):
            obj, _, name = target.partition(".")
            grouped[obj].setdefault(name, []).append((field, value))
    mapped: dict[str, dict[str, str]] = {}
    for obj, fields in grouped.items():
        mapped[obj] = {}
        for name, pairs in fields.items():
            if len(pairs) == 1:
                mapped[obj][name] = pairs[0][1]
            else:
                mapped[obj][name] = "\n".join(f"{FIELD_LABELS[f]}: {v}" for f, v in pairs)
    return mapped


def missing_required(mapped: dict[str, dict[str, str]], required: tuple[str, ...],
                     field_map: dict[str, str | list[str]]) -> list[str]:
    """Plain-words problems for each CRM-required target the mapping leaves empty."""
    problems = []
    for target in required:
        obj, _, name = target.partition(".")
        if mapped.get(obj, {}).get(name):
            continue
        sources = [FIELD_LABELS[f] for f, t in field_map.items() if target in targets(t)]
        if sources:
            problems.append(f"{target} is required by the CRM, but the lead's "
                            f"{' / '.join(sources)} is empty")
        else:
            problems.append(f"{target} is required by the CRM, but no lead field maps to it "
                            "(Settings → CRM → field map)")
    return problems


def unmapped_required(required: tuple[str, ...],
                      field_map: dict[str, str | list[str]]) -> list[str]:
    """Required targets no lead field maps to at all: a mapping mistake, not a data gap."""
    mapped = {t for value in field_map.values() for t in targets(value)}
    return [t for t in required if t not in mapped]


# -- retries and alerts ------------------------------------------------------------------
@dataclass(frozen=True)
class RetryRules:
    limit: int = 8                              # attempts before the lead is flagged failed
    alert_after: timedelta = timedelta(minutes=10)
    first_wait: timedelta = timedelta(seconds=15)
    max_wait: timedelta = timedelta(minutes=15)  # also the pace after the limit, for outages

    def wait_before(self, attempt: int, retry_after_s: float | None = None,
                    rng: random.Random | None = None) -> timedelta:
        """How long to wait after failed attempt number `attempt` (1-based): doubling with
        jitter, never less than the server's Retry-After."""
        rng = rng or random
        base = min(self.max_wait.total_seconds(),
                   self.first_wait.total_seconds() * 2 ** max(attempt - 1, 0))
        wait = base * (0.5 + rng.random() / 2)
        if retry_after_s is not None:
            wait = max(wait, retry_after_s)
        return timedelta(seconds=wait)

    def should_alert(self, attempts: int, failing_since: datetime | None,
                     now: datetime) -> bool:
        if attempts >= self.limit:
            return True
        return failing_since is not None and now - failing_since >= self.alert_after
