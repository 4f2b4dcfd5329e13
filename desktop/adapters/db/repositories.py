"""Repositories: the queries the services need, one small class per aggregate."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import String, and_, cast, func, insert, or_, select
from sqlalchemy.orm import Session

from desktop.adapters.db import tables
from desktop.domain.calls import Call
from desktop.domain.changelog import GENESIS, ChangeEntry, jsonable
from desktop.domain.clock import as_utc
from desktop.domain.consent import ConsentRecord, TextMessage
from desktop.domain.contacts import Contact, Job
from desktop.domain.emergencies import EmergencyAlert
from desktop.domain.followup import FollowUpTask, TaskState
from desktop.domain.health import ConnectorState
from desktop.domain.leads import Lead
from desktop.domain.outbox import OutboxMessage
from desktop.domain.quarantine import QuarantineRecord
from desktop.domain.queue import ItemState, QueueItem


def _chunks(values: list, size: int = 500):
    """IN lists in slices that stay under SQLite's limit on bound variables."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _by_crm_ids(session: Session, model, provider: str, crm_ids) -> dict:
    """Cached CRM records (contacts or jobs) by the CRM's id, in batched queries."""
    found = {}
    for chunk in _chunks(sorted(set(crm_ids))):
        found.update({r.crm_id: r for r in session.scalars(
            select(model).where(model.crm_provider == provider, model.crm_id.in_(chunk)))})
    return found


class _Repo:
    model: type

    def __init__(self, session: Session):
        self.session = session

    def add(self, obj) -> None:
        self.session.add(obj)

    def get(self, ident: int):
        return self.session.get(self.model, ident)


class CallRepository(_Repo):
    model = Call

    def count_hours(self, deltas: dict[tuple[str, str, str], int]) -> None:
        """Add {(UTC hour, source or '', outcome): +n / -n} to the hourly counts, in the
        caller's transaction (an upsert per hour and source)."""
        rows: dict[tuple[str, str], dict] = {}
        for (hour, source, outcome), n in deltas.items():
            if n and outcome in tables.HOUR_OUTCOMES:
                row = rows.setdefault((hour, source), {"hour": hour, "source": source,
                                                       **dict.fromkeys(tables.HOUR_OUTCOMES, 0)})
                row[outcome] += n
        if not rows:
            return
        table = tables.call_hours
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        stmt = upsert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.hour, table.c.source],
            set_={o: table.c[o] + stmt.excluded[o] for o in tables.HOUR_OUTCOMES})
        self.session.execute(stmt, list(rows.values()))

    def by_provider_id(self, provider: str, provider_call_id: str) -> Call | None:
        return self.session.scalars(select(Call).filter_by(
            provider=provider, provider_call_id=provider_call_id)).one_or_none()

    def by_provider_ids(self, provider: str, ids: list[str]) -> dict[str, Call]:
        found = {}
        for chunk in _chunks(sorted(set(ids))):
            for call in self.session.scalars(select(Call).where(
                    Call.provider == provider, Call.provider_call_id.in_(chunk))):
                found[call.provider_call_id] = call
        return found

    def for_item(self, item_id: int, limit: int | None = None) -> list[Call]:
        """Newest first."""
        query = select(Call).filter_by(queue_item_id=item_id).order_by(Call.started_at.desc())
        return list(self.session.scalars(query.limit(limit) if limit else query))

    def inbound_ids_by_item(self, item_ids: list[int]) -> dict[int, list[str]]:
        """Provider ids of the inbound calls merged into each item, oldest first."""
        found: dict[int, list[str]] = {i: [] for i in item_ids}
        c = tables.calls.c
        for chunk in _chunks(item_ids):
            rows = self.session.execute(
                select(c.queue_item_id, c.provider_call_id)
                .where(c.queue_item_id.in_(chunk), c.direction == "inbound")
                .order_by(c.started_at))
            for item_id, call_id in rows:
                found[item_id].append(call_id)
        return found

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(tables.calls))


