"""The delivery worker against an in-memory CRM with every failure it must survive, on a
real SQLite database: one CRM record per lead whatever happens, the outbox written with the
lead, retries with backoff, the alert, the one-click retry, scopes, rollback notes."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from fakes import Crash, MemoryCrm

from desktop.adapters.errors import ProblemKind, ProviderError
from desktop.domain import crm as rules
from desktop.domain.leads import LeadDraft
from desktop.domain.outbox import DELIVER_LEAD
from desktop.services.crm_access import ScopedCrm
from desktop.services.delivery import DeliveryService, QueueForDelivery
from desktop.services.intake import LeadService

ANN = {"name": "Ann Lee", "phone": "(312) 555-0142", "email": "ann@example.com",
       "service_address": "12 Elm St", "service_type": "Drain cleaning",
       "urgency": "urgent", "source": "Google Ads", "notes": "Kitchen sink backs up"}


class Desk:
    """One desk: the intake and a delivery worker sharing a database and a CRM."""

    def __init__(self, app, crm, clock, me="desk-A", scopes=rules.DEFAULT_SCOPES,
                 gone=lambda holder: False, limit=4):
        self.app, self.crm, self.clock = app, crm, clock
        self.scoped = ScopedCrm(crm, scopes)
        self.delivery = DeliveryService(
            app.uow, self.scoped, field_map=crm.default_field_map,
            rules=rules.RetryRules(limit=limit, alert_after=timedelta(minutes=10)), me=me,
            holder_is_gone=gone, clock=clock, rng=random.Random(4))
        self.leads = LeadService(app.uow, QueueForDelivery(crm.name, crm.label), clock)

    @property
    def alerts(self) -> list[str]:
        """The alerts every desk will show, in words."""
        return [words for _, words in self.delivery.alerts_after(0)]

    def save(self, **changes) -> int:
        return self.leads.create(LeadDraft.from_mapping({**ANN, **changes}), "Dana").id

    def lead(self, lead_id):
        with self.app.uow() as uow:
            lead = uow.leads.get(lead_id)
            row = uow.outbox.for_entity(DELIVER_LEAD, lead_id)
            return (lead.delivery_state, lead.crm_id, lead.crm_record_id, lead.last_error,
                    row.state if row else None, row.attempts if row else None)

    def entries(self, **match):
        with self.app.uow() as uow:
            return [e for e in uow.changelog.entries()
                    if all(getattr(e, k) == v for k, v in match.items())]


@pytest.fixture
def crm(clock):
    return MemoryCrm(clock, search_lag=5)


@pytest.fixture
def desk(app_factory, crm, clock):
    return Desk(app_factory(), crm, clock)


def test_saving_a_lead_writes_lead_change_log_and_outbox_row_in_one_transaction(desk):
    lead_id = desk.save()
    assert desk.lead(lead_id) == ("pending", None, None, None, "pending", 0)
    assert [e.action for e in desk.entries(entity="lead")] == ["created", "queued"]
    assert desk.crm.calls == []  # nothing leaves the PC inside the save


def test_a_lead_reaches_the_crm_once_with_mapped_fields_and_a_rollback_note(desk):
    lead_id = desk.save()
    report = desk.delivery.run_due()
    assert report.delivered == [lead_id]
    state, contact_id, record_id, error, row_state, attempts = desk.lead(lead_id)
    assert (state, error, row_state, attempts) == ("delivered", None, "done", 1)
    contact = desk.crm.contacts[contact_id]
    assert (contact["name"], contact["phone"], contact["email"], contact["address"],
            contact["source"]) == ("Ann Lee", "+13125550142", "ann@example.com", "12 Elm St",
                                   "Google Ads")
    record = desk.crm.records[record_id]
    assert record["fields"]["title"] == "Drain cleaning"
    assert "Source: Google Ads" in record["fields"]["body"]
    assert "Notes: Kitchen sink backs up" in record["fields"]["body"]
    created = desk.entries(entity="crm_contact", action="created")[0]
    assert created.after["crm_id"] == contact_id and created.after["lead_id"] == lead_id
    assert created.reason == f"Delete MemoryCRM contact {contact_id}."
    assert desk.entries(entity="crm_request", action="created")[0].entity_id == record_id
    # The customer is cached at once, for duplicate warnings.
    with desk.app.uow() as uow:
        assert uow.contacts.by_crm_id("memory", contact_id).phone == "+13125550142"


def test_a_second_lead_from_the_same_customer_links_to_the_existing_contact(desk, clock):
    first = desk.save()
    desk.delivery.run_due()
    clock.advance(seconds=60)  # past the search lag
    second = desk.save(service_type="Water heater", email="")
    desk.delivery.run_due()
    assert len(desk.crm.contacts) == 1 and len(desk.crm.records) == 2
    assert desk.lead(first)[1] == desk.lead(second)[1]
    linked = desk.entries(entity="crm_contact", action="linked")
    assert len(linked) == 1 and "already existed" in linked[0].reason


@pytest.mark.parametrize("op", ["create_contact", "create_lead"])
def test_a_create_whose_answer_was_lost_is_found_not_repeated(desk, clock, op):
    """The CRM committed, the answer timed out; the search index lags; the retry must
    find the record by our key instead of creating a second one."""
    desk.crm.lose_answer(op)
    lead_id = desk.save()
    first = desk.delivery.run_due()
    assert first.delivered == [] and "did not answer" in first.failed[lead_id]
    clock.advance(seconds=60)
    assert desk.delivery.run_due().delivered == [lead_id]
    assert len(desk.crm.contacts) == 1 and len(desk.crm.records) == 1
    assert desk.lead(lead_id)[0] == "delivered"


@pytest.mark.parametrize("op", ["create_contact", "create_lead"])
def test_a_crash_after_the_crm_accepted_and_before_our_commit_leaves_one_record(
        app_factory, crm, clock, op):
    """The process dies right after the CRM's answer; a restarted desk (a new process
    whose predecessor is known to be gone) finishes the job: still one of each."""
    dying = Desk(app_factory(), crm, clock, me="pid-1")
    lead_id = dying.save()
    crm.crash_after(op)
    with pytest.raises(Crash):
        dying.delivery.run_due()
    restarted = Desk(app_factory(), crm, clock, me="pid-2", gone=lambda h: h == "pid-1")
    assert restarted.delivery.run_due().delivered == [lead_id]
    assert len(crm.contacts) == 1 and len(crm.records) == 1
    assert restarted.lead(lead_id)[0] == "delivered"


def test_a_lease_held_by_a_live_process_is_left_alone_until_it_expires(app_factory, crm, clock):
    dying = Desk(app_factory(), crm, clock, me="pid-1")
    lead_id = dying.save()
    crm.crash_after("create_lead")
    with pytest.raises(Crash):
        dying.delivery.run_due()
    other = Desk(app_factory(), crm, clock, me="desk-B")  # cannot tell pid-1 is gone
    assert other.delivery.run_due().delivered == []
    clock.advance(minutes=11)  # the 10-minute lease ran out
    assert other.delivery.run_due().delivered == [lead_id]
    assert len(crm.records) == 1


def test_two_desks_delivering_at_once_create_one_record_per_lead(app_factory, crm, clock):
    a = Desk(app_factory(), crm, clock, me="desk-A")
    b = Desk(app_factory(), crm, clock, me="desk-B")
    ids = [a.save(phone=f"312555{n:04d}", email=f"c{n}@example.com") for n in range(20)]
    threads = [threading.Thread(target=d.delivery.run_due) for d in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {a.lead(i)[0] for i in ids} == {"delivered"}
    assert len(crm.contacts) == 20 and len(crm.records) == 20


def test_an_outage_backs_off_alerts_after_ten_minutes_and_then_delivers_once(desk, clock):
    outage = ProviderError("MemoryCRM is having trouble (HTTP 503); will retry",
                           ProblemKind.NETWORK)
    desk.crm.fail("find_contact", outage, times=3)
    lead_id = desk.save()
    waits = []
    for _ in range(3):
        report = desk.delivery.run_due()
        assert report.failed == {lead_id: str(outage)}
        waits.append(report.next_due_at - clock())
        clock.set(report.next_due_at)
    assert waits[0] < waits[1] < waits[2]               # exponential, with jitter
    assert timedelta(seconds=7) <= waits[0] <= timedelta(seconds=15)
    assert desk.lead(lead_id)[0] == "pending" and desk.alerts == []
    # Still failing past the alert time: the alert fires once, the lead shows as failed.
    desk.crm.fail("find_contact", outage, times=1)
    clock.advance(minutes=11)
    desk.delivery.run_due()
    assert len(desk.alerts) == 1 and "Ann Lee" in desk.alerts[0]
    assert "HTTP 503" in desk.alerts[0]
    state, *_, error, row_state, _ = desk.lead(lead_id)
    assert (state, row_state) == ("failed", "failed") and "HTTP 503" in error
    assert len(desk.entries(entity="alert")) == 1
    # The service comes back; the failed lead is still retried by itself (an outage).
    clock.advance(minutes=16)
    assert desk.delivery.run_due().delivered == [lead_id]
    assert len(desk.alerts) == 1 and len(desk.crm.records) == 1


def test_retry_after_is_honoured(desk, clock):
    desk.crm.fail("find_contact", ProviderError("slow down", ProblemKind.RATE_LIMITED, 120))
    desk.save()
    report = desk.delivery.run_due()
    assert report.next_due_at - clock() >= timedelta(seconds=120)


def test_the_retry_limit_flags_the_lead_and_alerts(desk, clock):
    desk.crm.fail("find_contact", ProviderError("down", ProblemKind.NETWORK), times=4)
    lead_id = desk.save()
    for _ in range(4):
        report = desk.delivery.run_due()
        if report.next_due_at:
            clock.set(report.next_due_at)
    assert desk.lead(lead_id)[0] == "failed" and len(desk.alerts) == 1


def test_a_refusal_waits_for_a_person_and_one_click_retry_delivers(desk, clock):
    desk.crm.fail("create_contact", ProviderError("MemoryCRM refused the request: phone is "
                                                  "invalid", ProblemKind.REJECTED))
    lead_id = desk.save()
    report = desk.delivery.run_due()
    assert report.next_due_at is None and len(desk.alerts) == 1
    assert desk.lead(lead_id)[0] == "failed" and "phone is invalid" in desk.lead(lead_id)[3]
    clock.advance(hours=5)
    assert desk.delivery.run_due().delivered == []  # not retried by itself
    desk.delivery.retry(lead_id, "Dana")
    assert desk.delivery.run_due().delivered == [lead_id]
    assert [e.action for e in desk.entries(entity="lead")][-2:] == ["retry_requested",
                                                                   "delivered"]


def test_a_call_outside_the_granted_scopes_is_refused_and_logged(app_factory, crm, clock,
                                                                 caplog):
    scopes = [s for s in rules.DEFAULT_SCOPES if s != rules.CREATE_CONTACT]
    desk = Desk(app_factory(), crm, clock, scopes=scopes)
    lead_id = desk.save()
    desk.delivery.run_due()
    assert crm.contacts == {} and "create_contact" not in crm.calls
    assert "crm:create_contact" in desk.lead(lead_id)[3]
    refused = desk.entries(entity="lead", action="refused")
    assert refused and refused[0].after["scope"] == "crm:create_contact"
    assert "scope crm:create_contact is not granted" in caplog.text


def test_the_guard_has_no_delete_and_no_undeclared_operation(crm):
    scoped = ScopedCrm(crm, rules.CRM_SCOPES)
    for name in ("delete_contact", "remove", "archive_contact", "_failures"):
        with pytest.raises(AttributeError):
            getattr(scoped, name)


def test_a_mapping_that_leaves_a_required_field_empty_is_reported_before_sending(
        app_factory, crm, clock):
    desk = Desk(app_factory(), crm, clock)
    desk.delivery.field_map = {**crm.default_field_map, "service_type": ""}
    lead_id = desk.save()
    desk.delivery.run_due()
    assert crm.calls == []
    error = desk.lead(lead_id)[3]
    assert "lead.title is required by the CRM, but no lead field maps to it" in error


def test_updating_an_existing_customer_is_off_by_default(desk, clock):
    desk.crm.seed("Ann Lee", "+13125550142", email=None, address=None)
    desk.save()
    desk.delivery.run_due()
    assert "update_contact" not in desk.crm.calls
    assert list(desk.crm.contacts.values())[0]["email"] is None


def test_a_granted_update_fills_blanks_and_can_be_reverted(app_factory, crm, clock):
    desk = Desk(app_factory(), crm, clock, scopes=rules.CRM_SCOPES)
    crm_id = crm.seed("Ann Lee", "+13125550142", email=None, address="old address")
    desk.save()
    desk.delivery.run_due()
    assert crm.contacts[crm_id]["email"] == "ann@example.com"
    assert crm.contacts[crm_id]["address"] == "old address"  # only blanks are filled
    update = desk.entries(entity="crm_contact", action="updated")[0]
    assert update.before == {"email": None} and update.after["email"] == "ann@example.com"
    desk.delivery.revert(update.seq, "Owner")
    assert crm.contacts[crm_id]["email"] is None
    assert desk.entries(entity="crm_contact", action="reverted")[0].after["reverts"] == update.seq


def test_a_revert_needs_the_update_scope_and_is_refused_without_it(app_factory, crm, clock):
    granted = Desk(app_factory(), crm, clock, scopes=rules.CRM_SCOPES)
    crm.seed("Ann Lee", "+13125550142")
    granted.save()
    granted.delivery.run_due()
    seq = granted.entries(entity="crm_contact", action="updated")[0].seq
    limited = Desk(app_factory(), crm, clock)
    with pytest.raises(PermissionError, match="crm:update_contact"):
        limited.delivery.revert(seq, "Owner")
    assert limited.entries(entity="crm_contact", action="refused")


def test_a_revert_does_not_overwrite_a_later_change_in_the_crm(app_factory, crm, clock):
    desk = Desk(app_factory(), crm, clock, scopes=rules.CRM_SCOPES)
    crm_id = crm.seed("Ann Lee", "+13125550142")
    desk.save()
    desk.delivery.run_due()
    crm.contacts[crm_id]["email"] = "ann.lee@work.example"  # someone edited it since
    seq = desk.entries(entity="crm_contact", action="updated")[0].seq
    with pytest.raises(ValueError, match="email changed"):
        desk.delivery.revert(seq, "Owner")
    assert crm.contacts[crm_id]["email"] == "ann.lee@work.example"


def test_a_slow_attempt_that_lost_its_lease_does_not_create_a_second_record(
        app_factory, clock):
    """Desk A's search hangs past its lease; desk B takes the lead over and delivers it.
    When A's search finally answers (nothing found: the index lags), A must not create."""
    crm = MemoryCrm(clock, search_lag=600)
    a = Desk(app_factory(), crm, clock, me="desk-A")
    b = Desk(app_factory(), crm, clock, me="desk-B")
    lead_id = a.save()

    def meanwhile():
        clock.advance(minutes=11)  # A's lease (10 min) runs out while its search hangs
        assert b.delivery.run_due().delivered == [lead_id]

    crm.meanwhile("find_contact", meanwhile)
    assert a.delivery.run_due().delivered == []
    assert "create_contact" in crm.calls and crm.calls.count("create_contact") == 1
    assert len(crm.contacts) == 1 and len(crm.records) == 1
    assert a.lead(lead_id)[0] == "delivered"


