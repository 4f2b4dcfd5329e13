"""Lead intake on a real database: the lead, its CRM contact, the change log and the queue
item move together, or not at all."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from desktop.adapters.crm.builtin import BuiltinCrm
from fakes import StaticLine
from desktop.domain.calls import Direction, Outcome, ProviderCall
from desktop.domain.leads import LeadDraft, LeadInvalid
from desktop.services.intake import LeadService
from desktop.services.sync import PhoneSync

NOW = datetime(2025, 2, 12, 21, 0, tzinfo=timezone.utc)
MARIA = "+17735550142"
LEAD = {
    "name": "Maria Gonzalez", "phone": "(773) 555-0142", "email": "Maria@Example.com",
    "service_address": "2214 W Belmont Ave, Chicago", "service_type": "Water heater",
    "urgency": "routine", "source": "Google Ads", "notes": "Popping noise.",
}


def one_voicemail_line() -> StaticLine:
    started = NOW - timedelta(minutes=20)
    return StaticLine([ProviderCall(
        provider_call_id="CA" + "1" * 32, direction=Direction.INBOUND, from_number=MARIA,
        to_number="+13125550100", started_at=started,
        ended_at=started + timedelta(seconds=40), duration_s=40, outcome=Outcome.VOICEMAIL,
        raw_status="completed", transcript="Water heater popping, call me back.")])


class BrokenCrm(BuiltinCrm):
    """Writes its contact and change-log entries, then fails (a crash mid-delivery)."""

    def record_lead(self, uow, lead, now, actor):
        super().record_lead(uow, lead, now, actor)
        uow.flush()  # the rows really reached the database transaction
        raise RuntimeError("CRM exploded")


@pytest.fixture
def app(app_factory, clock):
    clock.set(NOW)
    app = app_factory()
    assert PhoneSync(app.uow, one_voicemail_line(), clock=clock).poll().new_items == 1
    return app


def counts(app) -> dict[str, int]:
    with app.engine.connect() as conn:
        return {table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
                for table in ("leads", "contacts", "change_log", "queue_items", "outbox")}


def the_item(app):
    (row,) = [r for r in app.queue.board() if r.phone == MARIA]
    return row


def test_creating_a_lead_saves_it_delivers_it_and_resolves_the_caller(app, clock):
    item = the_item(app)
    clock.advance(minutes=3)
    before = counts(app)

    lead = app.leads.create(LeadDraft.from_mapping(dict(LEAD, queue_item_id=item.id)), "Dana")

    assert lead.id is not None and lead.phone == MARIA and lead.email == "maria@example.com"
    assert lead.delivery_state == "delivered" and lead.crm_provider == "builtin"
    assert lead.delivered_at == clock() and lead.created_by == "Dana"
    after = counts(app)
    assert after["leads"] == before["leads"] + 1
    assert after["contacts"] == before["contacts"] + 1
    # lead created, contact created, lead delivered, queue item resolved
    assert after["change_log"] == before["change_log"] + 4

    (listed,) = app.leads.all()
    assert listed.id == lead.id and listed.delivery_state == "delivered"
    assert listed.contact_id == lead.contact_id and listed.crm_id == str(lead.contact_id)
    assert listed.queue_item_id == item.id

    resolved = next(r for r in app.queue.board() if r.id == item.id)
    assert (resolved.state, resolved.disposition, resolved.lead_id, resolved.owner) == (
        "done", "lead_created", lead.id, "Dana")
    assert item.id not in {r.id for r in app.queue.open_rows()}

    entries = app.changelog.rows()[-4:]
    assert [(e.entity, e.action, e.actor) for e in entries] == [
        ("lead", "created", "person:Dana"), ("contact", "created", "person:Dana"),
        ("lead", "delivered", "person:Dana"), ("queue_item", "resolved", "person:Dana")]
    assert entries[0].after["name"] == "Maria Gonzalez" and entries[0].after["phone"] == MARIA
    assert entries[3].before["state"] == "open" and entries[3].after["state"] == "done"
    assert entries[3].after["lead_id"] == lead.id
    assert entries[3].reason == f"lead {lead.id} created"
    assert app.changelog.verify() is None


def test_a_second_lead_for_a_known_phone_links_to_the_existing_contact(app):
    first = app.leads.create(LeadDraft.from_mapping(LEAD), "Dana")
    second = app.leads.create(LeadDraft.from_mapping(dict(LEAD, service_type="Drain cleaning")),
                              "Dana")
    assert second.contact_id == first.contact_id
    assert counts(app)["contacts"] == 1 and counts(app)["leads"] == 2
    assert second.idempotency_key != first.idempotency_key


def test_a_lead_without_a_queue_item_leaves_the_queue_alone(app):
    app.leads.create(LeadDraft.from_mapping(LEAD), "Dana")
    assert the_item(app).state == "open"


def test_an_invalid_lead_writes_nothing_and_names_every_problem(app):
    before = counts(app)
    with pytest.raises(LeadInvalid) as caught:
        app.leads.create(LeadDraft.from_mapping(dict(LEAD, name="", phone="555",
                                                     email="maria@")), "Dana")
    assert set(caught.value.problems) == {"name", "phone", "email"}
    assert counts(app) == before


def test_a_lead_for_a_missing_queue_item_is_refused_and_writes_nothing(app):
    before = counts(app)
    with pytest.raises(LeadInvalid) as caught:
        app.leads.create(LeadDraft.from_mapping(dict(LEAD, queue_item_id=999)), "Dana")
    assert "999" in caught.value.problems["queue_item_id"]
    assert counts(app) == before


def test_a_crm_failure_rolls_back_everything(app, clock):
    item = the_item(app)
    before = counts(app)
    tip = app.changelog.rows()[-1]
    service = LeadService(app.uow, BrokenCrm(app.uow), clock)

    with pytest.raises(RuntimeError, match="CRM exploded"):
        service.create(LeadDraft.from_mapping(dict(LEAD, queue_item_id=item.id)), "Dana")

    assert counts(app) == before  # no lead, no contact, no change-log entry
    assert app.leads.all() == []
    assert app.changelog.rows()[-1] == tip
    still = the_item(app)
    assert (still.state, still.disposition, still.lead_id) == ("open", None, None)

    # Nothing half-written is in the way: the same lead saves cleanly afterwards.
    lead = app.leads.create(LeadDraft.from_mapping(dict(LEAD, queue_item_id=item.id)), "Dana")
    assert lead.delivery_state == "delivered"
    assert app.changelog.verify() is None
    assert [e.seq for e in app.changelog.rows()] == list(range(1, counts(app)["change_log"] + 1))


def test_required_fields_follow_the_setting(app_factory, clock):
    app = app_factory()
    app.settings_service.set("lead.required_fields", ["name", "phone"], actor="person:test")
    app = app_factory()
    lead = app.leads.create(LeadDraft.from_mapping({"name": "Tom", "phone": "312-555-0133"}),
                            "Dana")
    assert lead.phone == "+13125550133" and lead.urgency == "routine"


def test_a_lead_for_someone_elses_caller_is_saved_and_linked_not_resolved(app_factory, clock):
    app = app_factory()
    PhoneSync(app.uow, one_voicemail_line(), clock=clock).poll()
    (item,) = app.queue.open_rows()
    app.queue.claim(item.id, "Maria")
    lead = app.leads.create(LeadDraft.from_mapping(dict(LEAD, queue_item_id=item.id)), "Dana")
    (row,) = app.queue.open_rows()
    assert (row.state, row.owner, row.lead_id) == ("claimed", "Maria", lead.id)
    history = app.queue.detail(item.id).history
    assert history[-1].action == "lead_linked" and "left open for Maria" in history[-1].summary