class QueueRepository(_Repo):
    model = QueueItem

    def open_for_phones(self, phones) -> dict[str, QueueItem]:
        found = {}
        for chunk in _chunks(sorted(phones)):
            for item in self.session.scalars(select(QueueItem).where(
                    QueueItem.phone.in_(chunk), QueueItem.state != ItemState.DONE)):
                found[item.phone] = item
        return found

    def board(self, done_since: datetime | None) -> list[QueueItem]:
        """Every open item, plus the items resolved since `done_since` (the Done lane)."""
        query = select(QueueItem).where(QueueItem.state != ItemState.DONE)
        if done_since is not None:
            query = select(QueueItem).where(
                (QueueItem.state != ItemState.DONE) | (QueueItem.resolved_at >= done_since))
        return list(self.session.scalars(query))

    def by_ids(self, ids) -> list[QueueItem]:
        found = []
        for chunk in _chunks(sorted(set(ids))):
            found.extend(self.session.scalars(select(QueueItem).where(QueueItem.id.in_(chunk))))
        return found

    def unclaimed_between(self, after: datetime, before: datetime) -> list[QueueItem]:
        """Open items nobody claimed whose first call was in (after, before] and that have
        not been alerted yet."""
        return list(self.session.scalars(select(QueueItem).where(
            QueueItem.state == ItemState.OPEN, QueueItem.owner.is_(None),
            QueueItem.first_call_at > after, QueueItem.first_call_at <= before,
            QueueItem.unclaimed_alerted_at.is_(None)).order_by(QueueItem.first_call_at)))

    def open_items(self) -> list[QueueItem]:
        return self.board(done_since=None)


class LeadRepository(_Repo):
    model = Lead

    def all(self, limit: int | None = None) -> list[Lead]:
        query = select(Lead).order_by(Lead.id.desc())
        return list(self.session.scalars(query.limit(limit) if limit else query))

    def since_id(self, last_id: int) -> list:
        """Rows (id, name, phone, email, service_address) of leads after `last_id`."""
        c = tables.leads.c
        return list(self.session.execute(
            select(c.id, c.name, c.phone, c.email, c.service_address)
            .where(c.id > last_id).order_by(c.id)))

    def contact_ids(self, lead_ids) -> dict[int, int | None]:
        c = tables.leads.c
        rows = self.session.execute(select(c.id, c.contact_id).where(c.id.in_(list(lead_ids))))
        return dict(rows.all())

    def latest_for_crm_contact(self, provider: str, crm_id: str,
                               before: datetime) -> int | None:
        """The newest lead sent to this CRM customer before a job was made: the job's
        lead, for booked-job attribution."""
        c = tables.leads.c
        return self.session.scalar(
            select(c.id).where(c.crm_provider == provider, c.crm_id == crm_id,
                               c.created_at <= before).order_by(c.created_at.desc()).limit(1))


class ContactRow(NamedTuple):
    """A contact as the duplicate index needs it: every number, main one first."""

    id: int
    name: str
    phones: tuple[str, ...]
    email: str | None
    address: str | None
    updated_at: datetime