def test_a_retry_looks_for_its_own_contact_before_the_cache(desk, clock):
    """Lead 1's contact landed but the answer was lost; lead 2 (same phone) made its own
    while the search lagged. Lead 1's retry must find *its* contact by key, not link to
    lead 2's and leave its own untracked."""
    desk.crm.lose_answer("create_contact")
    first = desk.save()
    desk.delivery.run_due()
    second = desk.save(email="other@example.com")
    clock.advance(seconds=1)
    desk.delivery.run_due()
    mine = {crm_id for crm_id, c in desk.crm.contacts.items() if c["key"]}
    assert len(mine) == 2
    clock.advance(minutes=1)
    desk.delivery.run_due()
    assert desk.lead(first)[0] == desk.lead(second)[0] == "delivered"
    keys = {c["key"]: crm_id for crm_id, c in desk.crm.contacts.items()}
    with desk.app.uow() as uow:
        assert uow.leads.get(first).crm_id == keys[uow.leads.get(first).idempotency_key]


def test_a_lead_whose_attempts_never_finish_still_alerts(app_factory, crm, clock):
    dying = Desk(app_factory(), crm, clock, me="pid-1")
    lead_id = dying.save()
    crm.crash_after("find_contact")
    with pytest.raises(Crash):
        dying.delivery.run_due()
    clock.advance(minutes=11)
    other = Desk(app_factory(), crm, clock, me="desk-B")
    other.delivery.run_due(limit=0)  # no attempt: only the alert sweep
    assert len(other.alerts) == 1 and "no attempt has finished" in other.alerts[0]
    assert other.lead(lead_id)[0] == "failed"


