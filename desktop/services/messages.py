"""Inbound texts: poll the phone provider, keep every reply, act on opt-outs at once.

One poll = list the texts received since the cursor (minus an overlap), store each once
(by provider id), and classify it (domain/optout.py):

* an opt-out puts the number on the do-not-text list (a consent record with the words as
  evidence), cancels its pending text-backs, and sends one confirmation text where texts
  are allowed and the STOP is fresh;
* START / UNSTOP puts it back (a new record; the old one stays);
* a reply from a caller with an open queue item lands in that item's history.

The first poll reads back `phone.backfill_days`, so a STOP sent before the app was
installed still counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from desktop.adapters.phone.base import InboundMessage, PhoneProvider, ProblemKind, ProviderError
from desktop.domain.changelog import worker
from desktop.domain.clock import Clock, utcnow
from desktop.domain.consent import (CONFIRMATION_TEXT, ConsentRecord, ConsentStatus, Purpose,
                                    TextMessage)
from desktop.domain.optout import classify
from desktop.domain.quarantine import QuarantineRecord, Quarantined
from desktop.services.followup import skip_texts_to
from desktop.services.texting import Texting
from desktop.services.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)
ACTOR = worker("messages")
CONFIRM_WITHIN = timedelta(minutes=15)  # an old STOP found by a backfill is not answered


@dataclass
class MessageResult:
    new: int = 0
    opted_out: list[str] = field(default_factory=list)
    opted_in: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    quarantined: int = 0
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.new)


class MessageSync:
    def __init__(self, uow_factory: UnitOfWorkFactory, provider: PhoneProvider,
                 texting: Texting | None, business: str, clock: Clock = utcnow,
                 overlap: timedelta = timedelta(seconds=120),
                 backfill: timedelta = timedelta(days=7)):
        self._uow, self.provider, self._texting = uow_factory, provider, texting
        self._business, self._clock = business, clock
        self.overlap, self.backfill = overlap, backfill
        self.connector = f"texts:{provider.name}"

    def poll(self) -> MessageResult:
        result = MessageResult()
        until = self._clock()
        with self._uow() as uow:
            state = uow.connectors.get_or_create(self.connector)
            cursor, hold = state.cursor, state.retry_after
        if hold is not None and hold > until:
            return result
        since = min(cursor - self.overlap if cursor else until - self.backfill, until)
        try:
            for page in self.provider.list_messages(since, until):
                self._store(page, result)
        except ProviderError as exc:
            result.error = str(exc)
            self._health(error=exc)
            return result
        except Exception as exc:  # a bug: say so, keep polling later
            log.exception("text polling crashed")
            result.error = f"Reading texts stopped on an unexpected error ({type(exc).__name__})"
            self._health(error=ProviderError(result.error, ProblemKind.BAD_RESPONSE))
            return result
        self._health(cursor=until)
        for phone in result.opted_out:
            self._confirm(phone, result)
        return result

    def _store(self, page: list, result: MessageResult) -> None:
        now = self._clock()
        with self._uow(write=True) as uow:
            good = [m for m in page if isinstance(m, InboundMessage)]
            known = uow.texts.known_ids(self.provider.name,
                                        [m.provider_message_id for m in good])
            for record in page:
                if isinstance(record, Quarantined):
                    if uow.quarantine.add_once(QuarantineRecord.of(self.connector, record, now)):
                        result.quarantined += 1
            for message in sorted(good, key=lambda m: m.received_at):
                if message.provider_message_id in known:
                    continue
                known.add(message.provider_message_id)
                self._take(uow, message, now, result)
            uow.commit()

    def _take(self, uow, message: InboundMessage, now, result: MessageResult) -> None:
        result.new += 1
        phone = message.from_number
        uow.texts.add(TextMessage(direction="in", provider=self.provider.name,
                                  provider_message_id=message.provider_message_id,
                                  phone=phone, body=message.body, at=message.received_at,
                                  purpose=str(Purpose.REPLY), automated=0))
        item = uow.queue.open_for_phones([phone]).get(phone)
        if item is not None:
            uow.changelog.append(at=now, actor=ACTOR, entity="queue_item", entity_id=item.id,
                                 action="text_received", after={"body": message.body},
                                 reason=f"the caller texted: \"{message.body[:200]}\"")
        verdict = classify(message.body)
        latest = uow.consent.latest(phone)
        if latest is not None and message.received_at <= latest.at:
            return  # older than what is on record (a late read): the newer word stands
        opted_out = latest is not None and latest.opted_out
        if verdict.opt_out and not opted_out:
            self._record(uow, message, ConsentStatus.OPTED_OUT, verdict.why, now)
            result.opted_out.append(phone)
            skip_texts_to(uow, phone, now, ACTOR, "the number opted out by text")
        elif verdict.opt_in and opted_out:
            self._record(uow, message, ConsentStatus.OPTED_IN, verdict.why, now)
            result.opted_in.append(phone)

    def _record(self, uow, message: InboundMessage, status: ConsentStatus, why: str,
                now) -> None:
        record = ConsentRecord(phone=message.from_number, status=str(status),
                               at=message.received_at, source="text", evidence=message.body,
                               recorded_by=ACTOR, provider=self.provider.name,
                               message_id=message.provider_message_id)
        uow.consent.add(record)
        uow.changelog.append(at=now, actor=ACTOR, entity="consent",
                             entity_id=message.from_number, action=str(status),
                             after={"words": message.body, "provider": self.provider.name,
                                    "message_id": message.provider_message_id},
                             reason=why)

    def _confirm(self, phone: str, result: MessageResult) -> None:
        """One confirmation text after a fresh opt-out, where texts are allowed."""
        if self._texting is None or self._texting.check(phone, Purpose.CONFIRMATION):
            return
        with self._uow() as uow:
            latest = uow.consent.latest(phone)
            if latest is None or self._clock() - latest.at > CONFIRM_WITHIN:
                return
        try:
            self._texting.send(phone, CONFIRMATION_TEXT.format(business=self._business), ACTOR,
                               "confirming an opt-out", purpose=Purpose.CONFIRMATION)
            result.confirmed.append(phone)
        except Exception as exc:  # the opt-out holds either way
            log.warning("opt-out confirmation to %s not sent: %s", phone, exc)

    def _health(self, cursor=None, error: ProviderError | None = None) -> None:
        with self._uow(write=True) as uow:
            state = uow.connectors.get_or_create(self.connector)
            now = self._clock()
            if error is None:
                state.record_success(now, cursor)
            else:
                state.record_failure(now, str(error), str(error.kind), error.retry_after_s)
            uow.commit()


class ConsentService:
    """The do-not-text list, for people and the command line."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock = utcnow):
        self._uow, self._clock = uow_factory, clock

    def check(self, phone: str) -> dict:
        """{"allowed": bool, "reason": str} for a number."""
        with self._uow() as uow:
            latest = uow.consent.latest(phone)
        if latest is not None and latest.opted_out:
            return {"allowed": False, "reason": f"{phone} {latest.describe()}"}
        if latest is not None:
            return {"allowed": True, "reason": f"{phone} {latest.describe()}"}
        return {"allowed": True, "reason": f"no opt-out on record for {phone}"}

    def record(self, phone: str, status: ConsentStatus, who: str, words: str) -> ConsentRecord:
        """A person records a spoken request ("the caller asked not to be texted")."""
        if not (words or "").strip():
            raise ValueError("say what the customer asked, e.g. 'asked on the phone not to "
                             "be texted'")
        now = self._clock()
        with self._uow(write=True) as uow:
            latest = uow.consent.latest(phone)
            if (status == ConsentStatus.OPTED_IN and latest is not None and latest.opted_out
                    and latest.source == "text"):
                raise ValueError(f"{phone} opted out by text; only the customer can opt back "
                                 "in, by texting START to the shop's number")
            record = ConsentRecord(phone=phone, status=str(status), at=now, source="person",
                                   evidence=words.strip(), recorded_by=who)
            uow.consent.add(record)
            if status == ConsentStatus.OPTED_OUT:
                skip_texts_to(uow, phone, now, who, "the number opted out")
            uow.changelog.append(at=now, actor=who, entity="consent", entity_id=phone,
                                 action=str(status), after={"words": words.strip()},
                                 reason="recorded by a person")
            uow.commit()
            return record

    def do_not_text(self) -> list[ConsentRecord]:
        with self._uow() as uow:
            return uow.consent.opted_out_numbers()

    def history(self, phone: str) -> list[ConsentRecord]:
        with self._uow() as uow:
            return uow.consent.history(phone)