class ContactRepository(_Repo):
    """Contacts, and their other numbers in `contact_phones`: every lookup by phone finds
    a customer by any of their numbers, the main one (`contacts.phone`) first."""

    model = Contact

    def by_phone(self, phone: str) -> Contact | None:
        return self._by_any_phone(select(Contact), phone)

    def by_phone_in(self, provider: str, phone: str) -> Contact | None:
        return self._by_any_phone(select(Contact).filter_by(crm_provider=provider), phone)

    def _by_any_phone(self, query, phone: str) -> Contact | None:
        main = self.session.scalars(
            query.filter_by(phone=phone).order_by(Contact.id).limit(1)).one_or_none()
        if main is not None:
            return main
        other = tables.contact_phones.c
        return self.session.scalars(
            query.where(Contact.id.in_(select(other.contact_id).where(other.phone == phone)))
            .order_by(Contact.id).limit(1)).one_or_none()

    def names_by_phones(self, phones) -> dict[str, str]:
        """Number -> the customer's name, for each number some contact has (as its main
        number, or failing that as another one); the oldest contact wins."""
        found: dict[str, str] = {}
        c, other = tables.contacts.c, tables.contact_phones.c
        for chunk in _chunks(sorted(phones)):
            rows = self.session.execute(select(c.phone, c.name).where(c.phone.in_(chunk))
                                        .order_by(c.id.desc()))
            found.update({phone: name for phone, name in rows})
            rest = [p for p in chunk if p not in found]
            if rest:
                rows = self.session.execute(
                    select(other.phone, c.name).join(tables.contacts, c.id == other.contact_id)
                    .where(other.phone.in_(rest)).order_by(c.id.desc()))
                found.update({phone: name for phone, name in rows})
        return found

    def other_phones(self, contact_id: int) -> tuple[str, ...]:
        other = tables.contact_phones.c
        return tuple(self.session.scalars(select(other.phone)
                                          .where(other.contact_id == contact_id)
                                          .order_by(other.phone)))

    def set_other_phones(self, contact: Contact, phones) -> None:
        """The contact's numbers besides its main one, replacing what was there."""
        if contact.id is None:
            self.session.flush()
        wanted = [p for p in dict.fromkeys(phones) if p and p != contact.phone]
        if list(self.other_phones(contact.id)) == sorted(wanted):
            return
        table = tables.contact_phones
        self.session.execute(table.delete().where(table.c.contact_id == contact.id))
        if wanted:
            self.session.execute(table.insert(),
                                 [{"contact_id": contact.id, "phone": p} for p in wanted])

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(tables.contacts))

    def ids(self) -> list[int]:
        return list(self.session.scalars(select(tables.contacts.c.id)))

    def changed_since(self, last_id: int, last_change: datetime | None) -> list[ContactRow]:
        """Contacts added after `last_id` or changed after `last_change` (a CRM sync, an
        edit), with all their numbers: the duplicate index's delta. Plain rows, not ORM
        objects: 100,000 of them load in a blink."""
        c, other = tables.contacts.c, tables.contact_phones.c
        if last_change is not None:
            changed = or_(c.id > last_id, c.updated_at > last_change)
        else:
            changed = c.id > last_id
        # Fetched in slices: one fetch of 100,000 rows is a single C call that keeps the
        # UI thread waiting on the GIL for a third of a second.
        in_slices = {"yield_per": 2000}
        rows = list(self.session.execute(
            select(c.id, c.name, c.phone, c.email, c.address, c.updated_at)
            .where(changed).order_by(c.id).execution_options(**in_slices)))
        extra: dict[int, list[str]] = {}
        for contact_id, phone in self.session.execute(
                select(other.contact_id, other.phone)
                .join(tables.contacts, c.id == other.contact_id).where(changed)
                .execution_options(**in_slices)):
            extra.setdefault(contact_id, []).append(phone)
        return [ContactRow(r.id, r.name, ((r.phone,) if r.phone else ()) +
                           tuple(sorted(extra.get(r.id, ()))), r.email, r.address,
                           r.updated_at) for r in rows]

    def all_for(self, provider: str) -> list[Contact]:
        return list(self.session.scalars(select(Contact).filter_by(crm_provider=provider)
                                         .order_by(Contact.id)))

    def forget(self, provider: str, crm_id: str) -> None:
        """Drop a cached customer the CRM no longer has; leads keep their own copy of the
        caller's details and lose only the link."""
        contact = self.by_crm_id(provider, crm_id)
        if contact is None:
            return
        c = tables.leads.c
        self.session.execute(tables.leads.update().where(c.contact_id == contact.id)
                             .values(contact_id=None))
        self.session.execute(tables.jobs.update().where(tables.jobs.c.contact_id == contact.id)
                             .values(contact_id=None))
        phones = tables.contact_phones
        self.session.execute(phones.delete().where(phones.c.contact_id == contact.id))
        self.session.delete(contact)

    def by_crm_id(self, provider: str, crm_id: str) -> Contact | None:
        return self.session.scalars(
            select(Contact).filter_by(crm_provider=provider, crm_id=crm_id)).one_or_none()

    def by_crm_ids(self, provider: str, crm_ids) -> dict[str, Contact]:
        return _by_crm_ids(self.session, Contact, provider, crm_ids)

    def stream_for_export(self, batch: int = 2000):
        """(name, phone, email, address, created_at, other phones as "a; b") of every
        contact, oldest first, fetched in batches rather than all at once (CSV export of
        100,000 customers)."""
        c, other = tables.contacts.c, tables.contact_phones.c
        others = (select(func.group_concat(other.phone, "; "))
                  .where(other.contact_id == c.id).scalar_subquery())
        if self.session.get_bind().dialect.name == "postgresql":
            others = (select(func.string_agg(other.phone, "; "))
                      .where(other.contact_id == c.id).scalar_subquery())
        return self.session.execute(
            select(c.name, c.phone, c.email, c.address, c.created_at, others)
            .order_by(c.id).execution_options(yield_per=batch))

    def phoneless(self) -> list[tuple[str, str | None]]:
        c = tables.contacts.c
        return list(self.session.execute(select(c.name, c.email).where(c.phone.is_(None))))

    def insert_many(self, values: list[dict]) -> list[int]:
        """A bulk INSERT of plain rows (the CSV import); built-in CRM ids are the row ids.
        A row's "other_phones" (a list) go to contact_phones; rows with other numbers must
        have distinct main numbers. In bulk rather than one add() per row, so the write
        lock is held as briefly as can be."""
        others = [v.pop("other_phones", ()) for v in values]
        if not values:
            return []
        holders = [v["phone"] for v, phones in zip(values, others) if phones]
        if len(set(holders)) != len(holders) or None in holders:
            raise ValueError("rows with other numbers need a main number of their own")
        c = tables.contacts.c
        # Core INSERT .. RETURNING: SQLAlchemy sends it as a few multi-row statements
        # ("insertmanyvalues"); the ORM's bulk_insert_mappings with return_defaults sent
        # one statement a row.
        # (RETURNING's row order is not promised, so nothing below relies on it.)
        ids = sorted(self.session.scalars(insert(tables.contacts).returning(c.id), values))
        by_phone: dict[str, int] = {}
        for chunk in _chunks(ids):
            self.session.execute(tables.contacts.update().where(c.id.in_(chunk))
                                 .values(crm_id=cast(c.id, String)))
            if any(others):
                by_phone.update((phone, i) for i, phone in self.session.execute(
                    select(c.id, c.phone).where(c.id.in_(chunk), c.phone.is_not(None))))
        # Other numbers go with the row's main number (a row has others only if it has
        # one, and a batch never holds one number twice).
        extra = [{"contact_id": by_phone[v["phone"]], "phone": p}
                 for v, phones in zip(values, others) if phones
                 for p in dict.fromkeys(phones) if p and p != v["phone"]]
        if extra:
            self.session.execute(tables.contact_phones.insert(), extra)
        return ids