def test_retry_during_an_outage_does_not_push_the_alert_back(desk, clock):
    outage = ProviderError("MemoryCRM is having trouble (HTTP 503)", ProblemKind.NETWORK)
    desk.crm.fail("find_contact", outage, times=20)
    lead_id = desk.save()
    for _ in range(4):
        desk.delivery.run_due()
        clock.advance(minutes=3)
        desk.delivery.retry(lead_id, "Dana")  # someone keeps clicking Retry
    desk.delivery.run_due()
    assert len(desk.alerts) == 1


def test_a_lead_saved_for_another_crm_waits_for_a_person(app_factory, clock):
    old, new = MemoryCrm(clock), MemoryCrm(clock)
    new.name, new.label = "other", "OtherCRM"
    before = Desk(app_factory(), old, clock)
    lead_id = before.save()
    after = Desk(app_factory(), new, clock)
    after.delivery.run_due()
    state, *_, error, row_state, _ = after.lead(lead_id)
    assert (state, row_state) == ("failed", "failed") and "now go to OtherCRM" in error
    assert old.calls == new.calls == []
    after.delivery.retry(lead_id, "Dana")
    assert after.delivery.run_due().delivered == [lead_id]
    assert len(new.records) == 1 and old.records == {}


def test_an_update_interrupted_after_the_crm_answered_is_still_in_the_log(app_factory, crm,
                                                                         clock):
    desk = Desk(app_factory(), crm, clock, scopes=rules.CRM_SCOPES)
    crm_id = crm.seed("Ann Lee", "+13125550142", email=None)
    desk.save()
    crm.crash_after("update_contact")
    with pytest.raises(Crash):
        desk.delivery.run_due()
    [intent] = desk.entries(entity="crm_contact", action="update_started")
    assert intent.before == {"email": None, "address": None}
    assert intent.after["email"] == "ann@example.com"
    desk.delivery.revert(intent.seq, "Owner")
    assert crm.contacts[crm_id]["email"] is None


