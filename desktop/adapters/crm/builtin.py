"""The built-in CRM: contacts, leads and jobs in the local database, for shops without a
CRM (and the demo). Saving a lead here is delivery: it happens in the same transaction,
so it needs no outbox, no retries and no scopes (it never leaves this database)."""

from __future__ import annotations

from datetime import datetime

from desktop.adapters.errors import ConnectionCheck
from desktop.domain.contacts import Contact, Job
from desktop.domain.leads import DeliveryState, Lead


class BuiltinCrm:
    name = "builtin"
    label = "Built-in CRM"

    def __init__(self, uow_factory):
        self._uow = uow_factory

    def record_lead(self, uow, lead: Lead, now: datetime, actor: str) -> None:
        contact = (uow.contacts.get(lead.contact_id) if lead.contact_id is not None
                   else uow.contacts.by_phone(lead.phone))
        if contact is None:
            contact = Contact(name=lead.name, phone=lead.phone, email=lead.email,
                              address=lead.service_address, created_at=now, updated_at=now,
                              crm_provider=self.name, external_id=lead.idempotency_key)
            uow.contacts.add(contact)
            uow.flush()
            contact.crm_id = str(contact.id)
            uow.changelog.append(at=now, actor=actor, entity="contact", entity_id=contact.id,
                                 action="created", after={"name": contact.name,
                                 "phone": contact.phone, "email": contact.email,
                                 "address": contact.address},
                                 reason=f"from lead {lead.id}")
        lead.contact_id = contact.id
        lead.crm_provider, lead.crm_id = self.name, str(contact.id)
        lead.delivery_state, lead.delivered_at = DeliveryState.DELIVERED, now
        uow.changelog.append(at=now, actor=actor, entity="lead", entity_id=lead.id,
                             action="delivered", after={"crm": self.name, "crm_id": lead.crm_id},
                             reason="saved to the built-in CRM")

    def test_connection(self) -> ConnectionCheck:
        with self._uow() as uow:
            count = uow.contacts.count()
        return ConnectionCheck(True, f"Built-in CRM holds {count} contact(s).")

    def add_contact(self, name: str, phone: str | None, now: datetime, actor: str,
                    email: str | None = None, address: str | None = None,
                    created_at: datetime | None = None) -> Contact:
        """Add one customer (demo data, and the CSV import to come)."""
        with self._uow(write=True) as uow:
            contact = Contact(name=name, phone=phone, email=email, address=address,
                              created_at=created_at or now, updated_at=now,
                              crm_provider=self.name)
            uow.contacts.add(contact)
            uow.flush()
            contact.crm_id = str(contact.id)
            uow.changelog.append(at=now, actor=actor, entity="contact", entity_id=contact.id,
                                 action="created", after={"name": name, "phone": phone})
            uow.commit()
            return contact

    def book_job(self, lead_id: int, title: str, value: float, now: datetime, actor: str,
                 scheduled_at: datetime | None = None) -> Job:
        """Book a job from a lead, on the lead's customer: the built-in CRM's "new job".
        It carries the lead's id, so Outcomes counts it as booked from that lead's call.
        Raises ValueError naming the problem (no such lead, no title, a negative value)."""
        title = (title or "").strip()
        if not title:
            raise ValueError("A job needs a title (what the work is).")
        if value is None or value < 0:
            raise ValueError("The job's value cannot be negative.")
        with self._uow(write=True) as uow:
            lead = uow.leads.get(lead_id)
            if lead is None:
                raise ValueError(f"There is no lead {lead_id}.")
            if lead.crm_provider != self.name or lead.contact_id is None:
                raise ValueError(f"Lead {lead_id} is not in the built-in CRM: book its job "
                                 "in the CRM it was delivered to.")
            job = Job(contact_id=lead.contact_id, lead_id=lead.id, title=title[:200],
                      status="scheduled", scheduled_at=scheduled_at,
                      revenue_cents=round(value * 100), created_at=now, updated_at=now,
                      crm_provider=self.name)
            uow.jobs.add(job)
            uow.flush()
            job.crm_id = str(job.id)
            uow.changelog.append(at=now, actor=actor, entity="job", entity_id=job.id,
                                 action="created", after={
                                     # No money: the change log is open to the whole
                                     # desk; revenue is the owner's (Outcomes).
                                     "lead": lead.id, "contact": lead.contact_id,
                                     "title": job.title,
                                     "scheduled_at": scheduled_at.isoformat()
                                     if scheduled_at else None},
                                 reason=f"booked from lead {lead.id}")
            uow.commit()
            return job