class JobRepository(_Repo):
    model = Job

    def by_crm_ids(self, provider: str, crm_ids) -> dict[str, Job]:
        return _by_crm_ids(self.session, Job, provider, crm_ids)

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(tables.jobs))

    def all_for(self, provider: str) -> list[Job]:
        return list(self.session.scalars(select(Job).filter_by(crm_provider=provider)
                                         .order_by(Job.id)))


class SettingsRepository:
    def __init__(self, session: Session):
        self.session = session

    def all(self) -> dict:
        rows = self.session.execute(select(tables.settings.c.key, tables.settings.c.value))
        return {key: value for key, value in rows}

    def put(self, key: str, value, now: datetime) -> None:
        table = tables.settings
        exists = self.session.execute(select(table.c.key).where(table.c.key == key)).first()
        if exists:
            self.session.execute(table.update().where(table.c.key == key)
                                 .values(value=value, updated_at=now))
        else:
            self.session.execute(table.insert().values(key=key, value=value, updated_at=now))


class ChangeLogRepository:
    """Append-only: there is no update or delete here, on purpose."""

    def __init__(self, session: Session):
        self.session = session
        self._tip: tuple[int, str] | None = None

    def forget_tip(self) -> None:
        """Read the chain's tip from the database at the next append (after a rollback)."""
        self._tip = None

    def append(self, *, at: datetime, actor: str, entity: str, entity_id, action: str,
               before: dict | None = None, after: dict | None = None,
               reason: str | None = None) -> ChangeEntry:
        seq, prev_hash = self._next_link()
        at = as_utc(at)  # the hash covers the ISO text of `at`: one zone, always
        entry = ChangeEntry(seq=seq, at=at, actor=actor, entity=entity, entity_id=str(entity_id),
                            action=action, before=jsonable(before), after=jsonable(after),
                            reason=reason, prev_hash=prev_hash)
        entry.seal()
        self.session.add(entry)
        self._tip = (entry.seq, entry.hash)
        return entry

    def _next_link(self) -> tuple[int, str]:
        if self._tip is None:
            last = self.session.execute(
                select(tables.change_log.c.seq, tables.change_log.c.hash)
                .order_by(tables.change_log.c.seq.desc()).limit(1)).first()
            self._tip = (last.seq, last.hash) if last else (0, GENESIS)
        seq, tip_hash = self._tip
        return seq + 1, tip_hash

    def entries(self, after_seq: int = 0, limit: int | None = None, newest_first=False):
        order = ChangeEntry.seq.desc() if newest_first else ChangeEntry.seq
        query = select(ChangeEntry).where(ChangeEntry.seq > after_seq).order_by(order)
        return self.session.scalars(query.limit(limit) if limit else query)

    def chain(self):
        """Every entry in order, as light rows streamed in batches (for verification): a
        year's log must not be loaded whole into memory."""
        c = tables.change_log.c
        return self.session.execute(
            select(c.seq, c.at, c.actor, c.entity, c.entity_id, c.action, c.before, c.after,
                   c.reason, c.prev_hash, c.hash)
            .order_by(c.seq).execution_options(yield_per=2000))

    def after_seq(self, seq: int, entity: str) -> list[ChangeEntry]:
        return list(self.session.scalars(select(ChangeEntry).where(
            ChangeEntry.seq > seq, ChangeEntry.entity == entity).order_by(ChangeEntry.seq)))

    def last_seq(self, entity: str) -> int:
        c = tables.change_log.c
        return self.session.scalar(select(func.max(c.seq)).where(c.entity == entity)) or 0

    def by_seq(self, seq: int) -> ChangeEntry | None:
        return self.session.scalars(select(ChangeEntry).filter_by(seq=seq)).one_or_none()

    def for_entity(self, entity: str, entity_id, latest: int | None = None) -> list[ChangeEntry]:
        """Oldest first; with `latest`, only that many of the newest."""
        query = (select(ChangeEntry).filter_by(entity=entity, entity_id=str(entity_id))
                 .order_by(ChangeEntry.seq.desc()))
        entries = list(self.session.scalars(query.limit(latest) if latest else query))
        return entries[::-1]

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(tables.change_log))


