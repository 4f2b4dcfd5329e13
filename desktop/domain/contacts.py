"""Customers and jobs, whether they live in the built-in CRM or are cached from another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(eq=False)
class Contact:
    name: str
    phone: str | None
    created_at: datetime
    updated_at: datetime
    email: str | None = None
    address: str | None = None
    crm_provider: str = "builtin"
    crm_id: str | None = None
    external_id: str | None = None  # our idempotency key on the CRM record
    id: int | None = None


@dataclass(eq=False)
class Job:
    contact_id: int | None
    title: str
    status: str
    created_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None = None
    revenue_cents: int = 0
    crm_provider: str = "builtin"
    crm_id: str | None = None
    lead_id: int | None = None
    id: int | None = None
