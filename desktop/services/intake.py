"""Lead intake: validate, then save the lead, its change-log entry and its CRM record in
one transaction."""

from __future__ import annotations

import uuid

from desktop.domain.address import check_address, parse_address
from desktop.domain.changelog import person
from desktop.domain.clock import Clock, utcnow
from desktop.domain.leads import DEFAULT_REQUIRED, Lead, LeadDraft, LeadInvalid, validate
from desktop.domain.outbox import DELIVER_LEAD
from desktop.domain.phone import to_e164
from desktop.domain.queue import Disposition, ItemState
from desktop.services.emergencies import close_alert_of
from desktop.services.followup import cancel_tasks_of
from desktop.services.unit_of_work import UnitOfWorkFactory
from desktop.services.views import LeadView


def draft_key(who: str, queue_item_id: int | None) -> str:
    return f"{who}|{queue_item_id if queue_item_id is not None else 'new'}"


class LeadService:
    def __init__(self, uow_factory: UnitOfWorkFactory, crm, clock: Clock = utcnow,
                 required=DEFAULT_REQUIRED, region: str = "US"):
        self._uow = uow_factory
        self._crm = crm
        self._clock = clock
        self.required = tuple(required)
        self.region = region

    def problems(self, values: dict[str, str]) -> dict[str, str]:
        return validate(values, self.required, self.region)

    def create(self, draft: LeadDraft, who: str) -> Lead:
        problems = self.problems(draft.values)
        if problems:
            raise LeadInvalid(problems)
        clean = {k: v.strip() for k, v in draft.values.items()}
        now = self._clock()
        where = parse_address(clean["service_address"])
        # A part the parser could not make sense of stays in service_address only.
        odd = check_address(where)
        lead = Lead(
            name=clean["name"], phone=to_e164(clean["phone"], self.region),
            email=clean["email"].lower() or None, service_address=clean["service_address"],
            service_street=where.street or None, service_unit=where.unit or None,
            service_city=where.city or None,
            service_state=where.state if len(where.state) == 2 else None,
            service_zip=where.zip if where.zip and "zip" not in odd else None,
            service_type=clean["service_type"], urgency=clean["urgency"] or "routine",
            source=clean["source"], notes=clean["notes"] or None, created_by=who,
            created_at=now, idempotency_key=uuid.uuid4().hex,
            queue_item_id=draft.queue_item_id)
        with self._uow(write=True) as uow:
            item = uow.queue.get(draft.queue_item_id) if draft.queue_item_id else None
            if draft.queue_item_id and item is None:
                raise LeadInvalid({"queue_item_id": f"There is no queue item {draft.queue_item_id}."})
            uow.leads.add(lead)
            uow.flush()
            uow.changelog.append(at=now, actor=person(who), entity="lead", entity_id=lead.id,
                                 action="created", after=lead.snapshot())
            if draft.link_contact_id is not None:
                self._link_contact(uow, lead, draft.link_contact_id, who, now)
            if draft.not_duplicate:
                uow.changelog.append(at=now, actor=person(who), entity="lead",
                                     entity_id=lead.id, action="duplicate_overridden",
                                     reason=draft.not_duplicate)
            self._crm.record_lead(uow, lead, now, person(who))
            if item is not None:
                self._link_item(uow, item, lead, who, now)
            uow.drafts.delete(draft_key(who, draft.queue_item_id))
            uow.commit()
        return LeadView.of(lead)

    def _link_contact(self, uow, lead: Lead, contact_id: int, who: str, now) -> None:
        """"Link to existing": the lead goes onto this customer. For an outside CRM the
        contact's CRM id is the lead's at once, so delivery adds the lead record to that
        customer instead of looking for (or creating) one."""
        contact = uow.contacts.get(contact_id)
        if contact is None:
            raise LeadInvalid({"link_contact_id": f"There is no contact {contact_id}."})
        lead.contact_id = contact.id
        if contact.crm_provider == self._crm.name and contact.crm_id:
            lead.crm_id, lead.crm_provider = contact.crm_id, contact.crm_provider
        uow.changelog.append(at=now, actor=person(who), entity="lead", entity_id=lead.id,
                             action="linked_to_contact", after={
                                 "contact_id": contact.id, "crm": contact.crm_provider,
                                 "crm_id": contact.crm_id, "name": contact.name},
                             reason="the receptionist chose the existing customer")

    # -- the form's autosave -----------------------------------------------------------
    def save_draft(self, who: str, queue_item_id: int | None, values: dict) -> None:
        with self._uow(write=True) as uow:
            uow.drafts.put(draft_key(who, queue_item_id), who, queue_item_id, dict(values),
                           self._clock())
            uow.commit()

    def load_draft(self, who: str, queue_item_id: int | None) -> dict | None:
        with self._uow() as uow:
            return uow.drafts.get(draft_key(who, queue_item_id))

    def discard_draft(self, who: str, queue_item_id: int | None) -> None:
        with self._uow(write=True) as uow:
            uow.drafts.delete(draft_key(who, queue_item_id))
            uow.commit()

    @staticmethod
    def _link_item(uow, item, lead: Lead, who: str, now) -> None:
        """The lead resolves its queue item, unless the item is already done or another
        person owns it: then it is only linked, and the owner decides (the lead is saved
        either way; the caller is on the line)."""
        before = item.snapshot()
        item.lead_id = lead.id
        if item.state != ItemState.DONE and item.owner in (None, who):
            item.resolve(who, now, Disposition.LEAD_CREATED)
            action, reason = "resolved", f"lead {lead.id} created"
        else:
            action = "lead_linked"
            reason = (f"lead {lead.id} created by {who}; left open for {item.owner}"
                      if item.state != ItemState.DONE else f"lead {lead.id} created")
        uow.changelog.append(at=now, actor=person(who), entity="queue_item", entity_id=item.id,
                             action=action, before=before, after=item.snapshot(), reason=reason)
        close_alert_of(uow, item, now, person(who), reason)
        cancel_tasks_of(uow, item, now, person(who), reason)

    def all(self, limit: int | None = None) -> list[LeadView]:
        """Leads, newest first, with their delivery attempts where they have an outbox row."""
        with self._uow() as uow:
            leads = uow.leads.all(limit)
            rows = uow.outbox.for_entities(DELIVER_LEAD, [lead.id for lead in leads])
            return [LeadView.of(lead, rows.get(lead.id)) for lead in leads]
