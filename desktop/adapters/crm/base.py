"""The Crm port: what the delivery worker and the contact/job sync need from any CRM.

An adapter is small and coarse: it searches contacts, creates a contact, creates the record
that stands for a lead (a HubSpot note, a Jobber request, a Housecall Pro lead), adds a
note, updates a contact (off unless the owner grants it), lists changed contacts and jobs,
and tests its connection. There is deliberately no delete operation anywhere.

Every operation an adapter offers is listed in `operations` with the scope it needs; the
delivery service calls adapters only through `ScopedCrm` (services/crm_access.py), which
refuses and logs an operation whose scope the owner has not granted.

Writes return a `CrmWrite`: what was created or changed (before and after), the CRM's id
and a plain-words note on how a person would undo it. The change log keeps these.

Idempotency contract (the delivery worker relies on it):
* `key` is the lead's idempotency key (32 hex characters). `create_contact` and
  `create_lead` put it on the record where the CRM has a place for it (a unique property,
  a tag, a marker in a title or note), so a later `find_contact` / `find_lead_record`
  with the same key finds the record even when the CRM's search index lags.
* `create_contact` that meets the CRM's own duplicate rule (HubSpot's 409 "Contact already
  exists. Existing ID: N") returns a CrmWrite with action "linked" to the existing record.
* Failures raise `ProviderError` with a ProblemKind; `kind.transient` ones are retried.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from desktop.adapters.errors import ConnectionCheck, ProblemKind, ProviderError  # noqa: F401
from desktop.domain import crm as scopes


@dataclass(frozen=True)
class CrmContact:
    """A customer as the CRM holds it; phone in E.164 when it can be read as a number."""

    crm_id: str
    name: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    key: str | None = None        # our lead key on the record, when we created it
    other_phones: tuple[str, ...] = ()  # mobile, home, work... besides `phone`, E.164


@dataclass(frozen=True)
class CrmJob:
    crm_id: str
    contact_crm_id: str | None
    title: str
    status: str                   # the CRM's own word: "scheduled", "completed", ...
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None = None
    revenue_cents: int = 0


@dataclass(frozen=True)
class CrmWrite:
    """One write to the CRM, as the change log records it."""

    kind: str                     # "contact", "note", "request", "lead"
    crm_id: str
    action: str                   # "created", "linked" (it existed already), "updated"
    after: dict
    undo: str                     # plain words: how a person undoes this in the CRM
    before: dict | None = None
    url: str | None = None        # the record in the CRM's web app, when known


class Crm(ABC):
    #: the value of `crm.provider` that selects this adapter
    name: str = ""
    #: how the app names it
    label: str = ""
    #: operation -> the scope it needs; `ScopedCrm` refuses anything not granted
    operations: dict[str, str] = {
        "find_contact": scopes.SEARCH,
        "find_lead_record": scopes.SEARCH,
        "read_contact": scopes.SEARCH,
        "contacts_changed_since": scopes.SEARCH,
        "create_contact": scopes.CREATE_CONTACT,
        "prepare": scopes.CREATE_CONTACT,
        "create_lead": scopes.CREATE_LEAD,
        "add_note": scopes.ADD_NOTE,
        "update_contact": scopes.UPDATE_CONTACT,
        "jobs_changed_since": scopes.READ_JOBS,
    }
    #: lead field -> CRM target(s) ("contact.phone", "lead.title"); the owner's
    #: `crm.field_map` changes these per CRM
    default_field_map: dict[str, str | list[str]] = {}
    #: targets that must not be empty when a lead is sent
    required: tuple[str, ...] = ()
    #: contact fields `update_contact` may fill in on an existing customer
    updatable: tuple[str, ...] = ()

    @abstractmethod
    def find_contact(self, key: str | None, phone: str | None,
                     email: str | None) -> CrmContact | None:
        """The customer with our key, else with this phone (E.164), else this email."""

    @abstractmethod
    def read_contact(self, crm_id: str) -> dict[str, str | None]:
        """The contact's current values of the `updatable` fields (for before/after)."""

    def prepare(self) -> list[CrmWrite]:
        """One-time setup in the shop's account before the first contact is created (e.g.
        HubSpot's properties for our marks); returns what it added, for the change log."""
        return []

    @abstractmethod
    def create_contact(self, fields: dict[str, str], key: str) -> CrmWrite:
        """Create a customer from mapped contact fields, marked with `key`."""

    @abstractmethod
    def update_contact(self, crm_id: str, changes: dict[str, str | None]) -> CrmWrite:
        """Set some of the `updatable` fields; the write carries before and after."""

    @abstractmethod
    def find_lead_record(self, contact_id: str, key: str) -> CrmWrite | None:
        """The lead record an earlier attempt created for `key`, if it landed."""

    @abstractmethod
    def create_lead(self, contact_id: str, fields: dict[str, str], key: str) -> CrmWrite:
        """Create the record that stands for this lead, marked with `key`."""

    @abstractmethod
    def add_note(self, contact_id: str, text: str) -> CrmWrite:
        """Attach a note to the customer."""

    @abstractmethod
    def contacts_changed_since(self, since: datetime | None) -> Iterator[list[CrmContact]]:
        """Pages of contacts created or changed at or after `since` (None: all)."""

    @abstractmethod
    def jobs_changed_since(self, since: datetime | None) -> Iterator[list[CrmJob]]:
        """Pages of jobs created or changed at or after `since` (None: all)."""

    @abstractmethod
    def test_connection(self) -> ConnectionCheck:
        """Say in plain words whether the credentials work and what is wrong if not."""


def split_name(full: str) -> tuple[str, str]:
    """'Maria del Carmen Ruiz' -> ('Maria del Carmen', 'Ruiz'); one word -> (word, '')."""
    parts = full.split()
    if len(parts) < 2:
        return (full.strip(), "")
    return (" ".join(parts[:-1]), parts[-1])


def marker(key: str) -> str:
    """The short tag written on CRM records we create: 'FD-' and the key's first 12."""
    return f"FD-{key[:12]}"


@dataclass
class SecretAccess:
    """How an adapter reads its credentials, and saves one that rotates (Jobber)."""

    get: object                    # (key) -> str | None
    set: object = field(default=None)  # (key, value) -> None
