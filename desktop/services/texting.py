"""Sending a text through the phone provider, only where the rules allow it.

Every text the app sends (text-back, escalation, opt-out confirmation) goes through
`Texting.send`, so no caller (UI, follow-up, escalation, a script) can go around the rules:

* the owner granted `phone:send_sms` (off by default);
* the number has not opted out (the do-not-text list spans every provider); after an
  opt-out exactly one confirmation text may go.

A refusal raises (ScopeRefused or SendRefused) and is written to the change log; a sent
text is stored (for caps and the customer's history) and logged.
"""

from __future__ import annotations

from desktop.adapters.phone.base import PhoneProvider, SentMessage
from desktop.domain.clock import Clock, utcnow
from desktop.domain.consent import ConsentRecord, Purpose, SendRefused, TextMessage
from desktop.domain.permissions import ScopeRefused
from desktop.services.unit_of_work import UnitOfWorkFactory

SEND_SMS = "phone:send_sms"


class Texting:
    def __init__(self, uow_factory: UnitOfWorkFactory, provider: PhoneProvider,
                 granted: list[str], clock: Clock = utcnow):
        self._uow, self.provider, self._clock = uow_factory, provider, clock
        self.granted = frozenset(granted)

    @property
    def allowed(self) -> bool:
        return SEND_SMS in self.granted

    def check(self, to_number: str, purpose: Purpose = Purpose.TEXTBACK) -> str | None:
        """None if a text to `to_number` may go; else why not. Writes nothing."""
        if not self.allowed:
            return f"texts are not allowed: the owner has not granted {SEND_SMS}"
        with self._uow() as uow:
            return _consent_refusal(uow.consent.latest(to_number), purpose)

    def send(self, to_number: str, body: str, actor: str, reason: str,
             purpose: Purpose = Purpose.ESCALATION, queue_item_id: int | None = None,
             automated: bool = True) -> SentMessage:
        if not self.allowed:
            self._refused(actor, to_number, reason, purpose, f"scope {SEND_SMS} not granted")
            raise ScopeRefused(f"Texts are not allowed: the owner has not granted "
                               f"{SEND_SMS} (Settings → Phone → permissions).", SEND_SMS)
        with self._uow() as uow:
            why_not = _consent_refusal(uow.consent.latest(to_number), purpose)
        if why_not:
            self._refused(actor, to_number, reason, purpose, why_not)
            raise SendRefused(f"Not sent to {to_number}: {why_not}.", "opted_out")
        sent = self.provider.send_sms(to_number, body)
        now = self._clock()
        with self._uow(write=True) as uow:
            uow.texts.add(TextMessage(
                direction="out", provider=self.provider.name,
                provider_message_id=sent.provider_message_id, phone=to_number, body=body,
                at=sent.sent_at or now, purpose=str(purpose), automated=int(automated),
                queue_item_id=queue_item_id, actor=actor))
            if purpose == Purpose.CONFIRMATION:
                uow.consent.latest(to_number).confirmation_sent_at = now
            uow.changelog.append(at=now, actor=actor, entity="text_message",
                                 entity_id=to_number, action="sent", reason=reason,
                                 after={"provider_message_id": sent.provider_message_id,
                                        "purpose": str(purpose), "body": body,
                                        "queue_item_id": queue_item_id})
            uow.commit()
        return sent

    def _refused(self, actor: str, to_number: str, reason: str, purpose: Purpose,
                 why: str) -> None:
        with self._uow(write=True) as uow:
            uow.changelog.append(at=self._clock(), actor=actor, entity="text_message",
                                 entity_id=to_number, action="refused", reason=reason,
                                 after={"why": why, "purpose": str(purpose)})
            uow.commit()


def _consent_refusal(latest: ConsentRecord | None, purpose: Purpose) -> str | None:
    if purpose == Purpose.CONFIRMATION:
        if latest is None or not latest.opted_out:
            return "a confirmation goes only to a number that has just opted out"
        if latest.confirmation_sent_at is not None:
            return "the opt-out was already confirmed once"
        return None
    if latest is not None and latest.opted_out:
        return f"the number {latest.describe()}"
    return None
