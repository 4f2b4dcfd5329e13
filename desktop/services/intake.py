"""Lead intake: validate, then save the lead, its change-log entry and its CRM record in
one transaction."""

from __future__ import annotations

import uuid

from desktop.domain.changelog import person
from desktop.domain.clock import Clock, utcnow
from desktop.domain.leads import DEFAULT_REQUIRED, Lead, LeadDraft, LeadInvalid, validate
from desktop.domain.outbox import DELIVER_LEAD
from desktop.domain.phone import to_e164
from desktop.domain.queue import Disposition, ItemState
from desktop.services.unit_of_work import UnitOfWorkFactory
from desktop.services.views import LeadView


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
        lead = Lead(
            name=clean["name"], phone=to_e164(clean["phone"], self.region),
            email=clean["email"].lower() or None, service_address=clean["service_address"],
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
            self._crm.record_lead(uow, lead, now, person(who))
            if item is not None:
                self._link_item(uow, item, lead, who, now)
            uow.commit()
        return LeadView.of(lead)

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

    def all(self, limit: int | None = None) -> list[LeadView]:
        """Leads, newest first, with their delivery attempts where they have an outbox row."""
        with self._uow() as uow:
            leads = uow.leads.all(limit)
            rows = uow.outbox.for_entities(DELIVER_LEAD, [lead.id for lead in leads])
            return [LeadView.of(lead, rows.get(lead.id)) for lead in leads]
