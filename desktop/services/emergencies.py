"""Emergencies: triage in the sync pass, the alert, a person's answer, on-call escalation.

* `Triager` runs inside the phone sync's transaction, so a missed emergency call raises its
  alert in the same pass that stores it: the item gets the urgency, the triage's reasons
  and an `emergency_alerts` row, with change-log entries for both.
* `EmergencyService` is what the desk (and a test) does with an alert: list the open ones,
  notify (again, every `alerts.repeat_seconds`, until someone acknowledges), acknowledge,
  confirm, downgrade, and escalate: when confirmed, or unacknowledged for
  `alerts.escalate_after_minutes`, the on-call person from the rota is texted through the
  phone provider with the approved template -- only if `phone:send_sms` is granted;
  otherwise the alert says whom to call. Every step is in the change log.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from desktop.domain.changelog import person
from desktop.domain.clock import Clock, utcnow
from desktop.domain.emergencies import AlertRuleError, EmergencyAlert, Escalation
from desktop.domain.oncall import OnCall, OpeningHours, Rota, render_escalation
from desktop.domain.permissions import ScopeRefused
from desktop.domain.phone import display
from desktop.domain.queue import ItemState, QueueItem, Urgency
from desktop.domain.triage import REPEAT_WINDOW_MINUTES
from desktop.services.texting import Texting
from desktop.services.triage import TriageService
from desktop.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)
ACTOR = "worker:triage"
ESCALATOR = "worker:escalation"
SENDING_TIMEOUT = timedelta(minutes=2)
ALERT_WITHIN = timedelta(hours=24)  # older emergency calls get the urgency, not an alert


def close_alert_of(uow, item: QueueItem, now: datetime, actor: str, why: str) -> None:
    """The caller was dealt with (resolved, a lead taken): their open alert closes, so it
    neither repeats nor texts anyone. Call with the item's unit of work."""
    alert = uow.alerts.open_for_item(item.id) if item.state == ItemState.DONE else None
    if alert is None:
        return
    alert.close(now)
    uow.changelog.append(at=now, actor=actor, entity="emergency_alert", entity_id=alert.id,
                         action="closed", after=alert.snapshot(), reason=why)