class ConnectorRepository:
    def __init__(self, session: Session):
        self.session = session

    def get_or_create(self, connector: str) -> ConnectorState:
        state = self.session.scalars(
            select(ConnectorState).filter_by(connector=connector)).one_or_none()
        if state is None:
            state = ConnectorState(connector=connector)
            self.session.add(state)
        return state

    def all(self) -> list[ConnectorState]:
        return list(self.session.scalars(select(ConnectorState).order_by(ConnectorState.connector)))


class OutboxRepository(_Repo):
    model = OutboxMessage

    def backlog(self) -> int:
        return self.session.scalar(select(func.count()).select_from(tables.outbox)
                                   .where(tables.outbox.c.state != "done"))

    def counts(self) -> dict[str, int]:
        c = tables.outbox.c
        return dict(self.session.execute(select(c.state, func.count()).group_by(c.state)).all())

    def for_entity(self, kind: str, entity_id: int) -> OutboxMessage | None:
        return self.session.scalars(select(OutboxMessage).filter_by(
            kind=kind, entity_id=entity_id)).one_or_none()

    def latest_error(self) -> str | None:
        c = tables.outbox.c
        return self.session.scalar(select(c.last_error).where(
            c.state != "done", c.last_error.is_not(None)).order_by(c.id.desc()).limit(1))

    def for_entities(self, kind: str, entity_ids) -> dict[int, OutboxMessage]:
        found: dict[int, OutboxMessage] = {}
        for chunk in _chunks(sorted(set(entity_ids))):
            found.update({m.entity_id: m for m in self.session.scalars(select(OutboxMessage)
                          .where(OutboxMessage.kind == kind, OutboxMessage.entity_id.in_(chunk)))})
        return found

    def due(self, kind: str, now: datetime, limit: int = 20) -> list[OutboxMessage]:
        """Rows whose next attempt has come, soonest first; the caller checks leases."""
        return list(self.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == kind, OutboxMessage.state != "done",
                   OutboxMessage.next_attempt_at.is_not(None),
                   OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))

    def next_due_at(self, kind: str) -> datetime | None:
        c = tables.outbox.c
        return self.session.scalar(select(func.min(c.next_attempt_at)).where(
            c.kind == kind, c.state != "done"))

    def unalerted_failing(self, kind: str, since: datetime,
                          now: datetime) -> list[OutboxMessage]:
        """Rows not done or alerted whose failing began before `since`; a row tried but
        never failed cleanly (its attempts died) counts from when it was saved, once no
        attempt holds it (one may be under way right now)."""
        m = OutboxMessage
        return list(self.session.scalars(select(m).where(
            m.kind == kind, m.state != "done", m.alerted_at.is_(None),
            or_(m.failing_since <= since,
                and_(m.failing_since.is_(None), m.attempts > 0, m.created_at <= since,
                     or_(m.locked_until.is_(None), m.locked_until <= now))))))