def test_a_revert_the_crm_does_not_take_is_reported_not_logged_as_done(app_factory, crm,
                                                                      clock):
    crm.drops_empty_updates = True  # like Jobber: clearing a field is not possible
    desk = Desk(app_factory(), crm, clock, scopes=rules.CRM_SCOPES)
    crm_id = crm.seed("Ann Lee", "+13125550142", email=None)
    desk.save()
    desk.delivery.run_due()
    seq = desk.entries(entity="crm_contact", action="updated")[0].seq
    with pytest.raises(ValueError, match="kept email"):
        desk.delivery.revert(seq, "Owner")
    assert crm.contacts[crm_id]["email"] == "ann@example.com"
    assert desk.entries(entity="crm_contact", action="revert_failed")
    assert not desk.entries(entity="crm_contact", action="reverted")


def test_a_customer_deleted_in_the_crm_is_looked_up_again_not_failed_forever(desk, clock):
    first = desk.save()
    desk.delivery.run_due()
    old = desk.lead(first)[1]
    del desk.crm.contacts[old]          # the shop merged or deleted the customer
    second = desk.save(service_type="Water heater")
    report = desk.delivery.run_due()
    assert "was deleted or merged" in report.failed[second]
    clock.set(report.next_due_at)
    assert desk.delivery.run_due().delivered == [second]
    new = desk.lead(second)[1]
    assert new != old and new in desk.crm.contacts
    assert desk.entries(entity="lead", action="contact_gone")
    with desk.app.uow() as uow:
        assert uow.contacts.by_crm_id("memory", old) is None
        assert uow.leads.get(first).crm_id == old  # the delivered lead keeps its history