def _transcript_key(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text else None


class Triager:
    """Triage for the sync: called with the sync's unit of work for each item a missed call
    created or changed."""

    def __init__(self, service: TriageService, hours: OpeningHours, zone: ZoneInfo):
        self._service, self._hours, self._zone = service, hours, zone

    def apply(self, uow, item: QueueItem, now: datetime) -> EmergencyAlert | None:
        """Re-triage the item; returns the alert it raised, if it raised one."""
        if item.state == ItemState.DONE:
            return None
        # Repeat calls from the item itself, not a query: a query per call would flush the
        # sync's page each time (a 100,000-call backfill took 2.5 times as long). All the
        # item's calls count when they fall within the window; otherwise this one alone.
        window = timedelta(minutes=REPEAT_WINDOW_MINUTES)
        recent = item.call_count if item.last_call_at - item.first_call_at <= window else 1
        result = self._service.assess(item.last_transcript, repeat_calls=max(recent, 1),
                                      after_hours=not self._hours.is_open(item.last_call_at,
                                                                          self._zone))
        before = {"urgency": str(item.urgency), "triage": item.triage}
        heard = _transcript_key(item.last_transcript)
        new_words = heard != (item.triage or {}).get("transcript")
        item.triage = {"urgency": str(result.urgency), "confidence": result.confidence,
                       "reasons": list(result.reasons), "sentiment": result.sentiment,
                       "transcript": heard}
        emergency = result.urgency == Urgency.EMERGENCY
        decided = item.urgency_set_by is not None
        # A person's decision stands. Only a new voicemail that says emergency after they
        # said it was not ("now it's pouring through the ceiling") reopens it.
        reopened = emergency and new_words and item.urgency != Urgency.EMERGENCY
        if decided and not reopened:
            emergency = emergency and new_words  # theirs was "emergency" too: alert anew
        else:
            item.urgency_set_by = None
            item.urgency = str(result.urgency)
        if before != {"urgency": str(item.urgency), "triage": item.triage}:
            uow.changelog.append(at=now, actor=ACTOR, entity="queue_item", entity_id=item.id,
                                 action="triaged", before=before,
                                 after={"urgency": str(item.urgency), "triage": item.triage},
                                 reason="; ".join(result.reasons)[:500])
        if not emergency or now - item.last_call_at > ALERT_WITHIN:
            return None  # a week-old emergency found by the first backfill is history
        if uow.alerts.open_for_item(item.id) is not None:
            return None
        alert = EmergencyAlert(queue_item_id=item.id, phone=item.phone, raised_at=now,
                               reasons=list(result.reasons), confidence=result.confidence)
        uow.alerts.add(alert)
        uow.flush()
        uow.changelog.append(at=now, actor=ACTOR, entity="emergency_alert",
                             entity_id=alert.id, action="raised", after=alert.snapshot(),
                             reason=f"emergency call from {item.phone}")
        return alert


@dataclass(frozen=True)
class AlertView:
    id: int
    queue_item_id: int
    phone: str
    caller: str | None
    reasons: tuple[str, ...]
    confidence: float
    transcript: str | None
    raised_at: datetime
    acknowledged_by: str | None
    decision: str | None
    decided_by: str | None
    escalation: str | None
    escalated_to: str | None
    escalation_note: str | None
    closed: bool
    on_call: str | None  # who is on call now, for "call them" when texting is not allowed

    @property
    def who(self) -> str:
        shown = display(self.phone) or self.phone
        return f"{self.caller} {shown}" if self.caller else shown

    def headline(self) -> str:
        return f"EMERGENCY: {self.who} — {self.reasons[0] if self.reasons else 'see voicemail'}"

    def status(self) -> str:
        """Where the alert stands, in plain words."""
        parts = []
        if self.decision == "confirmed":
            parts.append(f"Confirmed by {self.decided_by}")
        elif self.acknowledged_by:
            parts.append(f"Acknowledged by {self.acknowledged_by}")
        else:
            parts.append("Not acknowledged yet")
        if self.escalation == Escalation.TEXTED:
            parts.append(f"on-call {self.escalated_to} was texted")
        elif self.escalation == Escalation.SENDING:
            parts.append(f"texting on-call {self.escalated_to}…")
        elif self.escalation in (Escalation.NOT_ALLOWED, Escalation.FAILED):
            parts.append(self.escalation_note or "call the on-call person")
        elif self.escalation == Escalation.NOBODY:
            parts.append("nobody is on call: phone the owner")
        return "; ".join(parts)


class EmergencyService:
    def __init__(self, uow_factory: UnitOfWorkFactory, texting: Texting, settings,
                 clock: Clock = utcnow, reload=None):
        """`settings`: the app's settings now; `reload`: () -> the settings as they are
        later, read again before each escalation (a rota swap, a withdrawn permission)."""
        self._uow, self._texting, self._clock, self._reload = uow_factory, texting, clock, reload
        self._apply(settings)

    def _apply(self, settings) -> None:
        self._zone = ZoneInfo(settings["business.timezone"])
        self._rota = Rota.parse(settings["oncall.rota"], settings["oncall.overrides"],
                                settings["oncall.handover"])
        self._template, self._business = settings["oncall.template"], settings["business.name"]
        self.repeat = timedelta(seconds=settings["alerts.repeat_seconds"])
        self.window = timedelta(minutes=settings["alerts.escalate_after_minutes"])
        self._texting.granted = frozenset(settings["phone.scopes"])

    # -- reading -----------------------------------------------------------------------------
    def open_alerts(self) -> list[AlertView]:
        on_call = self._on_call_now()
        with self._uow() as uow:
            return [self._view(uow, a, on_call) for a in uow.alerts.open()]

    def get(self, alert_id: int) -> AlertView:
        with self._uow() as uow:
            return self._view(uow, self._alert(uow, alert_id))

    def _on_call_now(self) -> str | None:
        on_call = self._rota.on_call(self._clock(), self._zone)
        return on_call.label() if on_call else None

    def _view(self, uow, alert: EmergencyAlert, on_call: str | None = None) -> AlertView:
        item = uow.queue.get(alert.queue_item_id)
        return AlertView(
            id=alert.id, queue_item_id=alert.queue_item_id, phone=alert.phone,
            caller=item.caller_name if item else None, reasons=tuple(alert.reasons),
            confidence=alert.confidence, transcript=item.last_transcript if item else None,
            raised_at=alert.raised_at, acknowledged_by=alert.acknowledged_by,
            decision=alert.decision, decided_by=alert.decided_by,
            escalation=alert.escalation, escalated_to=alert.escalated_to,
            escalation_note=alert.escalation_note, closed=not alert.is_open,
            on_call=on_call or self._on_call_now())

    @staticmethod
    def _alert(uow, alert_id: int) -> EmergencyAlert:
        alert = uow.alerts.get(alert_id)
        if alert is None:
            raise AlertRuleError(f"There is no alert {alert_id}.")
        return alert

    # -- what the desk does ------------------------------------------------------------------
    def due_notifications(self) -> list[AlertView]:
        """The open, unacknowledged alerts to (re)notify now; marked as notified."""
        now = self._clock()
        with self._uow() as uow:  # most checks find nothing: no write lock for those
            if not any(a.needs_notification(now, self.repeat) for a in uow.alerts.open()):
                return []
        with self._uow(write=True) as uow:
            due = [a for a in uow.alerts.open() if a.needs_notification(now, self.repeat)]
            for alert in due:
                alert.notified(now)
                uow.changelog.append(at=now, actor=ACTOR, entity="emergency_alert",
                                     entity_id=alert.id, action="notified",
                                     after={"count": alert.notify_count})
            views = [self._view(uow, a) for a in due]
            uow.commit()
        return views

    def acknowledge(self, alert_id: int, who: str) -> AlertView:
        return self._act(alert_id, who, "acknowledged",
                         lambda alert, now, _uow: alert.acknowledge(who, now))

    def confirm(self, alert_id: int, who: str) -> AlertView:
        def confirm(alert, now, uow):
            alert.confirm(who, now)
            self._set_urgency(uow, alert, Urgency.EMERGENCY, who, now)
        return self._act(alert_id, who, "confirmed", confirm)

    def downgrade(self, alert_id: int, who: str, to: Urgency | str) -> AlertView:
        def downgrade(alert, now, uow):
            alert.downgrade(who, now, to)
            self._set_urgency(uow, alert, Urgency(to), who, now)
        return self._act(alert_id, who, "downgraded", downgrade,
                         reason=f"not an emergency: {to}")

    def _act(self, alert_id: int, who: str, action: str, change,
             reason: str | None = None) -> AlertView:
        """`change(alert, now, uow)` in one transaction with its change-log entry."""
        with self._uow(write=True) as uow:
            alert = self._alert(uow, alert_id)
            now = self._clock()
            before = alert.snapshot()
            change(alert, now, uow)
            uow.changelog.append(at=now, actor=person(who), entity="emergency_alert",
                                 entity_id=alert.id, action=action, before=before,
                                 after=alert.snapshot(), reason=reason)
            uow.commit()
            return self._view(uow, alert)

    @staticmethod
    def _set_urgency(uow, alert: EmergencyAlert, urgency: Urgency, who: str, now) -> None:
        item = uow.queue.get(alert.queue_item_id)
        if item is None:
            return
        before = {"urgency": str(item.urgency), "urgency_set_by": item.urgency_set_by}
        item.urgency, item.urgency_set_by = str(urgency), person(who)
        uow.changelog.append(at=now, actor=person(who), entity="queue_item", entity_id=item.id,
                             action="urgency_set", before=before,
                             after={"urgency": str(urgency), "urgency_set_by": person(who)})

    # -- escalation --------------------------------------------------------------------------
    def escalate_due(self) -> list[AlertView]:
        """Text the on-call person for each alert that needs it now. Each alert is claimed
        in its own transaction first (two desks never text twice), then texted, then the
        outcome recorded. A claim whose outcome never got recorded (the process died
        mid-send) is reported as failed after SENDING_TIMEOUT: a person must call."""
        done = []
        now = self._clock()
        with self._uow() as uow:
            alerts = uow.alerts.open()
            due = [a.id for a in alerts if a.needs_escalation(now, self.window)]
            stuck = [a.id for a in alerts if a.send_unanswered(now, SENDING_TIMEOUT)]
        if (due or stuck) and self._reload is not None:
            self._apply(self._reload())  # only when about to text: not a read every check
        for alert_id in stuck:
            done.append(self._record(alert_id, Escalation.FAILED, None, (
                "It is not known whether the text to the on-call person went (the sending "
                "desk stopped): call them now."), "escalation interrupted", keep_to=True))
        for alert_id in due:
            claimed = self._claim(alert_id)
            if claimed is not None:
                done.append(self._escalate(*claimed))
        return done

    def _claim(self, alert_id: int):
        now = self._clock()
        with self._uow(write=True) as uow:
            alert = uow.alerts.get(alert_id)
            if alert is None or not alert.needs_escalation(now, self.window):
                return None  # another desk took it, or a person answered meanwhile
            on_call = self._rota.on_call(now, self._zone)
            why = ("confirmed by " + alert.decided_by if alert.decision == "confirmed" else
                   f"not acknowledged within {int(self.window.total_seconds() // 60)} min")
            alert.escalated(now, Escalation.SENDING, on_call.label() if on_call else None, why)
            uow.changelog.append(at=now, actor=ESCALATOR, entity="emergency_alert",
                                 entity_id=alert.id, action="escalating",
                                 after={"to": alert.escalated_to, "why": why})
            text = self._text(uow, alert, on_call) if on_call else None
            uow.commit()
            return alert.id, on_call, text, why

    def _text(self, uow, alert: EmergencyAlert, on_call: OnCall) -> str:
        item = uow.queue.get(alert.queue_item_id)
        address = None
        if item is not None and item.lead_id:
            lead = uow.leads.get(item.lead_id)
            address = lead.service_address if lead else None
        if address is None:
            contact = uow.contacts.by_phone(alert.phone)
            address = contact.address if contact else None
        return render_escalation(self._template, {
            "caller_name": item.caller_name if item else None,
            "caller_phone": display(alert.phone) or alert.phone, "address": address,
            "transcript": item.last_transcript if item else None,
            "business": self._business, "reasons": "; ".join(alert.reasons[:2]),
            "on_call": on_call.name})

    def _escalate(self, alert_id: int, on_call: OnCall | None, text: str | None,
                  why: str) -> AlertView:
        if on_call is None:
            how, note = Escalation.NOBODY, "Nobody is on call on the rota now: phone the owner."
        else:
            try:
                self._texting.send(on_call.phone, text, ESCALATOR,
                                   f"emergency alert {alert_id}: {why}")
                how, note = Escalation.TEXTED, None
            except ScopeRefused:
                how, note = Escalation.NOT_ALLOWED, (
                    f"Call {on_call.label()} now: texting is not allowed (phone:send_sms "
                    "is not granted).")
            except Exception as exc:  # the provider refused or is down: a person calls
                log.warning("escalation text failed: %s", exc)
                how, note = Escalation.FAILED, (f"The text to {on_call.label()} failed "
                                                f"({exc}): call them now.")
        return self._record(alert_id, how, on_call.label() if on_call else None, note, why,
                            text=text if how == Escalation.TEXTED else None)

    def _record(self, alert_id: int, how: Escalation, to: str | None, note: str | None,
                why: str, text: str | None = None, keep_to: bool = False) -> AlertView:
        now = self._clock()
        with self._uow(write=True) as uow:
            alert = uow.alerts.get(alert_id)
            alert.escalated(alert.escalated_at or now, how,
                            alert.escalated_to if keep_to else to, note)
            uow.changelog.append(at=now, actor=ESCALATOR, entity="emergency_alert",
                                 entity_id=alert.id, action=f"escalation_{how}",
                                 after={"to": alert.escalated_to, "note": note, "text": text},
                                 reason=why)
            uow.commit()
            return self._view(uow, alert)