class DraftRepository:
    """The lead form's autosave (plain rows, no domain object: it is only what was typed)."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, key: str) -> dict | None:
        c = tables.lead_drafts.c
        return self.session.scalar(select(c.fields).where(c.draft_key == key))

    def put(self, key: str, owner: str, queue_item_id: int | None, fields: dict,
            now: datetime) -> None:
        c = tables.lead_drafts.c
        updated = self.session.execute(tables.lead_drafts.update().where(c.draft_key == key)
                                       .values(fields=fields, updated_at=now))
        if updated.rowcount == 0:
            self.session.execute(tables.lead_drafts.insert().values(
                draft_key=key, owner=owner, queue_item_id=queue_item_id, fields=fields,
                updated_at=now))

    def delete(self, key: str) -> None:
        c = tables.lead_drafts.c
        self.session.execute(tables.lead_drafts.delete().where(c.draft_key == key))


class QuarantineRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_once(self, record: QuarantineRecord) -> bool:
        """Keep a bad record unless the same one is already kept; True when added."""
        exists = self.session.scalar(select(func.count()).select_from(tables.quarantine).where(
            tables.quarantine.c.source == record.source,
            tables.quarantine.c.fingerprint == record.fingerprint))
        if exists:
            return False
        self.session.add(record)
        return True

    def all(self) -> list[QuarantineRecord]:
        return list(self.session.scalars(select(QuarantineRecord).order_by(QuarantineRecord.id)))


class AlertRepository(_Repo):
    model = EmergencyAlert

    def open(self) -> list[EmergencyAlert]:
        return list(self.session.scalars(select(EmergencyAlert)
                                         .where(EmergencyAlert.closed_at.is_(None))
                                         .order_by(EmergencyAlert.raised_at)))

    def open_for_item(self, queue_item_id: int) -> EmergencyAlert | None:
        return self.session.scalars(select(EmergencyAlert).where(
            EmergencyAlert.queue_item_id == queue_item_id,
            EmergencyAlert.closed_at.is_(None))).one_or_none()

    def for_item(self, queue_item_id: int) -> list[EmergencyAlert]:
        return list(self.session.scalars(select(EmergencyAlert).where(
            EmergencyAlert.queue_item_id == queue_item_id).order_by(EmergencyAlert.id)))


class TaskRepository(_Repo):
    """Follow-up tasks."""

    model = FollowUpTask

    def for_item(self, queue_item_id: int) -> list[FollowUpTask]:
        return list(self.session.scalars(select(FollowUpTask).where(
            FollowUpTask.queue_item_id == queue_item_id).order_by(FollowUpTask.id)))

    def due(self, now: datetime, kinds=None, limit: int | None = None) -> list[FollowUpTask]:
        query = (select(FollowUpTask).where(FollowUpTask.state == TaskState.PENDING,
                                            FollowUpTask.due_at <= now)
                 .order_by(FollowUpTask.due_at, FollowUpTask.id))
        if kinds:
            query = query.where(FollowUpTask.kind.in_([str(k) for k in kinds]))
        return list(self.session.scalars(query.limit(limit)))

    def pending(self) -> list[FollowUpTask]:
        return list(self.session.scalars(select(FollowUpTask).where(
            FollowUpTask.state == TaskState.PENDING).order_by(FollowUpTask.due_at)))

    def sending_before(self, moment: datetime) -> list[FollowUpTask]:
        return list(self.session.scalars(select(FollowUpTask).where(
            FollowUpTask.state == TaskState.SENDING, FollowUpTask.finished_at <= moment)))

    def pending_for_phone(self, phone: str) -> list[FollowUpTask]:
        return list(self.session.scalars(select(FollowUpTask).where(
            FollowUpTask.phone == phone, FollowUpTask.state == TaskState.PENDING)))

    def counts(self, since: datetime | None = None, until: datetime | None = None) -> dict:
        """{(kind, state): n} of tasks created in [since, until): the Outcomes tab's
        follow-up completion."""
        c = tables.followup_tasks.c
        query = select(c.kind, c.state, func.count()).group_by(c.kind, c.state)
        if since is not None:
            query = query.where(c.created_at >= since)
        if until is not None:
            query = query.where(c.created_at < until)
        return {(kind, state): n for kind, state, n in self.session.execute(query)}


class TextRepository(_Repo):
    """Texts sent and received."""

    model = TextMessage

    def known_ids(self, provider: str, ids) -> set[str]:
        c = tables.text_messages.c
        found: set[str] = set()
        for chunk in _chunks(sorted(set(ids))):
            found.update(self.session.scalars(select(c.provider_message_id).where(
                c.provider == provider, c.provider_message_id.in_(chunk))))
        return found

    def sent_to(self, phone: str, since: datetime, automated_only: bool = True) -> list[datetime]:
        """When texts went to `phone` since `since` (for caps and state limits)."""
        c = tables.text_messages.c
        query = select(c.at).where(c.phone == phone, c.direction == "out", c.at >= since)
        if automated_only:
            query = query.where(c.automated == 1)
        return [as_utc(at) for at in self.session.scalars(query.order_by(c.at))]


class ConsentRepository(_Repo):
    """Opt-out and opt-in records; the latest per number decides."""

    model = ConsentRecord

    def latest(self, phone: str) -> ConsentRecord | None:
        """The newest record by when the customer said it (a STOP read late still counts
        from when it was sent)."""
        return self.session.scalars(select(ConsentRecord).where(
            ConsentRecord.phone == phone).order_by(ConsentRecord.at.desc(),
                                                   ConsentRecord.id.desc()).limit(1)).first()

    def history(self, phone: str) -> list[ConsentRecord]:
        return list(self.session.scalars(select(ConsentRecord).where(
            ConsentRecord.phone == phone).order_by(ConsentRecord.at, ConsentRecord.id)))

    def opted_out_numbers(self) -> list[ConsentRecord]:
        """The do-not-text list: each number whose latest record is an opt-out."""
        records = self.session.scalars(select(ConsentRecord).order_by(
            ConsentRecord.phone, ConsentRecord.at, ConsentRecord.id))
        latest: dict[str, ConsentRecord] = {}
        for record in records:  # the list is short: one row per number that ever opted
            latest[record.phone] = record
        return sorted((r for r in latest.values() if r.opted_out), key=lambda r: r.at)
