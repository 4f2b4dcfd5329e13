"""Contact and job sync: incremental polling of the CRM into local caches.

Changed contacts feed the lead form's duplicate warnings; changed jobs feed booked-job
attribution (a job on a customer we sent a lead for counts for that lead). Each stream has
its own cursor (`crm:<name>:contacts`, `crm:<name>:jobs` in connector_state) and re-reads a
little before it, so a record indexed late is not skipped; upserts by (crm, crm id) make
the re-read harmless. Each page commits on its own: a crash loses at most a page of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desktop.adapters.crm.base import CrmContact, CrmJob
from desktop.adapters.errors import ProviderError
from desktop.domain.clock import Clock, utcnow
from desktop.domain.contacts import Contact, Job
from desktop.domain.permissions import ScopeRefused
from desktop.services.crm_access import ScopedCrm
from desktop.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=5)


@dataclass
class CrmSyncReport:
    contacts: int = 0
    jobs: int = 0
    errors: dict[str, str] = field(default_factory=dict)   # stream -> plain words
    skipped: dict[str, str] = field(default_factory=dict)  # stream -> why (not granted)


class CrmSync:
    def __init__(self, uow_factory: UnitOfWorkFactory, crm: ScopedCrm, clock: Clock = utcnow):
        self._uow, self.crm, self._clock = uow_factory, crm, clock

    def connector(self, stream: str) -> str:
        return f"crm:{self.crm.name}:{stream}"

    def poll(self, should_stop: Callable[[], bool] = lambda: False) -> CrmSyncReport:
        report = CrmSyncReport()
        for stream, operation, store in (("contacts", "contacts_changed_since", self._store_contacts),
                                         ("jobs", "jobs_changed_since", self._store_jobs)):
            if not self.crm.allows(operation):
                report.skipped[stream] = (f"{self.crm.scope_of(operation)} is not granted")
                continue
            try:
                count = self._pull(stream, getattr(self.crm, operation), store, should_stop)
                setattr(report, stream, count)
            except (ProviderError, ScopeRefused) as exc:
                report.errors[stream] = str(exc)
        return report

    def _pull(self, stream: str, pages: Callable[[datetime | None], Iterator[list]],
              store, should_stop) -> int:
        started = self._clock()
        with self._uow() as uow:
            cursor = uow.connectors.get_or_create(self.connector(stream)).cursor
        count, newest, stopped = 0, cursor, False
        try:
            for page in pages(cursor - OVERLAP if cursor else None):
                with self._uow(write=True) as uow:
                    store(uow, page, self._clock())
                    uow.commit()
                count += len(page)
                stamps = [r.updated_at for r in page if r.updated_at is not None]
                if stamps:
                    newest = max([newest, *stamps]) if newest else max(stamps)
                if should_stop():
                    stopped = True
                    break
        except ProviderError as exc:
            self._record(stream, started, error=exc)
            raise
        # The cursor moves only after a full pass, to the newest change seen (never to
        # our own clock: the CRM's clock is the one its filter uses). Some CRMs list
        # newest first, so a pass cut short says nothing about the older changes.
        self._record(stream, started, cursor=cursor if stopped else newest)
        return count

    def _record(self, stream: str, now: datetime, cursor: datetime | None = None,
                error: ProviderError | None = None) -> None:
        with self._uow(write=True) as uow:
            state = uow.connectors.get_or_create(self.connector(stream))
            if error is None:
                state.record_success(now, cursor)
            else:
                state.record_failure(now, str(error), str(error.kind), error.retry_after_s)
            uow.commit()

    def _store_contacts(self, uow, page: list[CrmContact], now: datetime) -> None:
        known = uow.contacts.by_crm_ids(self.crm.name, [c.crm_id for c in page])
        for record in page:
            contact = known.get(record.crm_id)
            if contact is None:
                contact = Contact(name=record.name or "(no name)", phone=record.phone,
                                  created_at=record.created_at or now,
                                  updated_at=now, crm_provider=self.crm.name,
                                  crm_id=record.crm_id)
                uow.contacts.add(contact)
                known[record.crm_id] = contact
            contact.name = (record.name or contact.name)[:120]
            contact.phone, contact.email = record.phone, record.email
            contact.address = record.address[:250] if record.address else None
            # Our clock, not the CRM's: `updated_at` says when this cache row last changed,
            # so the duplicate index's "changed since" never misses an edit the CRM dated
            # earlier than one it sent before.
            contact.updated_at = now
            contact.external_id = record.key
            uow.contacts.set_other_phones(contact, record.other_phones)

    def _store_jobs(self, uow, page: list[CrmJob], now: datetime) -> None:
        known = uow.jobs.by_crm_ids(self.crm.name, [j.crm_id for j in page])
        owners = uow.contacts.by_crm_ids(self.crm.name,
                                         [j.contact_crm_id for j in page if j.contact_crm_id])
        for record in page:
            job = known.get(record.crm_id)
            if job is None:
                job = Job(contact_id=None, title="", status="", created_at=record.created_at,
                          updated_at=record.updated_at, crm_provider=self.crm.name,
                          crm_id=record.crm_id)
                uow.jobs.add(job)
                known[record.crm_id] = job
            owner = owners.get(record.contact_crm_id) if record.contact_crm_id else None
            job.contact_id = owner.id if owner else None
            job.title, job.status = record.title[:200], record.status[:32]
            job.scheduled_at, job.revenue_cents = record.scheduled_at, record.revenue_cents
            job.updated_at = record.updated_at
            if job.lead_id is None and owner is not None:
                job.lead_id = uow.leads.latest_for_crm_contact(self.crm.name, owner.crm_id,
                                                               record.created_at)