def test_a_contact_sync_cut_short_does_not_move_its_cursor(app_factory, crm, clock):
    from desktop.services.crm_sync import CrmSync
    app = app_factory()
    for n in range(3):
        crm.seed(f"Customer {n}", f"+1312555010{n}")
    sync = CrmSync(app.uow, ScopedCrm(crm, rules.DEFAULT_SCOPES), clock)
    sync.poll(should_stop=lambda: True)  # the window closed after the first page
    with app.uow() as uow:
        assert uow.connectors.get_or_create("crm:memory:contacts").cursor is None
        assert uow.contacts.count() == 1
    sync.poll()
    with app.uow() as uow:
        assert uow.connectors.get_or_create("crm:memory:contacts").cursor == clock()
        assert uow.contacts.count() == 3


def test_retry_clicked_after_a_lost_create_still_finds_the_lead_s_own_contact(
        app_factory, crm, clock):
    """The create landed but its answer was lost and the lead was flagged; meanwhile a
    second lead from the same number made its own contact. After Retry (attempts start
    again at 1) lead 1 must still look for its own contact by key first."""
    desk = Desk(app_factory(), crm, clock, limit=1)
    crm.lose_answer("create_contact")
    first = desk.save()
    desk.delivery.run_due()
    assert desk.lead(first)[0] == "failed"
    second = desk.save(email="other@example.com")
    desk.delivery.run_due()
    desk.delivery.retry(first, "Dana")
    desk.delivery.run_due()
    with desk.app.uow() as uow:
        lead = uow.leads.get(first)
        assert crm.contacts[lead.crm_id]["key"] == lead.idempotency_key
    assert desk.lead(second)[0] == "delivered"


def test_a_lead_linked_to_an_existing_customer_is_delivered_onto_that_customer(desk):
    """"Link to existing" on the form: the lead record goes onto the chosen CRM contact,
    with no search and no new contact."""
    from desktop.domain.contacts import Contact
    crm_id = desk.crm.seed("Robert Smith", "+13125550199")
    with desk.app.uow(write=True) as uow:
        contact = Contact(name="Robert Smith", phone="+13125550199", crm_provider="memory",
                          crm_id=crm_id, created_at=desk.clock(), updated_at=desk.clock())
        uow.contacts.add(contact)
        uow.commit()
        contact_id = contact.id
    lead_id = desk.leads.create(LeadDraft.from_mapping(
        {**ANN, "name": "Bob Smith", "link_contact_id": contact_id}), "Dana").id
    assert desk.delivery.run_due().delivered == [lead_id]
    assert desk.lead(lead_id)[1] == crm_id and len(desk.crm.contacts) == 1
    assert "find_contact" not in desk.crm.calls and "create_contact" not in desk.crm.calls
    assert len(desk.crm.records_for(crm_id)) == 1
