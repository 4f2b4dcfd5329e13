"""Lead delivery: every saved lead reaches the shop's CRM exactly once, or a person hears why.

Saving a lead writes the lead, its change-log entry and an outbox row in one transaction
(`QueueForDelivery`, the intake's lead destination for an external CRM). This worker then
takes due rows one at a time, under a lease, and pushes each lead in two checkpointed steps:

1. **The customer.** Look for the contact (by our key on the record, then phone, then
   email); create it when there is none (a "Contact already exists" answer links instead).
   The CRM's id is committed at once, with a change-log entry that carries the rollback
   note; from then on a retry never creates the customer again.
2. **The lead record** (HubSpot note, Jobber request, Housecall Pro lead). On any attempt
   after the first, ask the CRM first whether an earlier attempt's create landed (the
   answer can be lost to a crash or a timeout after the CRM committed); create only if not.
   The record id, the delivered state and the outbox row's end are one commit.

Failures back off exponentially with jitter (never sooner than Retry-After). Once the retry
limit is reached, or the lead has been failing longer than `crm.alert_after_minutes`, an
alert goes out once (desktop notification, change log) and the lead shows as failed with
the CRM's words; an outage keeps being retried at the slowest pace, a refusal (bad data,
missing permission, bad key) waits for a person's one-click retry.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desktop.adapters.crm.base import CrmContact, CrmWrite
from desktop.adapters.errors import ProblemKind, ProviderError
from desktop.domain import crm as crm_rules
from desktop.domain.changelog import person, worker
from desktop.domain.clock import Clock, utcnow
from desktop.domain.contacts import Contact
from desktop.domain.leads import DeliveryState, Lead
from desktop.domain.outbox import DELIVER_LEAD, OutboxMessage, OutboxState
from desktop.domain.permissions import ScopeRefused
from desktop.services.crm_access import ScopedCrm
from desktop.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)
ACTOR = worker("delivery")
# A lease outlives the slowest stretch between two renewals (a few reads, each retried with
# 30-second timeouts, then one create). A crashed holder on this PC is taken over at once;
# one on another desk when its lease runs out.
LEASE = timedelta(minutes=10)


class QueueForDelivery:
    """The intake's lead destination for an external CRM: an outbox row, written in the
    same transaction as the lead, so the lead cannot be saved without its delivery."""

    def __init__(self, crm_name: str, crm_label: str):
        self.name, self.label = crm_name, crm_label

    def record_lead(self, uow, lead: Lead, now: datetime, actor: str) -> None:
        lead.crm_provider = self.name
        uow.outbox.add(OutboxMessage(kind=DELIVER_LEAD, entity_id=lead.id, created_at=now,
                                     next_attempt_at=now))
        uow.changelog.append(at=now, actor=actor, entity="lead", entity_id=lead.id,
                             action="queued", after={"crm": self.name},
                             reason=f"to be delivered to {self.label}")


class LeaseLost(RuntimeError):
    """Another process took this row over (our lease ran out); stop without writing."""


class MappingProblem(ValueError):
    """The field map leaves a CRM-required field empty; reported before anything is sent."""


@dataclass(frozen=True)
class _Claim:
    outbox_id: int
    lead_id: int
    attempt: int
    key: str
    values: dict
    crm_id: str | None
    tried_before: bool  # an earlier attempt may have reached the CRM (even before a Retry)


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)   # lead id -> why, this run
    alerts: list[str] = field(default_factory=list)
    next_due_at: datetime | None = None

    def summary(self) -> str:
        parts = [f"{len(self.delivered)} lead(s) delivered"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed this time")
        if self.next_due_at is not None:
            parts.append(f"next attempt due {self.next_due_at:%Y-%m-%d %H:%M:%S} UTC")
        return "; ".join(parts)


class DeliveryService:
    def __init__(self, uow_factory: UnitOfWorkFactory, crm: ScopedCrm, *,
                 field_map: dict, rules: crm_rules.RetryRules, me: str,
                 holder_is_gone: Callable[[str], bool] = lambda holder: False,
                 clock: Clock = utcnow, rng: random.Random | None = None,
                 lease: timedelta = LEASE):
        self._uow, self.crm, self._clock = uow_factory, crm, clock
        self.field_map, self.rules = field_map, rules
        self._me, self._gone, self._lease = me, holder_is_gone, lease
        self._rng = rng or random.Random()
        self._prepared = False

    # -- the worker --------------------------------------------------------------------
    def run_due(self, limit: int = 100, should_stop: Callable[[], bool] = lambda: False
                ) -> DeliveryReport:
        """Deliver every lead whose attempt is due (at most `limit`), then raise alerts."""
        report = DeliveryReport()
        for _ in range(limit):
            if should_stop():
                break
            claim = self._claim_next()
            if claim is None:
                break
            self._attempt(claim, report)
        self._alert_long_failures(report)
        with self._uow() as uow:
            report.next_due_at = uow.outbox.next_due_at(DELIVER_LEAD)
        return report

    def _claim_next(self) -> _Claim | None:
        now = self._clock()
        with self._uow(write=True) as uow:
            for row in uow.outbox.due(DELIVER_LEAD, now):
                held = row.locked_by and row.locked_until and row.locked_until > now
                if held and row.locked_by != self._me and not self._gone(row.locked_by):
                    continue
                lead = uow.leads.get(row.entity_id)
                if lead is None:  # cannot happen through the app; do not spin on it
                    row.state, row.next_attempt_at = OutboxState.FAILED, None
                    row.last_error = f"lead {row.entity_id} no longer exists"
                    continue
                if lead.crm_provider != self.crm.name:
                    self._other_crm(uow, row, lead, now)
                    continue
                tried_before = row.attempts > 0 or row.last_error is not None
                row.attempts += 1
                row.locked_by, row.locked_until = self._me, now + self._lease
                claim = _Claim(row.id, lead.id, row.attempts, lead.idempotency_key,
                               lead.snapshot(), lead.crm_id, tried_before)
                uow.commit()
                return claim
            uow.commit()
        return None

    def _other_crm(self, uow, row: OutboxMessage, lead: Lead, now) -> None:
        """The owner switched CRMs while this lead waited: its ids belong to the other
        one. A person decides (Retry sends it to the CRM in use now)."""
        row.state, row.next_attempt_at = OutboxState.FAILED, None
        row.locked_by = row.locked_until = None
        row.last_error = lead.last_error = (
            f"Saved for {lead.crm_provider}, but leads now go to {self.crm.label}; press "
            f"Retry to send it to {self.crm.label}.")
        row.error_kind = str(ProblemKind.NOT_CONFIGURED)
        lead.delivery_state = DeliveryState.FAILED
        uow.changelog.append(at=now, actor=ACTOR, entity="lead", entity_id=lead.id,
                             action="delivery_failed", after={"error": row.last_error},
                             reason="the CRM changed")

    def _attempt(self, claim: _Claim, report: DeliveryReport) -> None:
        try:
            mapped = self._mapped(claim)
            contact_id = claim.crm_id
            if contact_id is None:
                contact_id, existing = self._contact_step(claim, mapped["contact"])
                if existing and self.crm.allows("update_contact"):
                    self._fill_blanks(claim, contact_id, mapped["contact"])
            try:
                record = None
                if claim.tried_before or claim.crm_id:
                    record = self.crm.find_lead_record(contact_id, claim.key)
                if record is None:
                    self._renew(claim)  # the lease is ours for longer than one request takes
                    record = self.crm.create_lead(contact_id, mapped["lead"], claim.key)
            except ProviderError as exc:
                if exc.kind in (ProblemKind.NETWORK, ProblemKind.RATE_LIMITED) or \
                        not self._contact_gone(claim, contact_id):
                    raise
                raise ProviderError(
                    f"{self.crm.label} contact {contact_id} was deleted or merged; the "
                    "customer will be looked up again", ProblemKind.NETWORK) from None
            self._delivered(claim, record)
            report.delivered.append(claim.lead_id)
        except LeaseLost:
            log.warning("lead %s: another process took the delivery over", claim.lead_id)
        except ScopeRefused as exc:
            self._failed(claim, str(exc), ProblemKind.PERMISSION, None, report, refused=exc)
        except MappingProblem as exc:
            self._failed(claim, str(exc), ProblemKind.REJECTED, None, report)
        except ProviderError as exc:
            self._failed(claim, str(exc), exc.kind, exc.retry_after_s, report)
        except Exception as exc:  # an adapter bug must not stop the other leads
            log.exception("lead %s: delivery failed unexpectedly", claim.lead_id)
            self._failed(claim, f"unexpected error ({type(exc).__name__}); see the log",
                         ProblemKind.BAD_RESPONSE, None, report)

    def _mapped(self, claim: _Claim) -> dict[str, dict[str, str]]:
        mapped = crm_rules.map_lead(claim.values, self.field_map)
        problems = crm_rules.missing_required(mapped, self.crm.required, self.field_map)
        if problems:
            raise MappingProblem("Not sent: " + "; ".join(problems) + ".")
        return mapped

    # -- step 1: the customer ----------------------------------------------------------
    def _contact_step(self, claim: _Claim, fields: dict[str, str]) -> tuple[str, bool]:
        """Find or create the customer and commit its id; True when it existed already
        (a customer of the shop, not one we made for this lead)."""
        values = claim.values
        found = None
        if claim.tried_before:  # did an earlier attempt create it before dying?
            found = self.crm.find_contact(claim.key, None, None)
        found = found or self._known_customer(values["phone"]) or self.crm.find_contact(
            claim.key, values["phone"], values["email"])
        writes: list[CrmWrite] = []
        if found is None:
            self._prepare()
            self._renew(claim)
            writes.append(self.crm.create_contact(fields, claim.key))
            contact_id, name = writes[0].crm_id, values["name"]
        else:
            contact_id, name = found.crm_id, found.name
            undo = ("Nothing to undo: the customer already existed; Front Desk only linked "
                    "the lead to it.")
            if found.key == claim.key:
                undo = (f"This {self.crm.label} contact was created for this lead by an "
                        "earlier attempt whose answer was lost; delete it in "
                        f"{self.crm.label} if it was a mistake. Front Desk never deletes.")
            writes.append(CrmWrite(kind="contact", crm_id=found.crm_id, action="linked",
                                   after={"name": found.name, "phone": found.phone,
                                          "email": found.email}, undo=undo))
        self._checkpoint_contact(claim, contact_id, name, values, writes)
        return contact_id, found is not None and found.key != claim.key

    def _known_customer(self, phone: str) -> CrmContact | None:
        """A customer of this CRM we already know by phone (one we created or linked a
        minute ago is not in the CRM's search index yet; our cache has it at once)."""
        with self._uow() as uow:
            cached = uow.contacts.by_phone_in(self.crm.name, phone)
            if cached is None:
                return None
            return CrmContact(crm_id=cached.crm_id, name=cached.name, phone=cached.phone,
                              email=cached.email, key=cached.external_id)

    def _fill_blanks(self, claim: _Claim, crm_id: str, fields: dict[str, str]) -> None:
        """With crm:update_contact granted: fill in the customer's empty fields only. The
        intent (with the values before) is committed first, so even a crash right after
        the CRM's answer leaves a change-log entry that says what changed and can revert it."""
        current = self.crm.read_contact(crm_id)
        changes = {k: v for k, v in fields.items()
                   if k in self.crm.updatable and v and not current.get(k)}
        if not changes:
            return
        before = {k: current.get(k) for k in changes}
        now = self._clock()
        with self._uow(write=True) as uow:
            self._still_mine(uow, claim, now)
            uow.changelog.append(
                at=now, actor=ACTOR, entity="crm_contact", entity_id=crm_id,
                action="update_started", before=before,
                after={**changes, "crm": self.crm.name, "crm_id": crm_id,
                       "lead_id": claim.lead_id},
                reason=f"filling in blanks on {self.crm.label} contact {crm_id}; if no "
                       "'updated' entry follows, check the contact (revert puts these back)")
            uow.commit()
        write = self.crm.update_contact(crm_id, changes)
        with self._uow(write=True) as uow:
            self._record_write(uow, write, claim.lead_id, self._clock())
            uow.commit()

    def _checkpoint_contact(self, claim: _Claim, contact_id: str, name: str, values: dict,
                            writes: list[CrmWrite]) -> None:
        now = self._clock()
        with self._uow(write=True) as uow:
            self._still_mine(uow, claim, now)
            lead = uow.leads.get(claim.lead_id)
            lead.crm_id, lead.crm_provider = contact_id, self.crm.name
            lead.contact_id = self._cache_contact(uow, contact_id, name, values, now).id
            for write in writes:
                self._record_write(uow, write, claim.lead_id, now)
            uow.commit()

    def _cache_contact(self, uow, crm_id: str, name: str, values: dict, now) -> Contact:
        """Keep the CRM's customer in the local cache at once (duplicate warnings)."""
        contact = uow.contacts.by_crm_id(self.crm.name, crm_id)
        if contact is None:
            contact = Contact(name=name or values["name"], phone=values["phone"],
                              email=values["email"], address=values["service_address"],
                              created_at=now, updated_at=now, crm_provider=self.crm.name,
                              crm_id=crm_id)
            uow.contacts.add(contact)
            uow.flush()
        return contact

    # -- step 2: done ------------------------------------------------------------------
    def _delivered(self, claim: _Claim, record: CrmWrite) -> None:
        now = self._clock()
        with self._uow(write=True) as uow:
            self._still_mine(uow, claim, now)
            lead = uow.leads.get(claim.lead_id)
            row = uow.outbox.get(claim.outbox_id)
            self._record_write(uow, record, claim.lead_id, now)
            lead.crm_record_id = record.crm_id
            lead.delivery_state, lead.delivered_at, lead.last_error = (
                DeliveryState.DELIVERED, now, None)
            row.state, row.done_at, row.next_attempt_at = OutboxState.DONE, now, None
            row.locked_by = row.locked_until = None
            row.last_error = row.error_kind = None
            uow.changelog.append(at=now, actor=ACTOR, entity="lead", entity_id=claim.lead_id,
                                 action="delivered", after={
                                     "crm": self.crm.name, "crm_id": lead.crm_id,
                                     "crm_record_id": record.crm_id, "attempt": claim.attempt},
                                 reason=f"delivered to {self.crm.label}")
            uow.commit()

    def _record_write(self, uow, write: CrmWrite, lead_id: int | None, now) -> None:
        """A CRM write in the change log: what, before and after, and how to undo it."""
        uow.changelog.append(
            at=now, actor=ACTOR, entity=f"crm_{write.kind}", entity_id=write.crm_id,
            action=write.action, before=write.before,
            after={**write.after, "crm": self.crm.name, "crm_id": write.crm_id,
                   **({"lead_id": lead_id} if lead_id is not None else {}),
                   **({"url": write.url} if write.url else {})},
            reason=write.undo)

    def _contact_gone(self, claim: _Claim, contact_id: str) -> bool:
        """After a refusal on the lead record: is the customer gone from the CRM (deleted,
        merged into another)? Then forget its id, here and in the cache, so the next
        attempt finds or creates the customer again instead of failing forever."""
        try:
            self.crm.read_contact(contact_id)
            return False
        except ProviderError as exc:
            if exc.kind is not ProblemKind.NOT_CONFIGURED:
                return False
        now = self._clock()
        with self._uow(write=True) as uow:
            self._still_mine(uow, claim, now)
            lead = uow.leads.get(claim.lead_id)
            lead.crm_id = lead.contact_id = None
            uow.contacts.forget(self.crm.name, contact_id)
            uow.changelog.append(at=now, actor=ACTOR, entity="lead", entity_id=claim.lead_id,
                                 action="contact_gone", before={"crm_id": contact_id},
                                 reason=f"{self.crm.label} no longer has contact {contact_id}")
            uow.commit()
        return True

    def _prepare(self) -> None:
        """The CRM's one-time setup (HubSpot: our contact properties), logged like any write."""
        if self._prepared:
            return
        writes = self.crm.prepare()
        if writes:
            now = self._clock()
            with self._uow(write=True) as uow:
                for write in writes:
                    self._record_write(uow, write, None, now)
                uow.commit()
        self._prepared = True

    def _renew(self, claim: _Claim) -> None:
        """Check the lease is still ours and extend it, just before a create: one request
        takes far less than the lease, so nobody else can start the same create meanwhile."""
        now = self._clock()
        with self._uow(write=True) as uow:
            self._still_mine(uow, claim, now)
            uow.commit()

    def _still_mine(self, uow, claim: _Claim, now) -> None:
        row = uow.outbox.get(claim.outbox_id)
        if row.locked_by != self._me or row.state == OutboxState.DONE:
            raise LeaseLost(claim.outbox_id)
        row.locked_until = now + self._lease

    # -- failures and alerts ----------------------------------------------------------
    def _failed(self, claim: _Claim, message: str, kind: ProblemKind,
                retry_after_s: float | None, report: DeliveryReport,
                refused: ScopeRefused | None = None) -> None:
        now = self._clock()
        alert = None
        with self._uow(write=True) as uow:
            row = uow.outbox.get(claim.outbox_id)
            if row.locked_by != self._me or row.state == OutboxState.DONE:
                return
            lead = uow.leads.get(claim.lead_id)
            row.last_error, row.error_kind = message, str(kind)
            row.failing_since = row.failing_since or now
            row.locked_by = row.locked_until = None
            limit_reached = row.attempts >= self.rules.limit
            if kind.transient:
                wait = (max(self.rules.max_wait, timedelta(seconds=retry_after_s or 0))
                        if limit_reached else
                        self.rules.wait_before(row.attempts, retry_after_s, self._rng))
                row.next_attempt_at = now + wait
            else:
                row.next_attempt_at = None  # a person must act: fix it, then Retry
            flagged = limit_reached or not kind.transient or self.rules.should_alert(
                row.attempts, row.failing_since, now)
            row.state = OutboxState.FAILED if flagged else OutboxState.PENDING
            lead.delivery_state = DeliveryState.FAILED if flagged else DeliveryState.PENDING
            lead.last_error = message
            uow.changelog.append(
                at=now, actor=ACTOR, entity="lead", entity_id=claim.lead_id,
                action="refused" if refused else "delivery_failed",
                after={"attempt": claim.attempt, "error": message, "kind": str(kind),
                       "next_attempt_at": row.next_attempt_at,
                       **({"scope": refused.scope} if refused else {})},
                reason=f"{self.crm.label} delivery attempt {claim.attempt}")
            if flagged and row.alerted_at is None:
                alert = self._alert(uow, row, lead, now)
            uow.commit()
        report.failed[claim.lead_id] = message
        log.info("lead %s: attempt %s failed (%s): %s", claim.lead_id, claim.attempt, kind,
                 message)
        if alert:
            report.alerts.append(alert)

    def _alert_long_failures(self, report: DeliveryReport) -> None:
        """Leads failing for longer than the alert time, between their attempts (or whose
        attempts never finish: killed or cut off every time)."""
        now = self._clock()
        with self._uow(write=True) as uow:
            for row in uow.outbox.unalerted_failing(DELIVER_LEAD, now - self.rules.alert_after,
                                                     now):
                lead = uow.leads.get(row.entity_id)
                row.state, lead.delivery_state = OutboxState.FAILED, DeliveryState.FAILED
                row.last_error = row.last_error or "no attempt has finished yet"
                lead.last_error = row.last_error
                report.alerts.append(self._alert(uow, row, lead, now))
            uow.commit()

    def _alert(self, uow, row: OutboxMessage, lead: Lead, now) -> str:
        """Alerts are data: a change-log entry every desk reads and shows (`alerts_after`),
        so one raised by a headless worker or another desk still reaches the receptionist,
        and a crash right after raising it cannot lose it."""
        row.alerted_at = now
        minutes = int((now - (row.failing_since or row.created_at)).total_seconds() // 60)
        text = (f"{lead.name} ({lead.phone}) has not reached {self.crm.label} after "
                f"{row.attempts} attempt(s) over {minutes} min: {row.last_error}")
        uow.changelog.append(at=now, actor=ACTOR, entity="alert", entity_id=f"lead-{lead.id}",
                             action="delivery_failed", after={"lead_id": lead.id,
                             "attempts": row.attempts, "error": row.last_error},
                             reason=text)
        return text

    def alerts_after(self, seq: int) -> list[tuple[int, str]]:
        """Delivery-failure alerts newer than change `seq`: (seq, words), oldest first."""
        with self._uow() as uow:
            return [(e.seq, e.reason) for e in uow.changelog.after_seq(seq, entity="alert")]

    def last_alert_seq(self) -> int:
        with self._uow() as uow:
            return uow.changelog.last_seq(entity="alert")

    # -- what the desk shows -----------------------------------------------------------
    def backlog(self) -> dict[str, int]:
        """Outbox rows by state: {"pending": n, "failed": n} (done rows left out)."""
        with self._uow() as uow:
            counts = uow.outbox.counts()
        return {state: counts.get(state, 0) for state in (OutboxState.PENDING,
                                                          OutboxState.FAILED)}

    def mapping_problems(self) -> list[str]:
        """Required CRM fields no lead field maps to: found before any lead is sent."""
        return [f"{target} is required by {self.crm.label} but no lead field maps to it"
                for target in crm_rules.unmapped_required(self.crm.required, self.field_map)]

    # -- what a person does -----------------------------------------------------------
    def retry(self, lead_id: int, who: str) -> None:
        """The one-click retry: the lead goes back to the front of the line."""
        now = self._clock()
        with self._uow(write=True) as uow:
            row = uow.outbox.for_entity(DELIVER_LEAD, lead_id)
            if row is None or row.state == OutboxState.DONE:
                raise ValueError(f"Lead {lead_id} is not waiting for delivery.")
            lead = uow.leads.get(lead_id)
            if row.state == OutboxState.FAILED:  # a fresh start, and a fresh alert clock
                row.attempts, row.alerted_at, row.failing_since = 0, None, None
            row.state, row.next_attempt_at = OutboxState.PENDING, now
            if lead.crm_provider != self.crm.name:  # the owner switched CRMs meanwhile
                lead.crm_provider, lead.crm_id = self.crm.name, None
            lead.delivery_state = DeliveryState.PENDING
            uow.changelog.append(at=now, actor=person(who), entity="lead", entity_id=lead_id,
                                 action="retry_requested", before={"error": row.last_error},
                                 reason="retry clicked")
            uow.commit()

    def retry_all_failed(self, who: str) -> int:
        with self._uow() as uow:
            ids = [lead.id for lead in uow.leads.all()
                   if lead.delivery_state == DeliveryState.FAILED]
        for lead_id in ids:
            self.retry(lead_id, who)
        return len(ids)

    def revert(self, seq: int, who: str) -> CrmWrite:
        """Undo a contact update the worker made: put the before values back, if nobody
        has changed those fields in the CRM since."""
        with self._uow() as uow:
            entry = uow.changelog.by_seq(seq)
        if entry is None or entry.entity != "crm_contact" or entry.action not in (
                "updated", "update_started"):
            raise ValueError(f"Change {seq} is not a CRM contact update; only those can be "
                             "reverted (creations are undone in the CRM, see their note).")
        if (entry.after or {}).get("crm") != self.crm.name:
            raise ValueError(f"Change {seq} was made in another CRM.")
        before = {k: v for k, v in (entry.before or {}).items()}
        try:
            current = self.crm.read_contact(entry.entity_id)
            moved = [k for k in before if current.get(k) != entry.after.get(k)]
            if moved:
                raise ValueError(f"Not reverted: {', '.join(moved)} changed in "
                                 f"{self.crm.label} since; revert by hand if still wanted.")
            write = self.crm.update_contact(entry.entity_id, before)
            after_revert = self.crm.read_contact(entry.entity_id)
        except ScopeRefused as exc:
            with self._uow(write=True) as uow:
                uow.changelog.append(at=self._clock(), actor=person(who), entity="crm_contact",
                                     entity_id=entry.entity_id, action="refused",
                                     after={"scope": exc.scope, "reverts": seq},
                                     reason=str(exc))
                uow.commit()
            raise
        stuck = [k for k, v in before.items() if (after_revert.get(k) or None) != (v or None)]
        now = self._clock()
        if stuck:
            with self._uow(write=True) as uow:
                uow.changelog.append(at=now, actor=person(who), entity="crm_contact",
                                     entity_id=entry.entity_id, action="revert_failed",
                                     after={"still": {k: after_revert.get(k) for k in stuck},
                                            "reverts": seq}, reason="the CRM kept the values")
                uow.commit()
            raise ValueError(f"Not reverted: {self.crm.label} kept {', '.join(stuck)}; "
                             f"change it by hand in {self.crm.label}.")
        with self._uow(write=True) as uow:
            uow.changelog.append(at=now, actor=person(who), entity="crm_contact",
                                 entity_id=entry.entity_id, action="reverted",
                                 before=write.before, after={**write.after, "crm": self.crm.name,
                                 "reverts": seq}, reason=f"revert of change {seq}")
            uow.commit()
        return write
