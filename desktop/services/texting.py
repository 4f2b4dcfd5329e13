"""Sending a text through the phone provider, only where the owner granted it.

The `phone:send_sms` scope is off by default. The check lives here, in the service layer,
so no caller (UI, follow-up, escalation) can go around it; a refusal and every sent text
land in the change log.
"""

from __future__ import annotations

from desktop.adapters.phone.base import PhoneProvider, SentMessage
from desktop.domain.clock import Clock, utcnow
from desktop.domain.permissions import ScopeRefused
from desktop.services.unit_of_work import UnitOfWorkFactory

SEND_SMS = "phone:send_sms"


class Texting:
    def __init__(self, uow_factory: UnitOfWorkFactory, provider: PhoneProvider,
                 granted: list[str], clock: Clock = utcnow):
        self._uow, self.provider, self._clock = uow_factory, provider, clock
        self.granted = frozenset(granted)

    def send(self, to_number: str, body: str, actor: str, reason: str) -> SentMessage:
        if SEND_SMS not in self.granted:
            self._log(actor, to_number, "refused", reason,
                      {"why": f"scope {SEND_SMS} not granted"})
            raise ScopeRefused(f"Texts are not allowed: the owner has not granted "
                               f"{SEND_SMS} (Settings → Phone → permissions).", SEND_SMS)
        sent = self.provider.send_sms(to_number, body)
        self._log(actor, to_number, "sent", reason,
                  {"provider_message_id": sent.provider_message_id, "body": body})
        return sent

    def _log(self, actor: str, to_number: str, action: str, reason: str, after: dict) -> None:
        with self._uow(write=True) as uow:
            uow.changelog.append(at=self._clock(), actor=actor, entity="text_message",
                                 entity_id=to_number, action=action, after=after,
                                 reason=reason)
            uow.commit()
